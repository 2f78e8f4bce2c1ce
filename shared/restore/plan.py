"""The preview's decision per item: find the item's counterpart in the target, and say what a live
restore would do (create, update, unchanged, skip with a reason, conflict) with a field-level diff
of the target's live state against the remapped source.

Matching: in the same tenant by ID first, then by natural key; from another tenant by natural key
only (IDs mean nothing there). Two target objects with the item's name are a conflict: writing
either would be a guess. `decide` is pure; `plan_items` does the reads, with read-only clients.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from shared.graph import GraphClient, GraphError, GraphThrottled
from shared.intune.capture import CapturedPolicy, capture_policies_batched
from shared.intune.catalog import BY_NAME
from shared.intune.diff import diff_policies
from shared.intune.normalize import SECRETS_MARKER
from shared.redact import redact
from shared.restore.lookup import NameIndex, match_filter, natural_key
from shared.restore.model import Action, PlannedItem, SourceItem, content_sha256
from shared.restore.remap import IdMap, Remapped, remap_content

ContentLoader = Callable[[SourceItem], Mapping[str, Any]]


def skip_reason(item: SourceItem, content: Mapping[str, Any]) -> str | None:
    """Why the item is never written (capture-only type, service default), or None."""
    entry = BY_NAME.get(item.policy_type)
    if entry is None:
        return f"Type '{item.policy_type}' is unknown to this version of TenantAtlas."
    if entry.not_restorable_reason is not None:
        return entry.not_restorable_reason
    if entry.skip is not None and entry.skip.applies_to({**content, "id": item.policy_id}):
        return entry.skip.reason
    return None


def secret_notes(content: Mapping[str, Any]) -> tuple[str, ...]:
    """A note naming the secrets the backup could not capture (they are never written)."""
    missing = content.get(SECRETS_MARKER)
    if not isinstance(missing, list) or not missing:
        return ()
    return (f"Secrets not captured, so not written; set them in the target: {', '.join(map(str, missing))}.",)


def decide(
    item: SourceItem,
    content: Mapping[str, Any],
    remapped: Remapped,
    matches: Sequence[str],
    live: Mapping[str, Any] | None,
) -> PlannedItem:
    """The action for one item given its target matches and (one match) the target's normalized content."""
    reason = skip_reason(item, content)
    if reason is not None:
        return PlannedItem(item, Action.SKIP, reason=reason)
    notes = (*remapped.notes, *secret_notes(content))
    if remapped.blocked:
        return PlannedItem(item, Action.SKIP, notes=notes, reason=" ".join(remapped.blocked))
    if len(matches) > 1:
        name = natural_key(item.policy_type, content)
        return PlannedItem(
            item,
            Action.CONFLICT,
            notes=notes,
            reason=f"{len(matches)} objects named '{name}' exist in the target "
            f"({', '.join(sorted(matches))}); "
            "rename or delete all but one, then preview again.",
        )
    if not matches:
        entry = BY_NAME[item.policy_type]
        if entry.target_must_exist is not None:
            return PlannedItem(item, Action.SKIP, notes=notes, reason=entry.target_must_exist)
        created = diff_policies(item.policy_type, {}, remapped.content).to_api()
        return PlannedItem(item, Action.CREATE, diff=created, notes=notes)
    if live is None:
        raise ValueError(f"{item.item_id}: a single match needs the target's content to decide.")
    diff = diff_policies(item.policy_type, live, remapped.content)
    return PlannedItem(
        item,
        Action.UNCHANGED if diff.unchanged else Action.UPDATE,
        target_id=matches[0],
        target_sha256=content_sha256(live),
        diff=diff.to_api(),
        notes=notes,
    )


def settled_without_graph(items: Sequence[SourceItem], load: ContentLoader) -> list[PlannedItem] | None:
    """The plan of a chunk whose types are all capture-only (skipped whatever the target holds);
    None when any item needs the target to be read."""
    if any(entry is not None and entry.restorable for entry in (BY_NAME.get(i.policy_type) for i in items)):
        return None
    return [decide(item, load(item), Remapped({}, ()), [], None) for item in items]


@dataclass
class PlanOutcome:
    """A chunk's planned items, the items that failed (redacted error), and the ones Graph throttled."""

    planned: list[PlannedItem] = field(default_factory=list)
    failed: list[tuple[SourceItem, str]] = field(default_factory=list)
    throttled: list[SourceItem] = field(default_factory=list)
    retry_after: float = 0.0

    def throttle(self, item: SourceItem, error: GraphThrottled) -> None:
        self.throttled.append(item)
        self.retry_after = max(self.retry_after, error.retry_after)


