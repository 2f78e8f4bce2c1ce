"""How the diff pairs up the items of two arrays: by natural key, never by position.

Graph returns sub-collections in no promised order, and their IDs differ between captures and
between tenants, so an item is recognised by what it configures: a setting by its definition ID,
a group policy value by its definition, a compliance action by its action type, an assignment by
its target. Scalar arrays whose order carries no meaning (scope tags, group lists) compare as sets.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

ItemKey = Callable[[Mapping[str, Any]], tuple[str, ...]]
"""Labels for one item, each more specific than the last; the diff uses the first that is unique."""

Labelled = list[tuple[tuple[str, ...], Any]]
"""Items with their labels (see `ItemKey`)."""

MISSING: Any = object()
"""Stands for the side of a pair where the item does not exist."""

SET_FIELDS = frozenset(
    {
        "roleScopeTagIds",
        "roleScopeTags",
        "notificationMessageCCList",
        "allowedResourceActions",
        "notAllowedResourceActions",
        "resourceScopes",
        "members",
        "scopeMembers",
        "includeUsers",
        "excludeUsers",
        "includeGroups",
        "excludeGroups",
        "includeRoles",
        "excludeRoles",
        "includeApplications",
        "excludeApplications",
        "includePlatforms",
        "excludePlatforms",
        "includeLocations",
        "excludeLocations",
        "clientAppTypes",
        "builtInControls",
    }
)
"""Scalar arrays that are sets in Intune and Entra: a reordering there is not a change."""

ROWS_FIELD = "groupSettingCollectionValue"
"""Rows of a settings catalog group collection: no key of their own, paired by content instead."""

_TARGET_KINDS = {
    "#microsoft.graph.groupAssignmentTarget": "group",
    "#microsoft.graph.exclusionGroupAssignmentTarget": "exclude",
    "#microsoft.graph.allDevicesAssignmentTarget": "allDevices",
    "#microsoft.graph.allLicensedUsersAssignmentTarget": "allUsers",
    "#microsoft.graph.configurationManagerCollectionAssignmentTarget": "collection",
}
_BOUND_ID = re.compile(r"\('([^']*)'\)\s*$")


def _text(value: Any) -> str:
    return "" if value is None else value if isinstance(value, str) else json.dumps(value, sort_keys=True)


def _refined(*parts: Any) -> tuple[str, ...]:
    """(a, a:b, a:b:c): each label adds one disambiguating part to the one before."""
    labels, current = [], ""
    for index, part in enumerate(parts):
        current = _text(part) if index == 0 else f"{current}:{_text(part)}"
        labels.append(current)
    return tuple(labels)


def _setting_key(item: Mapping[str, Any]) -> tuple[str, ...]:
    instance = item.get("settingInstance")
    source = instance if isinstance(instance, Mapping) else item
    return (_text(source.get("settingDefinitionId") or item.get("definitionId")),)


def _referenced_id(item: Mapping[str, Any], name: str) -> str:
    """The ID an item refers to, expanded (`definition.id`) or bound (`definition@odata.bind`)."""
    expanded = item.get(name)
    if isinstance(expanded, Mapping) and expanded.get("id"):
        return _text(expanded["id"])
    bound = _BOUND_ID.search(_text(item.get(f"{name}@odata.bind")))
    return bound.group(1) if bound else _text(item.get(f"{name}Id"))


def assignment_key(item: Mapping[str, Any]) -> tuple[str, ...]:
    """`group:<id>`, `exclude:<id>`, `allDevices`...; the filter only tells apart duplicates, so a
    changed filter on one target reads as a change of that assignment, not a remove and an add."""
    target = item.get("target")
    target = target if isinstance(target, Mapping) else {}
    odata_type = _text(target.get("@odata.type"))
    kind = _TARGET_KINDS.get(odata_type, odata_type.rsplit(".", 1)[-1])
    subject = target.get("groupId") or target.get("collectionId")
    primary = f"{kind}:{subject}" if subject else kind
    return _refined(
        primary,
        target.get("deviceAndAppManagementAssignmentFilterType"),
        target.get("deviceAndAppManagementAssignmentFilterId"),
        item.get("intent"),
    )


def _app_key(item: Mapping[str, Any]) -> tuple[str, ...]:
    identifier = item.get("mobileAppIdentifier")
    identifier = identifier if isinstance(identifier, Mapping) else {}
    for name in ("bundleId", "packageId", "windowsAppId", "productName"):
        if identifier.get(name):
            return (_text(identifier[name]),)
    return (_text(identifier),)


KEYS_BY_FIELD: Mapping[str, ItemKey] = {
    "settings": _setting_key,
    "children": _setting_key,
    "definitionValues": lambda item: (_referenced_id(item, "definition"),),
    "presentationValues": lambda item: (_referenced_id(item, "presentation"),),
    "scheduledActionsForRule": lambda item: (_text(item.get("ruleName")) or "default",),
    "scheduledActionConfigurations": lambda item: _refined(
        item.get("actionType"), item.get("notificationTemplateId"), item.get("gracePeriodHours")
    ),
    "assignments": assignment_key,
    "localizedNotificationMessages": lambda item: (_text(item.get("locale")).lower(),),
    "omaSettings": lambda item: (_text(item.get("omaUri")),),
    "roleAssignments": lambda item: (_text(item.get("displayName")),),
    "apps": _app_key,
}
"""Array fields (by name, at any depth) whose items have a natural key."""

_KEYS_BY_SHAPE: tuple[tuple[str, ItemKey], ...] = (
    ("target", assignment_key),
    ("settingInstance", _setting_key),
    ("settingDefinitionId", _setting_key),
    ("omaUri", KEYS_BY_FIELD["omaSettings"]),
)
"""For arrays not named above (e.g. assignments under another property name): recognised by their items."""


def item_key_for(field: str, before: Sequence[Any], after: Sequence[Any]) -> ItemKey | None:
    """The natural key of a field's items, or None when they have none (then order is compared)."""
    items = [*before, *after]
    if not items or not all(isinstance(item, Mapping) for item in items):
        return None
    if field in KEYS_BY_FIELD:
        return KEYS_BY_FIELD[field]
    for marker, key in _KEYS_BY_SHAPE:
        if all(marker in item for item in items):
            return key
    return None


