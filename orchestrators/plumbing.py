"""What every orchestrator needs from Durable Functions, written once: retry options for activities, timers
clamped to sane bounds, results of tasks handed back by `task_any`, and the chunked loop that runs chunk
activities in parallel, reports progress as each ends and waits out throttling with a durable timer before
running the throttled items again.

Deterministic like the orchestrators that use it: no I/O, time from the context, logs only when not
replaying. Long waits belong here, in durable timers, never in a sleeping activity.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Generator, Sequence
from datetime import timedelta
from typing import Any

import azure.durable_functions as df

from shared.jobs.messages import Activity, ChunkOutcome, ChunkRequest, RunEnd, RunEnded

log = logging.getLogger(__name__)

Task = Any
"""A durable task as the SDK hands it out (it exports no public task type)."""

ACTIVITY_RETRY = df.RetryOptions(first_retry_interval_in_milliseconds=2000, max_number_of_attempts=3)
"""For activity failures (storage hiccups), retried by the host; Graph errors are outcomes, not failures."""
MAX_ATTEMPTS = 5
"""Rounds of a throttled step: the last one records what Graph still throttles as failed."""
MIN_WAIT_SECONDS = 1.0
MAX_WAIT_SECONDS = 300.0


def timer(context: df.DurableOrchestrationContext, seconds: float) -> Task:
    """A durable timer of `seconds`, clamped to [MIN_WAIT_SECONDS, MAX_WAIT_SECONDS]."""
    wait = min(max(seconds, MIN_WAIT_SECONDS), MAX_WAIT_SECONDS)
    return context.create_timer(context.current_utc_datetime + timedelta(seconds=wait))


def end_run(context: df.DurableOrchestrationContext, end: RunEnd) -> Generator[Task, Any, RunEnded]:
    """The run's last step, whatever happened before: ended from its items (`end.error` makes it failed)."""
    ended: RunEnded = yield context.call_activity_with_retry(Activity.END_RUN, ACTIVITY_RETRY, end)
    if not context.is_replaying:
        log.info("Run %s ended %s", end.run_id, ended.status)
    return ended


def wait_all(
    context: df.DurableOrchestrationContext, tasks: Sequence[Task]
) -> Generator[Task, Any, list[Any]]:
    """Every task's result, or the exception it failed with, in the order given. Unlike `task_all`, which
    fails at the first failure, this waits for all of them: nothing may still run when the caller goes on
    (and, for a backup, drops the staging files the others read)."""
    running = list(tasks)
    while running:
        finished = yield context.task_any(running)
        running.remove(finished)
    return [task.result for task in tasks]


def result(task: Task) -> Any:
    """A finished task's result; task_any hands back a failed task as finished: raise its error."""
    if isinstance(task.result, Exception):
        raise task.result
    return task.result


def run_chunks[ChunkT: ChunkRequest](
    context: df.DurableOrchestrationContext,
    activity: Activity,
    chunks: Sequence[ChunkT],
    outcomes: Sequence[str],
    report: Callable[[int], Task],
) -> Generator[Task, Any, dict[str, int]]:
    """Run `activity` once per chunk, in parallel; the counts of each outcome over all chunks.

    Each chunk's answer (`ChunkOutcome`) counts its items under `outcomes` and hands back the IDs
    Graph throttled. As each chunk ends with items settled, `report(processed so far)` is yielded:
    absolute, so a replayed report changes nothing. Throttled items are run again, only them, after a
    durable timer; on the last attempt (`final_attempt`) the activity records them as failed.
    """
    pending: list[ChunkT] = list(chunks)
    totals = dict.fromkeys(outcomes, 0)
    for attempt in range(MAX_ATTEMPTS):
        final = attempt == MAX_ATTEMPTS - 1
        tasks = [
            context.call_activity_with_retry(
                activity, ACTIVITY_RETRY, chunk.model_copy(update={"final_attempt": final})
            )
            for chunk in pending
        ]
        retry: list[tuple[ChunkT, float]] = []
        running = list(tasks)
        while running:
            finished = yield context.task_any(running)
            running.remove(finished)
            answer: ChunkOutcome = result(finished)
            settled = 0
            for outcome in outcomes:
                totals[outcome] += answer.count(outcome)
                settled += answer.count(outcome)
            if answer.throttled:
                chunk = pending[tasks.index(finished)]
                retry.append((chunk.model_copy(update={"retry": answer.throttled}), answer.retry_after))
            if settled:
                yield report(sum(totals.values()))
        if not retry:
            break
        pending = [chunk for chunk, _ in retry]
        if not context.is_replaying:
            log.info("%s: %d chunk(s) throttled (attempt %d)", activity, len(retry), attempt + 1)
        yield timer(context, max(wait for _, wait in retry))
    return totals
