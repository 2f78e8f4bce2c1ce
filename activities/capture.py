"""Activity of a policy snapshot: one capture attempt (thin: the work is in shared.jobs)."""

from __future__ import annotations

import azure.durable_functions as df

from shared.jobs.capture_snapshot import capture_step
from shared.jobs.messages import Activity, CaptureAttempt, CaptureOutcome
from shared.services import services

bp = df.Blueprint()


@bp.function_name(Activity.CAPTURE_POLICY_ITEM)
@bp.activity_trigger(input_name="request")
def capture_policy_item(request: CaptureAttempt) -> CaptureOutcome:
    return capture_step(services(), request.job, final_attempt=request.final_attempt)
