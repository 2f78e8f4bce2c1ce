"""IDs that differ between tenants, rewritten into the target's space by natural key (display name).

Scope tags, assignment filters, notification templates, groups (and the apps an app configuration
targets) have other IDs in every tenant. A reference without a match in the target is never
invented: scope tags fall back to Default, and an assignment to a missing group or filter is
dropped with a note naming what is missing (the item then applies to fewer users or devices).
An exclusion cannot be dropped that way: without it the item would apply to more of them. An
exclusion of a missing group (an `exclusionGroupAssignmentTarget`, a conditional access policy's
`excludeGroups`) blocks the item instead (`Remapped.blocked`); `write_item` then writes nothing.
Groups are never created.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any

from shared.graph import GraphClient

DEFAULT_SCOPE_TAG = "0"
NO_TEMPLATE = "00000000-0000-0000-0000-000000000000"
"""What Graph stores for a compliance action without a notification template."""
EXCLUSION_TARGET = "#microsoft.graph.exclusionGroupAssignmentTarget"
GROUP_TARGET_TYPES = frozenset({"#microsoft.graph.groupAssignmentTarget", EXCLUSION_TARGET})

_EMPTY: Mapping[str, str] = MappingProxyType({})

REFERENCE_KINDS: Mapping[str, str] = MappingProxyType(
    {
        "roleScopeTags": "scope_tags",
        "assignmentFilters": "filters",
        "notificationMessageTemplates": "notification_templates",
    }
)
"""Restorable types other items refer to -> the IdMap field a created one extends (`with_created`)."""


@dataclass(frozen=True)
class IdMap:
    """Source-tenant ID -> target-tenant ID per reference kind, matched by natural key (display name)."""

    scope_tags: Mapping[str, str]
    filters: Mapping[str, str]
    notification_templates: Mapping[str, str]
    groups: Mapping[str, str]
    group_names: Mapping[str, str]
    mobile_apps: Mapping[str, str] = field(default_factory=lambda: _EMPTY)
    names: Mapping[str, str] = field(default_factory=lambda: _EMPTY)
    """Source ID -> display name of the other references, to say what is missing in a note."""
    same: bool = False

    def same_tenant(self) -> bool:
        return self.same

    def with_created(self, kind: str, source_id: str, target_id: str) -> IdMap:
        """This map plus one reference the restore just created (`kind`: a field name, e.g. `filters`)."""
        current = dict(getattr(self, kind))
        current[source_id] = target_id
        changes: dict[str, Any] = {kind: MappingProxyType(current)}
        return replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe, for an orchestration to hand one map to many activities."""
        return {
            **{name: dict(getattr(self, name)) for name in _MAP_FIELDS},
            "same": self.same,
        }

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
    "names",
)


@dataclass(frozen=True)
class Remapped:
    content: dict[str, Any]
    notes: tuple[str, ...]
    blocked: tuple[str, ...] = ()
    """Why writing the item would widen who it applies to (an exclusion's group is missing in the
    target); such an item must not be written. The content keeps those exclusions unmapped."""
    missing_exclusions: tuple[str, ...] = ()
    """Display names (else IDs) of the excluded groups the target lacks."""


@dataclass(frozen=True)
class _Listing:
    path: str
    version: str = "beta"
    key: str = "displayName"


_LISTINGS: Mapping[str, _Listing] = MappingProxyType(
    {
        "scope_tags": _Listing("/deviceManagement/roleScopeTags"),
        "filters": _Listing("/deviceManagement/assignmentFilters"),
        "notification_templates": _Listing("/deviceManagement/notificationMessageTemplates"),
        "groups": _Listing("/groups", version="v1.0"),
        "mobile_apps": _Listing("/deviceAppManagement/mobileApps"),
    }
)


