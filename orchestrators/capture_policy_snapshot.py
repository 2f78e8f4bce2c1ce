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

from orchestrators.plumbing import ACTIVITY_RETRY, Task, timer

bp = df.Blueprint()
log = logging.getLogger(__name__)

MAX_CAPTURE_ATTEMPTS = 4
"""Capture activity calls in all; between them the orchestrator waits what Graph asked for."""


@bp.orchestration_trigger(context_name="context")
def capture_policy_snapshot(context: df.DurableOrchestrationContext) -> Generator[Task, Any, Any]:
    job: dict[str, Any] = context.get_input()
    run_ref = {"tenant_id": job["tenant_id"], "run_id": job["run_id"]}
    try:
        begun = yield context.call_activity_with_retry("begin_run", ACTIVITY_RETRY, run_ref)
        if not begun["active"]:
            return begun
        outcome = yield from _capture(context, job)
        error = outcome.get("error")
    except Exception as exc:  # noqa: BLE001 - the SDK raises bare Exception for an activity that failed
        error = f"The capture stopped on an internal error: {exc}"
    ended = yield context.call_activity_with_retry("end_run", ACTIVITY_RETRY, {**run_ref, "error": error})
    if not context.is_replaying:
        log.info("Run %s ended %s", job["run_id"], ended["status"])
    return ended


def _capture(context: df.DurableOrchestrationContext, job: dict[str, Any]) -> Generator[Task, Any, Any]:
    """The capture outcome; a throttled attempt is followed by a durable timer and another attempt."""
    for attempt in range(1, MAX_CAPTURE_ATTEMPTS):
        outcome = yield context.call_activity_with_retry(
            "capture_policy_item", ACTIVITY_RETRY, {"job": job, "final_attempt": False}
        )
        if outcome["outcome"] != "throttled":
            return outcome
        if not context.is_replaying:
            log.info("Run %s throttled (attempt %d)", job["run_id"], attempt)
        yield timer(context, float(outcome["retryAfter"]))
    return (
        yield context.call_activity_with_retry(
            "capture_policy_item", ACTIVITY_RETRY, {"job": job, "final_attempt": True}
        )
    )
