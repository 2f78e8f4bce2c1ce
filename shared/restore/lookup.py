"""Find a restore item's counterpart in the target tenant by natural key (display name).

IDs differ between tenants, so a restore matches by name; the same lookup tells a create whose
answer was lost whether it was applied (exactly once). Service defaults and built-ins (the
catalog's skip rules) never count as a match: they are not ours to overwrite.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from shared.graph import GraphClient
from shared.intune.catalog import object_type
from shared.intune.model import Strategy


def natural_key(policy_type: str, content: Mapping[str, Any]) -> str:
    """The display name (`name` for settings catalog policies) the catalog matches objects by."""
    return str(content.get(object_type(policy_type).display_name) or "")


def find_matches(
    client: GraphClient, policy_type: str, name: str, *, odata_type: str | None = None
) -> list[str]:
    """IDs of target objects of that type whose natural key equals `name` (listed, filtered here).

    `odata_type` narrows a mixed list (app protection) to one concrete type.
    """
    if not name:
        return []
    return NameIndex.listed(client, policy_type).matches(name, odata_type=odata_type)


class NameIndex:
    """One listing of a type in the target, matched by name as often as needed: a chunk of items of
    one type costs one list (its pages), not one per item."""

    def __init__(self, policy_type: str, objects: list[dict[str, Any]]) -> None:
        self._entry = object_type(policy_type)
        self._objects = objects

    @classmethod
    def listed(cls, client: GraphClient, policy_type: str) -> NameIndex:
        entry = object_type(policy_type)
        if entry.strategy is Strategy.SINGLETON:
            return cls(policy_type, [])
        select = ["id", entry.display_name, *(entry.skip.property_equals if entry.skip else ())]
        params = dict(entry.list_params) | {"$select": ",".join(dict.fromkeys(select))}
        return cls(policy_type, list(client.get_all(entry.collection, params=params, version=entry.version)))

    def matches(self, name: str, *, odata_type: str | None = None) -> list[str]:
        entry = self._entry
        if not name:
            return []
        return [
            str(obj["id"])
            for obj in self._objects
            if obj.get(entry.display_name) == name
            and (odata_type is None or obj.get("@odata.type") == odata_type)
            and (entry.skip is None or not entry.skip.applies_to(obj))
        ]