def pair_by_key(
    before: Sequence[Mapping[str, Any]], after: Sequence[Mapping[str, Any]], key: ItemKey
) -> list[tuple[str, Any, Any]]:
    """(label, before item or MISSING, after item or MISSING), sorted by label.

    An item's label is the shortest of its labels that tells apart the items on its side sharing
    its first label; items alike in every label are told apart by occurrence after sorting them
    by content, so reordering them still pairs like with like.
    """
    sides = [_group([(key(item), item) for item in side]) for side in (before, after)]
    labelled_before: dict[str, Any] = {}
    labelled_after: dict[str, Any] = {}
    for primary in sides[0].keys() | sides[1].keys():
        groups = [side.get(primary, []) for side in sides]
        depth = _depth_needed(groups)
        for group, out in zip(groups, (labelled_before, labelled_after), strict=True):
            _label_group(group, depth, out)
    return [
        (label, labelled_before.get(label, MISSING), labelled_after.get(label, MISSING))
        for label in sorted(labelled_before.keys() | labelled_after.keys())
    ]


def _group(entries: Labelled) -> dict[str, Labelled]:
    groups: dict[str, Labelled] = {}
    for labels, item in entries:
        groups.setdefault(labels[0], []).append((labels, item))
    return groups


def _depth_needed(groups: list[Labelled]) -> int:
    """How many labels it takes until no two items on one side share one."""
    width = max(len(labels) for group in groups for labels, _ in group)
    depth = 1
    while depth < width and any(
        len({labels[:depth] for labels, _ in group}) < len(group) for group in groups
    ):
        depth += 1
    return depth


def _label_group(group: Labelled, depth: int, out: dict[str, Any]) -> None:
    if len(group) > 1:
        group = sorted(group, key=lambda entry: (entry[0], json.dumps(entry[1], sort_keys=True, default=str)))
    for labels, item in group:
        label = labels[depth - 1]
        occurrence, unique = 1, label
        while unique in out:
            occurrence += 1
            unique = f"{label}#{occurrence}"
        out[unique] = item


def pair_rows(
    before: Sequence[Any], after: Sequence[Any], distance: Callable[[Any, Any], int]
) -> list[tuple[str, Any, Any]]:
    """Pair the rows of a group collection: equal rows first, then each left-over before row with
    the after row it differs least from. Labels are positions in `after` (`before:<n>` for removed
    rows), for reading only: a reordering of rows is no change."""
    unmatched_after = list(range(len(after)))
    pairs: dict[int, int] = {}
    for allow_changes in (False, True):
        for index_before in range(len(before)):
            if index_before in pairs or not unmatched_after:
                continue
            scored = [(distance(before[index_before], after[index]), index) for index in unmatched_after]
            best_distance, best = min(scored)
            if best_distance == 0 or allow_changes:
                pairs[index_before] = best
                unmatched_after.remove(best)
    paired_by_after = {index_after: before[index] for index, index_after in pairs.items()}
    rows = [(str(index), paired_by_after.get(index, MISSING), row) for index, row in enumerate(after)]
    return rows + [
        (f"before:{index}", row, MISSING) for index, row in enumerate(before) if index not in pairs
    ]
