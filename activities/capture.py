"""Activity of a policy snapshot: one capture attempt (thin: the work is in shared.jobs)."""

from __future__ import annotations

import azure.durable_functions as df

from activities import JsonObject
from shared.jobs.capture_snapshot import CaptureJob, capture_step
from shared.services import services

bp = df.Blueprint()


@bp.activity_trigger(input_name="request")
def capture_policy_item(request: JsonObject) -> JsonObject:
    job = CaptureJob.from_json(request["job"])
    return capture_step(services(), job, final_attempt=bool(request["final_attempt"]))
