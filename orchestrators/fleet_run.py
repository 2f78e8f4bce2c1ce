"""Orchestrator of a fleet run (a fleet backup, preview or live restore): begin the parent run, follow
its children (each tenant's own run, started by the request) until every one has ended, end the parent
from their outcomes.

Following is a look at the children's run records (an activity) between durable timers that grow
from 5 s to 30 s: a child is an independent orchestration (it may be the tenant's backup someone else
started), so its run record, not a sub-orchestration's result, is what says it ended.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import azure.durable_functions as df

from orchestrators.plumbing import ACTIVITY_RETRY, Task, end_run, timer
from shared.jobs.messages import Activity, FleetProgress, Orchestrator, Output, RunBegun, RunEnd, RunRef

bp = df.Blueprint()

FIRST_LOOK_SECONDS = 5.0
MAX_LOOK_SECONDS = 30.0


@bp.function_name(Orchestrator.FLEET_RUN)
@bp.orchestration_trigger(context_name="context")
def fleet_run(context: df.DurableOrchestrationContext) -> Generator[Task, Any, Output]:
    ref: RunRef = context.get_input(expected_type=RunRef)
    error: str | None = None
    try:
        begun: RunBegun = yield context.call_activity_with_retry(Activity.BEGIN_RUN, ACTIVITY_RETRY, ref)
        if not begun.active:
            return begun.to_json()
        wait = FIRST_LOOK_SECONDS
        while True:
            progress: FleetProgress = yield context.call_activity_with_retry(
                Activity.FOLLOW_FLEET, ACTIVITY_RETRY, ref
            )
            if progress.active == 0:
                break
            yield timer(context, wait)
            wait = min(wait * 2, MAX_LOOK_SECONDS)
    except Exception as exc:  # noqa: BLE001 - the SDK raises bare Exception for an activity that failed
        error = f"The fleet run stopped on an internal error: {exc}"
    ended = yield from end_run(context, RunEnd(tenant_id=ref.tenant_id, run_id=ref.run_id, error=error))
    return ended.to_json()