def build_id_map(source: GraphClient, target: GraphClient) -> IdMap:
    """Reads scope tags, assignment filters, notification templates, groups and apps (id, displayName)
    of both tenants (a few GETs, read-only safe) and matches by display name. Same tenant: identity.

    The listings are read side by side: a live restore builds the map at the start of every chunk,
    and one listing after another would put ten round trips before each chunk's first write.

    Call it again after a restore wrote scope tags, filters and templates, or extend it with
    `IdMap.with_created`, so later items find them.
    """
    same = source.config.tenant_id == target.config.tenant_id and source.config.graph_base_url.rstrip(
        "/"
    ) == target.config.graph_base_url.rstrip("/")
    clients = {"source": source} if same else {"source": source, "target": target}
    with ThreadPoolExecutor(max_workers=len(clients) * len(_LISTINGS), thread_name_prefix="id-map") as pool:
        pending = {
            (side, kind): pool.submit(_names, client, listing)
            for side, client in clients.items()
            for kind, listing in _LISTINGS.items()
        }
        listed = {key: future.result() for key, future in pending.items()}
    source_names = {kind: listed["source", kind] for kind in _LISTINGS}
    target_names = source_names if same else {kind: listed["target", kind] for kind in _LISTINGS}
    maps = {
        kind: {object_id: object_id for object_id in source_names[kind]}
        if same
        else _match(source_names[kind], target_names[kind])
        for kind in _LISTINGS
    }
    maps["scope_tags"][DEFAULT_SCOPE_TAG] = DEFAULT_SCOPE_TAG
    names = {
        source_id: name
        for kind in ("scope_tags", "filters", "notification_templates", "mobile_apps")
        for source_id, name in source_names[kind].items()
    }
    return IdMap(
        scope_tags=MappingProxyType(maps["scope_tags"]),
        filters=MappingProxyType(maps["filters"]),
        notification_templates=MappingProxyType(maps["notification_templates"]),
        groups=MappingProxyType(maps["groups"]),
        group_names=MappingProxyType(dict(source_names["groups"])),
        mobile_apps=MappingProxyType(maps["mobile_apps"]),
        names=MappingProxyType(names),
        same=same,
    )


def _names(client: GraphClient, listing: _Listing) -> dict[str, str]:
    objects = client.get_all(listing.path, params={"$select": f"id,{listing.key}"}, version=listing.version)
    return {str(obj["id"]): str(obj.get(listing.key) or "") for obj in objects if obj.get("id")}


def _match(source: Mapping[str, str], target: Mapping[str, str]) -> dict[str, str]:
    """Source ID -> the one target ID of the same name; a name used twice in the target maps to nothing."""
    by_name: dict[str, list[str]] = {}
    for target_id, name in target.items():
        by_name.setdefault(name, []).append(target_id)
    return {
        source_id: by_name[name][0] for source_id, name in source.items() if len(by_name.get(name, ())) == 1
    }


def remap_content(policy_type: str, content: Mapping[str, Any], ids: IdMap) -> Remapped:
    """Source content with scope tags, filters, templates, groups and apps rewritten into the target."""
    work = copy.deepcopy(dict(content))
    notes = _Notes()
    for key in ("roleScopeTagIds", "roleScopeTags"):
        if isinstance(work.get(key), list):
            work[key] = _scope_tags(work[key], ids, notes)
    if isinstance(work.get("assignments"), list):
        work["assignments"] = [item for item in work["assignments"] if _remap_assignment(item, ids, notes)]
    special = _SPECIAL.get(policy_type)
    if special is not None:
        special(work, ids, notes)
    return Remapped(
        content=work,
        notes=tuple(notes),
        blocked=tuple(notes.blocked),
        missing_exclusions=tuple(dict.fromkeys(notes.missing_exclusions)),
    )


_CREATE_IT = "Create what is missing in the target (same display name), then restore again."
_CROSS_TENANT_CA = (
    "Restore the policy without that exclusion only by hand, or restore it within its own tenant."
)
CA_USER_KEYWORDS = frozenset({"All", "None", "GuestsOrExternalUsers"})
CA_LOCATION_KEYWORDS = frozenset({"All", "AllTrusted"})
"""Values of a CA policy's user and location lists that are the same in every tenant (not IDs)."""


