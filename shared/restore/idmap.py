"""Source-tenant IDs -> target-tenant IDs of everything restored items refer to, matched by natural key.

Scope tags, assignment filters, notification templates, groups, apps, reusable settings, named
locations, authentication strengths and contexts and role definitions have other IDs in every
tenant. `build_id_map` lists them in both tenants (read-only GETs, side by side) and matches them by
display name; apps by display name and publisher. Only the kinds the items at hand refer to are
listed (`kinds_for`): the catalog's `depends_on` says which. A preview also maps what the same
restore will create before the item is written (`IdMap.with_planned`): to a placeholder naming it,
because its target ID does not exist yet.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any

from shared.graph import GraphClient
from shared.intune.catalog import BY_NAME

DEFAULT_SCOPE_TAG = "0"
_EMPTY: Mapping[str, str] = MappingProxyType({})

REFERENCE_KINDS: Mapping[str, str] = MappingProxyType(
    {
        "roleScopeTags": "scope_tags",
        "assignmentFilters": "filters",
        "notificationMessageTemplates": "notification_templates",
        "reusablePolicySettings": "reusable_settings",
        "namedLocations": "named_locations",
        "authenticationStrengthPolicies": "auth_strengths",
        "authenticationContextClassReferences": "auth_contexts",
        "roleDefinitions": "role_definitions",
        "mobileApps": "mobile_apps",
    }
)
"""Types other items refer to -> the IdMap field that maps them (`kinds_for`, `with_created`)."""
ALWAYS = ("scope_tags", "filters", "groups")
"""Kinds every item may refer to: its scope tags and its assignments' groups and filters."""


