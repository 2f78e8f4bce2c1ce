"""Write one planned item into the target, guarded against drift since the preview, and audited.

Per item: re-read the target; if its content hash differs from the preview's (or the object went
away, or a same-named object appeared where a create was planned) the outcome is `conflict` and
nothing is written, unless the caller asked to override. A target that already holds the source
(an earlier attempt of this activity wrote it) is not written again. Every write is one audit
event: who, run, item, action, target ID, content hash before and after.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from shared.audit import AuditLog, AuditOutcome
from shared.graph import GraphClient, GraphError, GraphNotFound, GraphThrottled, GraphWriteOutcomeUnknown
from shared.intune.capture import CapturedPolicy, capture_policy
from shared.intune.diff import diff_policies
from shared.redact import redact
from shared.restore.lookup import find_matches, natural_key
from shared.restore.model import WRITE_AUDIT_ACTION, Action, PlannedItem, bounded_notes, content_sha256
from shared.restore.plan import match_filter
from shared.restore.remap import IdMap, remap_content
from shared.restore.write import RestoreNotPossible, write_item
from shared.runs import ItemOutcome

ALREADY_WRITTEN = "The target already holds the source content; nothing was written."
LOST_ANSWER_LANDED = "The write's answer was lost; the target, read back, holds what was written."
INTERRUPTED_WRITE_COMPLETED = (
    "An earlier attempt of this run began writing this item and was interrupted; the write was completed."
)


@dataclass(frozen=True)
class WriteContext:
    """Who writes, in which run, and whether changes since the preview are overridden."""

    tenant_id: str
    run_id: str
    actor: str
    override_conflicts: bool
    audit: AuditLog
    keep_before_overwrite: Callable[[CapturedPolicy], str] | None = None
    """Records an object an override is about to overwrite that the safety backup could not know
    of (it took a planned create's name since the preview); returns the version ID."""
    intend: Callable[[PlannedItem], None] | None = None
    """Journals the item's write just before it is made (`shared.restore.journal`)."""


@dataclass
class ItemApplied:
    """The outcome of one item (what its run item records)."""

    outcome: ItemOutcome
    action: str
    target_id: str | None = None
    hash_before: str | None = None
    hash_after: str | None = None
    notes: list[str] = field(default_factory=list)
    reason: str | None = None
    error: str | None = None

    def details(self, planned: PlannedItem) -> dict[str, Any]:
        return {
            "plannedAction": planned.action.value,
            "targetId": self.target_id,
            "hashBefore": self.hash_before,
            "hashAfter": self.hash_after,
            "previewTargetSha256": planned.target_sha256,
            "sourceVersionId": planned.source.version_id,
            "notes": bounded_notes(self.notes),
        }


@dataclass(frozen=True)
class _Target:
    """The target object as it is now: its ID and normalized content (None: no such object)."""

    target_id: str | None
    captured: CapturedPolicy | None
    ambiguous: tuple[str, ...] = ()

    @property
    def content(self) -> dict[str, Any] | None:
        return None if self.captured is None else self.captured.payload


def settled_by_plan(planned: PlannedItem) -> ItemApplied | None:
    """The outcome of an item the preview already ruled out (skip, conflict): no Graph call needed."""
    if planned.action is Action.SKIP:
        return ItemApplied(ItemOutcome.SKIPPED, Action.SKIP.value, reason=planned.reason)
    if planned.action is Action.CONFLICT:
        return ItemApplied(ItemOutcome.CONFLICT, Action.CONFLICT.value, reason=planned.reason)
    return None


def apply_item(
    client: GraphClient,
    ids: IdMap,
    planned: PlannedItem,
    content: dict[str, Any],
    ctx: WriteContext,
    *,
    made_here: Sequence[str] = (),
    interrupted: bool = False,
) -> ItemApplied:
    """Apply one planned item. GraphThrottled propagates (the chunk hands the rest back for a timer);
    other Graph errors are a failed item. `made_here` are objects of the item's name this run created
    for other items (the source had several of that name): they are neither a match nor a drift.
    `interrupted`: the journal says an earlier attempt of this run began writing this item, so a drift
    it finds (the object it created, or the object it partly updated) is its own, completed here."""
    settled = settled_by_plan(planned)
    if settled is not None:
        return settled
    policy_type = planned.source.policy_type
    remapped = remap_content(policy_type, content, ids)
    try:
        now = _current(client, planned, content, made_here)
    except GraphNotFound:
        now = _Target(None, None)
    except GraphError as exc:
        if isinstance(exc, GraphThrottled):
            raise
        return ItemApplied(
            ItemOutcome.FAILED, planned.action.value, error=redact(f"Reading the target failed: {exc}")
        )
    if now.ambiguous:
        return ItemApplied(
            ItemOutcome.CONFLICT,
            Action.CONFLICT.value,
            reason=f"Objects {', '.join(now.ambiguous)} in the target have the item's name; "
            "nothing was written.",
        )
    hash_before = content_sha256(now.content) if now.content is not None else None
    if now.content is not None and diff_policies(policy_type, now.content, remapped.content).unchanged:
        unchanged = planned.action is Action.UNCHANGED
        return ItemApplied(
            ItemOutcome.SKIPPED if unchanged else ItemOutcome.SUCCEEDED,
            Action.UNCHANGED.value if unchanged else planned.action.value,
            target_id=now.target_id,
            hash_before=hash_before,
            hash_after=hash_before,
            notes=list(remapped.notes),
            reason="unchanged" if unchanged else ALREADY_WRITTEN,
        )
    drift = _drift(planned, now, hash_before)
    own_write = drift is not None and interrupted and now.content is not None
    if own_write:
        drift = None
    if drift is not None and not ctx.override_conflicts:
        return ItemApplied(
            ItemOutcome.CONFLICT,
            Action.CONFLICT.value,
            target_id=now.target_id,
            hash_before=hash_before,
            reason=drift,
        )
    kept_version = None
    if (
        drift is not None
        and planned.target_id is None
        and now.captured is not None
        and ctx.keep_before_overwrite
    ):
        kept_version = ctx.keep_before_overwrite(now.captured)
    if ctx.intend is not None:
        ctx.intend(planned)
    try:
        result = write_item(
            client,
            policy_type,
            content,
            target_id=now.target_id,
            ids=ids,
            source_id=planned.source.policy_id,
            existing=list(made_here) if now.target_id is None else None,
        )
    except RestoreNotPossible as exc:
        return ItemApplied(ItemOutcome.SKIPPED, Action.SKIP.value, reason=exc.reason)
    except GraphError as exc:
        if isinstance(exc, GraphThrottled):
            raise
        landed = _landed_after_all(client, planned, content, remapped.content, made_here, exc)
        if landed is not None:
            _audit(ctx, planned, AuditOutcome.SUCCEEDED, planned.action.value, landed.target_id, hash_before,
                   content_sha256(landed.content) if landed.content is not None else None)
            return ItemApplied(
                ItemOutcome.SUCCEEDED,
                planned.action.value,
                target_id=landed.target_id,
                hash_before=hash_before,
                hash_after=content_sha256(landed.content) if landed.content is not None else None,
                notes=[LOST_ANSWER_LANDED, *dict.fromkeys(remapped.notes)],
            )
        error = redact(f"Writing the item failed: {exc}")
        _audit(
            ctx, planned, AuditOutcome.FAILED, planned.action.value, now.target_id, hash_before, None, error
        )
        return ItemApplied(
            ItemOutcome.FAILED,
            planned.action.value,
            target_id=now.target_id,
            hash_before=hash_before,
            error=error,
        )
    hash_after = _hash_of(client, policy_type, result.target_id)
    action = Action.CREATE.value if result.action == "created" else Action.UPDATE.value
    notes = list(dict.fromkeys(result.notes))
    if own_write:
        action = planned.action.value
        notes.insert(0, INTERRUPTED_WRITE_COMPLETED)
    if drift is not None:
        notes.insert(0, f"Overrode a change since the preview: {drift}")
    if kept_version is not None:
        notes.insert(1, f"Its state before the write is version {kept_version} of this run.")
    _audit(ctx, planned, AuditOutcome.SUCCEEDED, action, result.target_id, hash_before, hash_after)
    return ItemApplied(
        ItemOutcome.SUCCEEDED,
        action,
        target_id=result.target_id,
        hash_before=hash_before,
        hash_after=hash_after,
        notes=notes,
    )


def _landed_after_all(
    client: GraphClient,
    planned: PlannedItem,
    content: dict[str, Any],
    wanted: dict[str, Any],
    made_here: Sequence[str],
    error: GraphError,
) -> _Target | None:
    """After a write whose answer stayed lost: the target read back, if it holds what was written."""
    if not isinstance(error, GraphWriteOutcomeUnknown):
        return None
    try:
        now = _current(client, planned, content, made_here)
    except GraphError:
        return None
    if now.content is None or now.ambiguous:
        return None
    return now if diff_policies(planned.source.policy_type, now.content, wanted).unchanged else None


def _audit(
    ctx: WriteContext,
    planned: PlannedItem,
    outcome: AuditOutcome,
    action: str,
    target_id: str | None,
    hash_before: str | None,
    hash_after: str | None,
    error: str | None = None,
) -> None:
    """One event per write (a write Graph refused too): who, run, item, action, target, hashes."""
    details: dict[str, Any] = {
        "itemId": planned.item_id,
        "action": action,
        "targetId": target_id,
        "hashBefore": hash_before,
        "hashAfter": hash_after,
    }
    if error is not None:
        details["error"] = error
    ctx.audit.record(
        ctx.tenant_id, WRITE_AUDIT_ACTION, ctx.actor, outcome, run_id=ctx.run_id, details=details
    )


def _current(
    client: GraphClient, planned: PlannedItem, content: dict[str, Any], made_here: Sequence[str]
) -> _Target:
    """The planned target read again; for a planned create, whatever now carries the item's name
    (but what this run created for other items of that name)."""
    policy_type = planned.source.policy_type
    if planned.target_id is not None:
        return _Target(planned.target_id, capture_policy(client, policy_type, planned.target_id))
    found = [
        target_id
        for target_id in find_matches(
            client, policy_type, natural_key(policy_type, content), **match_filter(policy_type, content)
        )
        if target_id not in made_here
    ]
    if not found:
        return _Target(None, None)
    if len(found) > 1:
        return _Target(None, None, tuple(sorted(found)))
    return _Target(found[0], capture_policy(client, policy_type, found[0]))


def _drift(planned: PlannedItem, now: _Target, hash_before: str | None) -> str | None:
    """What changed in the target since the preview, or None."""
    if planned.target_id is None:
        if now.target_id is not None:
            return (
                f"An object with the item's name ({now.target_id}) was created in the target "
                "since the preview."
            )
        return None
    if now.content is None:
        return f"The target object {planned.target_id} was deleted since the preview."
    if hash_before != planned.target_sha256:
        return f"The target object {planned.target_id} changed since the preview."
    return None


def _hash_of(client: GraphClient, policy_type: str, target_id: str) -> str | None:
    """The content hash of what the target holds after the write (None if it cannot be read now)."""
    try:
        return content_sha256(capture_policy(client, policy_type, target_id).payload)
    except GraphError:
        return None