def plan_items(
    target: GraphClient, ids: IdMap, items: Sequence[SourceItem], load: ContentLoader
) -> PlanOutcome:
    """Plan items of one or more types: target reads go 20 per `$batch` per type. Makes only GETs."""
    outcome = PlanOutcome()
    by_type: dict[str, list[SourceItem]] = {}
    for item in items:
        by_type.setdefault(item.policy_type, []).append(item)
    for policy_type, typed in by_type.items():
        _plan_type(target, ids, policy_type, typed, load, outcome)
    return outcome


def _plan_type(
    target: GraphClient,
    ids: IdMap,
    policy_type: str,
    items: list[SourceItem],
    load: ContentLoader,
    outcome: PlanOutcome,
) -> None:
    contents = {item.item_id: load(item) for item in items}
    pending: list[SourceItem] = []
    for item in items:
        if skip_reason(item, contents[item.item_id]) is not None:
            outcome.planned.append(decide(item, contents[item.item_id], Remapped({}, ()), [], None))
        else:
            pending.append(item)
    if not pending:
        return
    live: dict[str, CapturedPolicy] = {}
    matches: dict[str, list[str]] = {}
    if ids.same_tenant():
        for item, captured in zip(
            pending, _capture(target, policy_type, [i.policy_id for i in pending]), strict=True
        ):
            if isinstance(captured, CapturedPolicy):
                matches[item.item_id] = [item.policy_id]
                live[item.policy_id] = captured
    unmatched = [item for item in pending if item.item_id not in matches]
    if unmatched:
        try:
            index = NameIndex.listed(target, policy_type)
        except GraphThrottled as exc:
            for item in unmatched:
                outcome.throttle(item, exc)
        except GraphError as exc:
            error = redact(f"Looking the item up in the target failed: {exc}")
            outcome.failed.extend((item, error) for item in unmatched)
        else:
            for item in unmatched:
                content = contents[item.item_id]
                matches[item.item_id] = index.matches(
                    natural_key(policy_type, content), **match_filter(policy_type, content)
                )
    to_read = sorted({m[0] for m in matches.values() if len(m) == 1 and m[0] not in live})
    read = dict(zip(to_read, _capture(target, policy_type, to_read), strict=True))
    for item in pending:
        found = matches.get(item.item_id)
        if found is None:
            continue
        content = contents[item.item_id]
        current: CapturedPolicy | GraphError | None = None
        if len(found) == 1:
            current = live.get(found[0]) or read[found[0]]
        if isinstance(current, GraphThrottled):
            outcome.throttle(item, current)
        elif isinstance(current, GraphError) and current.status != 404:
            outcome.failed.append((item, redact(f"Reading the target object failed: {current}")))
        else:
            target_now = current.payload if isinstance(current, CapturedPolicy) else None
            remapped = remap_content(policy_type, content, ids)
            outcome.planned.append(
                decide(
                    item,
                    content,
                    remapped,
                    found if target_now is not None or len(found) != 1 else [],
                    target_now,
                )
            )


def _capture(client: GraphClient, policy_type: str, ids: list[str]) -> list[CapturedPolicy | GraphError]:
    """Batched capture with each failure as its error (a whole-call failure applies to every ID)."""
    if not ids:
        return []
    try:
        results = capture_policies_batched(client, policy_type, ids)
    except GraphError as exc:
        return [exc for _ in ids]
    return [r if isinstance(r, CapturedPolicy) else r.error for r in results]


def mark_name_clashes(items: Sequence[PlannedItem]) -> list[PlannedItem]:
    """Items that would write the same target object (two items matched to one target) keep only the
    first (in plan order); the others become conflicts. Creates that share a name all stay creates
    (the source has them all) with a note: a live run writes them one after another."""
    seen: dict[tuple[str, str], str] = {}
    named: dict[tuple[str, str], int] = {}
    for item in items:
        if item.action is Action.CREATE:
            key = (item.source.policy_type, item.source.display_name)
            named[key] = named.get(key, 0) + 1
    marked: list[PlannedItem] = []
    for item in items:
        if item.action is Action.CREATE and named[(item.source.policy_type, item.source.display_name)] > 1:
            count = named[(item.source.policy_type, item.source.display_name)]
            note = f"{count} items of this restore create objects named '{item.source.display_name}'."
            marked.append(replace(item, notes=(*item.notes, note)))
            continue
        if item.action not in (Action.UPDATE, Action.UNCHANGED) or item.target_id is None:
            marked.append(item)
            continue
        first = seen.setdefault((item.source.policy_type, item.target_id), item.item_id)
        if first == item.item_id:
            marked.append(item)
            continue
        marked.append(
            replace(
                item,
                action=Action.CONFLICT,
                reason=f"Item {first} of this restore writes the same target object; restore them one at a "
                "time or rename one.",
            )
        )
    return marked
