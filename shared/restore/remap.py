"""IDs that differ between tenants, rewritten into the target's space by natural key (display name).

References are matched by `shared/restore/idmap.py`. A reference without a match in the target is
never invented: scope tags fall back to Default, and an assignment to a missing group or filter is
dropped with a note naming what is missing (the item then applies to fewer users or devices).
An exclusion cannot be dropped that way: without it the item would apply to more of them. An
exclusion of a missing group (an `exclusionGroupAssignmentTarget`, a conditional access policy's
`excludeGroups`), and a reference whose absence would change what an item does (a named location,
an authentication strength, a reusable setting: `remap_types.py`), block the item instead
(`Remapped.blocked`); `write_item` then writes nothing. Groups and apps are never created.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from shared.restore.idmap import DEFAULT_SCOPE_TAG, REFERENCE_KINDS, IdMap, build_id_map, kinds_for
from shared.restore.remap_notes import Notes, group_label, group_ref, named
from shared.restore.remap_types import NO_TEMPLATE, SPECIAL

__all__ = [
    "DEFAULT_SCOPE_TAG",
    "NO_TEMPLATE",
    "REFERENCE_KINDS",
    "IdMap",
    "Remapped",
    "build_id_map",
    "kinds_for",
    "remap_content",
]

EXCLUSION_TARGET = "#microsoft.graph.exclusionGroupAssignmentTarget"


@dataclass(frozen=True)
class Remapped:
    content: dict[str, Any]
    notes: tuple[str, ...]
    blocked: tuple[str, ...] = ()
    """Why writing the item would change whom it applies to or what it does (an excluded group or a
    named location the target lacks); such an item must not be written. The content keeps those
    references unmapped."""
    missing_exclusions: tuple[str, ...] = ()
    """What blocks the item: display names (else IDs) of the excluded groups the target lacks, and
    `<kind> <name>` of other missing references (`named location HQ`)."""


def remap_content(policy_type: str, content: Mapping[str, Any], ids: IdMap) -> Remapped:
    """Source content with scope tags, filters, templates, groups and apps rewritten into the target."""
    work = copy.deepcopy(dict(content))
    notes = Notes()
    for key in ("roleScopeTagIds", "roleScopeTags"):
        if isinstance(work.get(key), list):
            work[key] = _scope_tags(work[key], ids, notes)
    if isinstance(work.get("assignments"), list):
        work["assignments"] = [item for item in work["assignments"] if _remap_assignment(item, ids, notes)]
    special = SPECIAL.get(policy_type)
    if special is not None:
        special(work, ids, notes)
    return Remapped(
        content=work,
        notes=tuple(notes),
        blocked=tuple(notes.blocked),
        missing_exclusions=tuple(dict.fromkeys(notes.missing_exclusions)),
    )


def _scope_tags(tags: list[Any], ids: IdMap, notes: Notes) -> list[str]:
    mapped: list[str] = []
    for tag in tags:
        target = ids.scope_tags.get(str(tag), DEFAULT_SCOPE_TAG if str(tag) == DEFAULT_SCOPE_TAG else None)
        if target is None:
            notes.append(f"Scope tag {named(ids, str(tag))} does not exist in the target; it was left off.")
        elif target not in mapped:
            mapped.append(target)
    return mapped or [DEFAULT_SCOPE_TAG]


def _remap_assignment(item: Any, ids: IdMap, notes: Notes) -> bool:
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
            notes.block(group_label(ids, str(group)), "by an assignment but does not exist in the target")
            return True
        if mapped is None:
            notes.append(
                f"Assignment to group {group_ref(ids, str(group))} not restored: no such group in the target."
            )
            return False
        target["groupId"] = mapped
    filter_id = target.get("deviceAndAppManagementAssignmentFilterId")
    if filter_id and filter_id != NO_TEMPLATE:
        mapped = ids.filters.get(str(filter_id))
        if mapped is None and exclusion:
            notes.block(
                group_label(ids, str(group)),
                f"by an assignment whose filter {named(ids, str(filter_id))} does not exist in the target",
            )
            return True
        if mapped is None:
            what = (
                f"group {group_ref(ids, str(group))}"
                if group
                else str(target.get("@odata.type", "")).rsplit(".", 1)[-1]
            )
            notes.append(
                f"Assignment to {what} not restored: its assignment filter {named(ids, str(filter_id))} "
                "does not exist in the target."
            )
            return False
        target["deviceAndAppManagementAssignmentFilterId"] = mapped
    return True
