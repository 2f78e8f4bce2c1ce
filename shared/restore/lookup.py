"""Find a restore item's counterpart in the target tenant by natural key (display name).

IDs differ between tenants, so a restore matches by name; the same lookup tells a create whose
answer was lost whether it was applied (exactly once). Some types need more than the name: a
mixed list matches within the item's own `@odata.type`, an app also by publisher (`match_also`),
a nested object within the parent of the same natural key. A singleton is the tenant's one object,
whatever its name. Service defaults and built-ins (the catalog's skip rules) never count as a
match: they are not ours to overwrite.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from shared.graph import GraphClient, GraphNotFound
from shared.intune.capture import display_name
from shared.intune.catalog import BY_NAME, object_type
from shared.intune.listing import list_objects
from shared.intune.model import Strategy
from shared.intune.normalize import PARENT_MARKER


def natural_key(policy_type: str, content: Mapping[str, Any]) -> str:
    """The display name (`name` for settings catalog policies) the catalog matches objects by."""
    return display_name(object_type(policy_type), content)


def match_filter(policy_type: str, content: Mapping[str, Any]) -> dict[str, Any]:
    """What else a target object must share with the item to match, besides the natural key."""
    entry = BY_NAME.get(policy_type)
    if entry is None:
        return {}
    found: dict[str, Any] = {}
    if entry.typed_collections and content.get("@odata.type"):
        found["odata_type"] = content["@odata.type"]
    also = {key: content.get(key) for key in entry.match_also}
    if entry.parent is not None:
        also[PARENT_MARKER] = content.get(PARENT_MARKER)
    if also:
        found["also"] = also
    return found


def find_matches(
    client: GraphClient,
    policy_type: str,
    name: str,
    *,
    odata_type: str | None = None,
    also: Mapping[str, Any] | None = None,
) -> list[str]:
    """IDs of target objects of that type whose natural key equals `name` (listed, filtered here).

    `odata_type` narrows a mixed list (app protection) to one concrete type; `also` names other
    properties that must be equal (an app's publisher).
    """
    if not name:
        return []
    return NameIndex.listed(client, policy_type).matches(name, odata_type=odata_type, also=also)


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
            try:
                return cls(policy_type, [client.get(entry.collection, version=entry.version)])
            except GraphNotFound:
                return cls(policy_type, [])
        if entry.parent is not None:
            return cls(policy_type, list_objects(client, entry))
        select = [
            "id",
            entry.display_name,
            *entry.match_also,
            *(entry.skip.property_equals if entry.skip else ()),
        ]
        params = dict(entry.list_params) | {"$select": ",".join(dict.fromkeys(select))}
        return cls(policy_type, list(client.get_all(entry.collection, params=params, version=entry.version)))

    def matches(
        self, name: str, *, odata_type: str | None = None, also: Mapping[str, Any] | None = None
    ) -> list[str]:
        entry = self._entry
        if entry.strategy is Strategy.SINGLETON:
            return [str(obj.get("id") or entry.name) for obj in self._objects]
        if not name:
            return []
        return [
            str(obj["id"])
            for obj in self._objects
            if display_name(entry, obj) == name
            and (odata_type is None or obj.get("@odata.type") == odata_type)
            and all(obj.get(key) == value for key, value in (also or {}).items())
            and (entry.skip is None or not entry.skip.applies_to(obj))
        ]
