"""Orchestrator of a policy snapshot: begin the run, capture (waiting out throttling), end the run.

Deterministic: no I/O, time from the context, logs only when not replaying. Throttling that
outlasts the Graph client's own retry budget is sat out here with a durable timer, not in a
sleeping activity. Any activity that still fails after its retries ends the run as failed,
so a run never stays active (holding its dedupe key) because of an orchestration error.
"""

from __future__ import annotations

import logging
from collections.abc import Generator
from typing import Any

import azure.durable_functions as df

from orchestrators.plumbing import ACTIVITY_RETRY, Task, end_run, timer
from shared.jobs.messages import (
    Activity,
    CaptureAttempt,
    CaptureJob,
    CaptureOutcome,
    Orchestrator,
    Output,
    RunBegun,
    RunEnd,
    RunRef,
)

bp = df.Blueprint()
log = logging.getLogger(__name__)

MAX_CAPTURE_ATTEMPTS = 4
"""Capture activity calls in all; between them the orchestrator waits what Graph asked for."""


@bp.function_name(Orchestrator.CAPTURE_POLICY_SNAPSHOT)
@bp.orchestration_trigger(context_name="context")
def capture_policy_snapshot(
    context: df.DurableOrchestrationContext,
) -> Generator[Task, Any, Output]:
    job: CaptureJob = context.get_input(expected_type=CaptureJob)
    ref = RunRef(tenant_id=job.tenant_id, run_id=job.run_id)
    error: str | None
    try:
        begun: RunBegun = yield context.call_activity_with_retry(Activity.BEGIN_RUN, ACTIVITY_RETRY, ref)
        if not begun.active:
            return begun.to_json()
        outcome = yield from _capture(context, job)
        error = outcome.error
    except Exception as exc:  # noqa: BLE001 - the SDK raises bare Exception for an activity that failed
        error = f"The capture stopped on an internal error: {exc}"
    ended = yield from end_run(context, RunEnd(tenant_id=job.tenant_id, run_id=job.run_id, error=error))
    return ended.to_json()


def _capture(
    context: df.DurableOrchestrationContext, job: CaptureJob
) -> Generator[Task, Any, CaptureOutcome]:
    """The capture outcome; a throttled attempt is followed by a durable timer and another attempt."""
    for attempt in range(1, MAX_CAPTURE_ATTEMPTS):
        outcome: CaptureOutcome = yield context.call_activity_with_retry(
            Activity.CAPTURE_POLICY_ITEM, ACTIVITY_RETRY, CaptureAttempt(job=job)
        )
        if outcome.outcome != "throttled":
            return outcome
        if not context.is_replaying:
            log.info("Run %s throttled (attempt %d)", job.run_id, attempt)
        yield timer(context, outcome.retry_after)
    last: CaptureOutcome = yield context.call_activity_with_retry(
        Activity.CAPTURE_POLICY_ITEM, ACTIVITY_RETRY, CaptureAttempt(job=job, final_attempt=True)
    )
    return last
