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

import logging
from collections.abc import Generator
from typing import Any

import azure.durable_functions as df

from orchestrators.plumbing import ACTIVITY_RETRY, MAX_ATTEMPTS, Task, run_chunks, timer

bp = df.Blueprint()
log = logging.getLogger(__name__)

SETTLED = ("succeeded", "failed", "skipped", "conflict")
"""The outcome counts of a chunk's answer; a throttled item handed back has none yet."""


@bp.orchestration_trigger(context_name="context")
def restore(context: df.DurableOrchestrationContext) -> Generator[Task, Any, Any]:
    job: dict[str, Any] = context.get_input()
    ref = {"tenant_id": job["tenantId"], "run_id": job["runId"]}
    error: str | None = None
    try:
        begun = yield context.call_activity_with_retry("begin_restore", ACTIVITY_RETRY, ref)
        if not begun["active"]:
            return begun
        error = begun.get("error")
        if error is None and begun["mode"] == "preview":
            yield from _chunks(context, ref, "restore_plan_chunk", begun["chunks"], "plan")
            yield context.call_activity_with_retry("restore_finish_preview", ACTIVITY_RETRY, ref)
        elif error is None:
            error = yield from _safety(context, ref)
            for index, group in enumerate(begun["groups"] if error is None else []):
                yield from _chunks(context, ref, "restore_apply_chunk", group, f"write{index}")
    except Exception as exc:  # noqa: BLE001 - the SDK raises bare Exception for an activity that failed
        error = f"The restore stopped on an internal error: {exc}"
    ended = yield context.call_activity_with_retry("end_run", ACTIVITY_RETRY, {**ref, "error": error})
    if not context.is_replaying:
        log.info("Restore run %s ended %s", job["runId"], ended["status"])
    return ended


def _safety(context: df.DurableOrchestrationContext, ref: dict[str, Any]) -> Generator[Task, Any, str | None]:
    """The safety backup before the first write; throttling waited out, an error stops the run."""
    for attempt in range(MAX_ATTEMPTS):
        answer = yield context.call_activity_with_retry("restore_safety_backup", ACTIVITY_RETRY, ref)
        if not answer.get("throttled"):
            return answer.get("error")
        if attempt < MAX_ATTEMPTS - 1:
            yield timer(context, float(answer["retryAfter"]))
    return "Graph kept throttling the safety backup; nothing was written."


def _chunks(
    context: df.DurableOrchestrationContext,
    ref: dict[str, Any],
    activity: str,
    chunks: list[dict[str, Any]],
    part: str,
) -> Generator[Task, Any, dict[str, int]]:
    """The chunks of one part (the plan, a write group), reporting the part's progress as each ends."""
    return (
        yield from run_chunks(
            context,
            activity,
            chunks,
            lambda chunk, final: {
                "tenantId": ref["tenant_id"], "runId": ref["run_id"], "chunk": chunk, "finalAttempt": final
            },
            SETTLED,
            lambda processed: context.call_activity_with_retry(
                "restore_progress", ACTIVITY_RETRY, {**ref, "part": part, "processed": processed}
            ),
        )
    )
