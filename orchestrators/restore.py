"""Orchestrator of a restore run, preview or live (the run type says which).

Preview: plan every chunk (an activity per chunk of at most 20 items, in parallel), join the plan,
end. Live: take the safety backup, then write group by group in catalog restore order (a group
starts when the previous one ended, so what it created is mapped by later groups), end.
Progress is reported as each chunk ends: a running figure per part (the plan, each write group),
absolute, so a retried or replayed report changes nothing (`advance_part`).
Throttling is waited out with durable timers here, never by sleeping in an activity: a chunk
hands back the items Graph throttled and is called again with only them.

Deterministic: no I/O, time from the context, logs only when not replaying.
"""

from __future__ import annotations

from collections.abc import Generator, Sequence
from typing import Any

import azure.durable_functions as df

from orchestrators.plumbing import ACTIVITY_RETRY, MAX_ATTEMPTS, Task, end_run, run_chunks, timer
from shared.jobs.messages import (
    Activity,
    ChunkRequest,
    ItemRange,
    Orchestrator,
    Output,
    PartProgress,
    RestoreBegun,
    RunEnd,
    RunRef,
    SafetyBackup,
)

bp = df.Blueprint()

SETTLED = ("succeeded", "failed", "skipped", "conflict")
"""The outcome counts of a chunk's answer; a throttled item handed back has none yet."""


@bp.function_name(Orchestrator.RESTORE)
@bp.orchestration_trigger(context_name="context")
def restore(context: df.DurableOrchestrationContext) -> Generator[Task, Any, Output]:
    ref: RunRef = context.get_input(expected_type=RunRef)
    error: str | None = None
    try:
        begun: RestoreBegun = yield context.call_activity_with_retry(
            Activity.BEGIN_RESTORE, ACTIVITY_RETRY, ref
        )
        if not begun.active:
            return begun.to_json()
        error = begun.error
        if error is None and begun.mode == "preview":
            yield from _chunks(context, ref, Activity.RESTORE_PLAN_CHUNK, begun.chunks, "plan")
            yield context.call_activity_with_retry(Activity.RESTORE_FINISH_PREVIEW, ACTIVITY_RETRY, ref)
        elif error is None:
            error = yield from _safety(context, ref)
            for index, group in enumerate(begun.groups if error is None else ()):
                yield from _chunks(context, ref, Activity.RESTORE_APPLY_CHUNK, group, f"write{index}")
    except Exception as exc:  # noqa: BLE001 - the SDK raises bare Exception for an activity that failed
        error = f"The restore stopped on an internal error: {exc}"
    ended = yield from end_run(context, RunEnd(tenant_id=ref.tenant_id, run_id=ref.run_id, error=error))
    return ended.to_json()


def _safety(context: df.DurableOrchestrationContext, ref: RunRef) -> Generator[Task, Any, str | None]:
    """The safety backup before the first write; throttling waited out, an error stops the run."""
    for attempt in range(MAX_ATTEMPTS):
        answer: SafetyBackup = yield context.call_activity_with_retry(
            Activity.RESTORE_SAFETY_BACKUP, ACTIVITY_RETRY, ref
        )
        if not answer.throttled:
            return answer.error
        if attempt < MAX_ATTEMPTS - 1:
            yield timer(context, answer.retry_after)
    return "Graph kept throttling the safety backup; nothing was written."


def _chunks(
    context: df.DurableOrchestrationContext,
    ref: RunRef,
    activity: Activity,
    ranges: Sequence[ItemRange],
    part: str,
) -> Generator[Task, Any, dict[str, int]]:
    """The chunks of one part (the plan, a write group), reporting the part's progress as each ends."""
    return (
        yield from run_chunks(
            context,
            activity,
            [
                ChunkRequest(tenant_id=ref.tenant_id, run_id=ref.run_id, start=r.start, end=r.end)
                for r in ranges
            ],
            SETTLED,
            lambda processed: context.call_activity_with_retry(
                Activity.RESTORE_PROGRESS,
                ACTIVITY_RETRY,
                PartProgress(tenant_id=ref.tenant_id, run_id=ref.run_id, part=part, processed=processed),
            ),
        )
    )
