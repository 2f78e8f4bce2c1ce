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
from datetime import timedelta
from typing import Any

import azure.durable_functions as df

bp = df.Blueprint()
log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
MIN_WAIT_SECONDS = 1.0
MAX_WAIT_SECONDS = 300.0
ACTIVITY_RETRY = df.RetryOptions(first_retry_interval_in_milliseconds=2000, max_number_of_attempts=3)
SETTLED = ("succeeded", "failed", "skipped", "conflict")
"""The outcome counts of a chunk's answer; a throttled item handed back has none yet."""

Task = Any


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
            yield _timer(context, float(answer["retryAfter"]))
    return "Graph kept throttling the safety backup; nothing was written."


def _chunks(
    context: df.DurableOrchestrationContext,
    ref: dict[str, Any],
    activity: str,
    chunks: list[dict[str, Any]],
    part: str,
) -> Generator[Task, Any]:
    """Run the chunks in parallel, reporting the part's progress as each ends; throttled items are
    called again (only them) after a durable timer, and on the last attempt they are recorded as failed."""
    pending = list(chunks)
    processed = 0
    for attempt in range(MAX_ATTEMPTS):
        final = attempt == MAX_ATTEMPTS - 1
        tasks = [
            context.call_activity_with_retry(
                activity,
                ACTIVITY_RETRY,
                {"tenantId": ref["tenant_id"], "runId": ref["run_id"], "chunk": chunk, "finalAttempt": final},
            )
            for chunk in pending
        ]
        retry: list[tuple[dict[str, Any], float]] = []
        running = list(tasks)
        while running:
            finished = yield context.task_any(running)
            running.remove(finished)
            answer = _result(finished)
            if answer["throttled"]:
                chunk = pending[tasks.index(finished)]
                retry.append(({**chunk, "retry": answer["throttled"]}, float(answer["retryAfter"])))
            settled = sum(int(answer[outcome]) for outcome in SETTLED)
            if settled:
                processed += settled
                yield context.call_activity_with_retry(
                    "restore_progress", ACTIVITY_RETRY, {**ref, "part": part, "processed": processed}
                )
        if not retry:
            return
        pending = [chunk for chunk, _ in retry]
        if not context.is_replaying:
            log.info("%s: %d chunk(s) throttled (attempt %d)", activity, len(retry), attempt + 1)
        yield _timer(context, max(wait for _, wait in retry))


def _result(task: Task) -> Any:
    """A finished task's result; task_any hands back a failed task as finished: raise its error."""
    if isinstance(task.result, Exception):
        raise task.result
    return task.result


def _timer(context: df.DurableOrchestrationContext, seconds: float) -> Task:
    wait = min(max(seconds, MIN_WAIT_SECONDS), MAX_WAIT_SECONDS)
    return context.create_timer(context.current_utc_datetime + timedelta(seconds=wait))