@dataclass(frozen=True)
class IdMap:
    """Source-tenant ID -> target-tenant ID per reference kind, matched by natural key (display name)."""

    scope_tags: Mapping[str, str]
    filters: Mapping[str, str]
    notification_templates: Mapping[str, str]
    groups: Mapping[str, str]
    group_names: Mapping[str, str]
    mobile_apps: Mapping[str, str] = field(default_factory=lambda: _EMPTY)
    reusable_settings: Mapping[str, str] = field(default_factory=lambda: _EMPTY)
    named_locations: Mapping[str, str] = field(default_factory=lambda: _EMPTY)
    auth_strengths: Mapping[str, str] = field(default_factory=lambda: _EMPTY)
    auth_contexts: Mapping[str, str] = field(default_factory=lambda: _EMPTY)
    role_definitions: Mapping[str, str] = field(default_factory=lambda: _EMPTY)
    names: Mapping[str, str] = field(default_factory=lambda: _EMPTY)
    """Source ID -> display name of the other references, to say what is missing in a note."""
    same: bool = False

    def same_tenant(self) -> bool:
        return self.same

    def kind(self, name: str) -> Mapping[str, str]:
        """The map of one kind by field name (`named_locations`)."""
        mapping: Mapping[str, str] = getattr(self, name)
        return mapping

    def with_created(self, kind: str, source_id: str, target_id: str) -> IdMap:
        """This map plus one reference the restore just created (`kind`: a field name, e.g. `filters`)."""
        current = dict(self.kind(kind))
        current[source_id] = target_id
        changes: dict[str, Any] = {kind: MappingProxyType(current)}
        return replace(self, **changes)

    def with_planned(self, items: Iterable[tuple[str, str, str]]) -> IdMap:
        """This map plus the references a restore will create before the items that refer to them:
        (type, source ID, display name) of its items; those the target lacks map to a placeholder
        that names them (a preview's diff shows it; a live restore maps the created object)."""
        planned: dict[str, dict[str, str]] = {}
        for policy_type, source_id, name in items:
            kind = REFERENCE_KINDS.get(policy_type)
            entry = BY_NAME.get(policy_type)
            if kind is None or entry is None or not entry.restorable or source_id in self.kind(kind):
                continue
            planned.setdefault(kind, dict(self.kind(kind)))[source_id] = planned_placeholder(name)
        changes: dict[str, Any] = {kind: MappingProxyType(mapped) for kind, mapped in planned.items()}
        return replace(self, **changes) if changes else self

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe, for an orchestration to hand one map to many activities."""
        return {**{name: dict(self.kind(name)) for name in _MAP_FIELDS}, "same": self.same}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> IdMap:
        fields: dict[str, Any] = {name: MappingProxyType(dict(data.get(name) or {})) for name in _MAP_FIELDS}
        return cls(**fields, same=bool(data.get("same")))


_MAP_FIELDS = (
    "scope_tags",
    "filters",
    "notification_templates",
    "groups",
    "group_names",
    "mobile_apps",
    "reusable_settings",
    "named_locations",
    "auth_strengths",
    "auth_contexts",
    "role_definitions",
    "names",
)


def planned_placeholder(name: str) -> str:
    """What a preview shows for a reference the restore creates before the item: `(restored: name)`."""
    return f"(restored first: {name})"


@dataclass(frozen=True)
class _Listing:
    path: str
    version: str = "beta"
    keys: tuple[str, ...] = ("displayName",)
    """The natural key: the first is the name shown in notes; all must be equal to match."""


_LISTINGS: Mapping[str, _Listing] = MappingProxyType(
    {
        "scope_tags": _Listing("/deviceManagement/roleScopeTags"),
        "filters": _Listing("/deviceManagement/assignmentFilters"),
        "notification_templates": _Listing("/deviceManagement/notificationMessageTemplates"),
        "groups": _Listing("/groups", version="v1.0"),
        "mobile_apps": _Listing("/deviceAppManagement/mobileApps", keys=("displayName", "publisher")),
        "reusable_settings": _Listing("/deviceManagement/reusablePolicySettings"),
        "named_locations": _Listing("/identity/conditionalAccess/namedLocations", version="v1.0"),
        "auth_strengths": _Listing("/policies/authenticationStrengthPolicies", version="v1.0"),
        "auth_contexts": _Listing("/identity/conditionalAccess/authenticationContextClassReferences", "v1.0"),
        "role_definitions": _Listing("/deviceManagement/roleDefinitions"),
    }
)


def kinds_for(policy_types: Collection[str]) -> tuple[str, ...]:
    """The reference kinds items of these types refer to (their catalog `depends_on`), plus those
    every item may; all kinds for a type the catalog does not know."""
    kinds = dict.fromkeys(ALWAYS)
    for policy_type in policy_types:
        entry = BY_NAME.get(policy_type)
        if entry is None:
            return tuple(_LISTINGS)
        kinds.update(dict.fromkeys(REFERENCE_KINDS[d] for d in entry.depends_on if d in REFERENCE_KINDS))
    return tuple(kind for kind in _LISTINGS if kind in kinds)


def build_id_map(
    source: GraphClient, target: GraphClient, policy_types: Collection[str] | None = None
) -> IdMap:
    """Lists the references items of `policy_types` refer to (all kinds when None) in both tenants
    (a few GETs, read-only safe) and matches them by natural key. Same tenant: identity.

    The listings are read side by side: a live restore builds the map at the start of every chunk,
    and one listing after another would put a dozen round trips before each chunk's first write.
    Call it again after a restore wrote references, or extend it with `IdMap.with_created`, so
    later items find them.
    """
    kinds = tuple(_LISTINGS) if policy_types is None else kinds_for(policy_types)
    same = source.config.tenant_id == target.config.tenant_id and source.config.graph_base_url.rstrip(
        "/"
    ) == target.config.graph_base_url.rstrip("/")
    clients = {"source": source} if same else {"source": source, "target": target}
    with ThreadPoolExecutor(max_workers=len(clients) * len(kinds), thread_name_prefix="id-map") as pool:
        pending = {
            (side, kind): pool.submit(_keys, client, _LISTINGS[kind])
            for side, client in clients.items()
            for kind in kinds
        }
        listed = {key: future.result() for key, future in pending.items()}
    source_keys = {kind: listed["source", kind] for kind in kinds}
    target_keys = source_keys if same else {kind: listed["target", kind] for kind in kinds}
    maps: dict[str, dict[str, str]] = {
        kind: {object_id: object_id for object_id in source_keys[kind]}
        if same
        else _match(source_keys[kind], target_keys[kind])
        for kind in kinds
    }
    maps.setdefault("scope_tags", {})[DEFAULT_SCOPE_TAG] = DEFAULT_SCOPE_TAG
    names = {
        source_id: key[0]
        for kind in kinds
        if kind != "groups"
        for source_id, key in source_keys[kind].items()
    }
    fields: dict[str, Any] = {kind: MappingProxyType(maps.get(kind, {})) for kind in _LISTINGS}
    return IdMap(
        **fields,
        group_names=MappingProxyType({k: key[0] for k, key in source_keys.get("groups", {}).items()}),
        names=MappingProxyType(names),
        same=same,
    )


def _keys(client: GraphClient, listing: _Listing) -> dict[str, tuple[str, ...]]:
    select = ",".join(("id", *listing.keys))
    objects = client.get_all(listing.path, params={"$select": select}, version=listing.version)
    return {
        str(obj["id"]): tuple(str(obj.get(key) or "") for key in listing.keys)
        for obj in objects
        if obj.get("id")
    }


def _match(source: Mapping[str, tuple[str, ...]], target: Mapping[str, tuple[str, ...]]) -> dict[str, str]:
    """Source ID -> the one target ID of the same key; a key used twice in the target maps to nothing."""
    by_key: dict[tuple[str, ...], list[str]] = {}
    for target_id, key in target.items():
        by_key.setdefault(key, []).append(target_id)
    return {source_id: by_key[key][0] for source_id, key in source.items() if len(by_key.get(key, ())) == 1}