class _Notes(list[str]):
    """Notes on what was left off, plus what blocks the whole item (a widening it must not make)."""

    def __init__(self) -> None:
        super().__init__()
        self.blocked: list[str] = []
        self.missing_exclusions: list[str] = []

    def block(self, label: str, missing: str, kind: str = "Group", fix: str = _CREATE_IT) -> None:
        """An exclusion of `label` (a group unless `kind` says otherwise) that cannot be restored
        (`missing` says why): noted (so a preview shows it) and blocking the item."""
        self.missing_exclusions.append(label if kind == "Group" else f"{kind.lower()} {label}")
        reason = (
            f"{kind} {_quoted(label)} is excluded {missing}; without the exclusion the policy would "
            f"apply to more users or devices, so the item is not written. {fix}"
        )
        self.blocked.append(reason)
        self.append(reason)


def _scope_tags(tags: list[Any], ids: IdMap, notes: _Notes) -> list[str]:
    mapped: list[str] = []
    for tag in tags:
        target = ids.scope_tags.get(str(tag), DEFAULT_SCOPE_TAG if str(tag) == DEFAULT_SCOPE_TAG else None)
        if target is None:
            notes.append(f"Scope tag {_named(ids, str(tag))} does not exist in the target; it was left off.")
        elif target not in mapped:
            mapped.append(target)
    return mapped or [DEFAULT_SCOPE_TAG]


def _remap_assignment(item: Any, ids: IdMap, notes: _Notes) -> bool:
    """Rewrite one assignment in place; False when it cannot be restored (then a note says why).
    An exclusion that cannot be restored stays as it is and blocks the item."""
    target = item.get("target") if isinstance(item, dict) else None
    if not isinstance(target, dict):
        return True
    group = target.get("groupId")
    exclusion = target.get("@odata.type") == EXCLUSION_TARGET
    if group:
        mapped = ids.groups.get(str(group))
        if mapped is None and exclusion:
            notes.block(_group_label(ids, str(group)), "by an assignment but does not exist in the target")
            return True
        if mapped is None:
            notes.append(
                f"Assignment to group {_group(ids, str(group))} not restored: no such group in the target."
            )
            return False
        target["groupId"] = mapped
    filter_id = target.get("deviceAndAppManagementAssignmentFilterId")
    if filter_id and filter_id != NO_TEMPLATE:
        mapped = ids.filters.get(str(filter_id))
        if mapped is None and exclusion:
            notes.block(
                _group_label(ids, str(group)),
                f"by an assignment whose filter {_named(ids, str(filter_id))} does not exist in the target",
            )
            return True
        if mapped is None:
            what = (
                f"group {_group(ids, str(group))}"
                if group
                else str(target.get("@odata.type", "")).rsplit(".", 1)[-1]
            )
            notes.append(
                f"Assignment to {what} not restored: its assignment filter {_named(ids, str(filter_id))} "
                "does not exist in the target."
            )
            return False
        target["deviceAndAppManagementAssignmentFilterId"] = mapped
    return True


def _compliance(content: dict[str, Any], ids: IdMap, notes: _Notes) -> None:
    """Notification templates and CC groups of compliance actions; an action whose template is
    missing is dropped (the block action never refers to one)."""
    for rule in content.get("scheduledActionsForRule") or []:
        kept = []
        for action in rule.get("scheduledActionConfigurations") or []:
            template = action.get("notificationTemplateId")
            if template and template != NO_TEMPLATE:
                mapped = ids.notification_templates.get(str(template))
                if mapped is None:
                    notes.append(
                        f"Compliance action '{action.get('actionType')}' of rule '{rule.get('ruleName')}' "
                        f"not restored: notification template {_named(ids, str(template))} does not "
                        "exist in the target."
                    )
                    continue
                action["notificationTemplateId"] = mapped
            if isinstance(action.get("notificationMessageCCList"), list):
                action["notificationMessageCCList"] = _groups(
                    action["notificationMessageCCList"], ids, notes, "CC of a compliance notification"
                )
            kept.append(action)
        rule["scheduledActionConfigurations"] = kept


