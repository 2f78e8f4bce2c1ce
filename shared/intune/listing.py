"""What a backup lists of one type: every object, all pages, as the catalog entry says to list it.

Kept beside capture because the two agree on what an object is: a singleton is its one object (or
none when the tenant never set it up), a nested type's objects are listed parent by parent and
recorded under `{parent ID}_{own ID}` with their parent's natural key, so a restore can find the
parent in another tenant.
"""

from __future__ import annotations

from typing import Any

from shared.graph import GraphClient, GraphNotFound
from shared.intune.model import ObjectType, ParentCollection, Strategy, nested_id
from shared.intune.normalize import PARENT_MARKER


def list_objects(client: GraphClient, entry: ObjectType) -> list[dict[str, Any]]:
    """Every object of the type (the catalog's skip rules not applied), with the list `$expand`."""
    if entry.strategy is Strategy.SINGLETON:
        try:
            return [client.get(entry.collection, version=entry.version)]
        except GraphNotFound:
            # Graph answers 404 for a singleton the tenant never set up (no Apple push certificate):
            # nothing to back up, not a failed type.
            return []
    expand = entry.expand if entry.list_expand is None else entry.list_expand
    params = dict(entry.list_params) | ({"$expand": ",".join(expand)} if expand else {})
    if entry.parent is not None:
        return _list_nested(client, entry, entry.parent, params)
    return list(client.get_all(entry.collection, params=params or None, version=entry.version))


def _list_nested(
    client: GraphClient, entry: ObjectType, parent: ParentCollection, params: dict[str, str]
) -> list[dict[str, Any]]:
    parents = client.get_all(parent.collection, params={"$select": f"id,{parent.key}"}, version=entry.version)
    objects: list[dict[str, Any]] = []
    for holder in parents:
        children = client.get_all(
            f"{parent.collection}/{holder['id']}/{parent.navigation}",
            params=params or None,
            version=entry.version,
        )
        objects.extend(
            {
                **child,
                "id": nested_id(str(holder["id"]), str(child["id"])),
                PARENT_MARKER: holder.get(parent.key),
            }
            for child in children
        )
    return objects