def _conditional_access(content: dict[str, Any], ids: IdMap, notes: _Notes) -> None:
    """Included groups the target lacks are left off (the policy covers fewer users); an excluded
    one blocks the policy and stays unmapped. Users and named locations are not mapped between
    tenants (their IDs are the source tenant's own), so in another tenant an exclusion of either
    blocks the policy too; included ones go through as they are."""
    conditions = content.get("conditions") or {}
    if not ids.same_tenant():
        _unmapped_exclusions(conditions, notes)
    users = conditions.get("users")
    if not isinstance(users, dict):
        return
    if isinstance(users.get("includeGroups"), list):
        users["includeGroups"] = _groups(users["includeGroups"], ids, notes, "conditions.users.includeGroups")
    excluded = users.get("excludeGroups")
    if isinstance(excluded, list):
        for group in excluded:
            if str(group) not in ids.groups:
                notes.block(
                    _group_label(ids, str(group)),
                    "in conditions.users.excludeGroups but does not exist in the target",
                )
        users["excludeGroups"] = [ids.groups.get(str(group), group) for group in excluded]


def _unmapped_exclusions(conditions: Mapping[str, Any], notes: _Notes) -> None:
    for section, key, keywords, kind in (
        ("users", "excludeUsers", CA_USER_KEYWORDS, "User"),
        ("locations", "excludeLocations", CA_LOCATION_KEYWORDS, "Named location"),
    ):
        values = (conditions.get(section) or {}).get(key)
        for value in values if isinstance(values, list) else []:
            if str(value) not in keywords:
                notes.block(
                    str(value),
                    f"in conditions.{section}.{key}, and {kind.lower()}s are not mapped between tenants",
                    kind=kind,
                    fix=_CROSS_TENANT_CA,
                )


def _app_configuration(content: dict[str, Any], ids: IdMap, notes: _Notes) -> None:
    apps = content.get("targetedMobileApps")
    if not isinstance(apps, list):
        return
    mapped = []
    for app in apps:
        target = ids.mobile_apps.get(str(app))
        if target is None:
            notes.append(
                f"Targeted app {_named(ids, str(app))} does not exist in the target; add the app, then "
                "restore again."
            )
        else:
            mapped.append(target)
    content["targetedMobileApps"] = mapped


def _groups(groups: list[Any], ids: IdMap, notes: _Notes, where: str) -> list[str]:
    mapped = []
    for group in groups:
        target = ids.groups.get(str(group))
        if target is None:
            notes.append(
                f"Group {_group(ids, str(group))} in {where} not restored: no such group in the target."
            )
        else:
            mapped.append(target)
    return mapped


def _group(ids: IdMap, group_id: str) -> str:
    name = ids.group_names.get(group_id)
    return f"'{name}'" if name else f"with ID {group_id}"


def _group_label(ids: IdMap, group_id: str) -> str:
    """A group's source display name, else its ID."""
    return ids.group_names.get(group_id) or group_id


def _quoted(label: str) -> str:
    return f"'{label}'"


def _named(ids: IdMap, source_id: str) -> str:
    name = ids.names.get(source_id)
    return f"'{name}'" if name else f"with ID {source_id}"


_SPECIAL: Mapping[str, Callable[[dict[str, Any], IdMap, _Notes], None]] = MappingProxyType(
    {
        "deviceCompliancePolicies": _compliance,
        "conditionalAccessPolicies": _conditional_access,
        "mobileAppConfigurations": _app_configuration,
    }
)
