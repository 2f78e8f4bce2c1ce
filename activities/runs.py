"""Activities every job shares: begin and end its run (thin: the work is in shared.jobs)."""

from __future__ import annotations

import azure.durable_functions as df

from activities import JsonObject
from shared.jobs.lifecycle import begin_run as begin
from shared.jobs.lifecycle import end_run as end
from shared.services import services

bp = df.Blueprint()


@bp.activity_trigger(input_name="ref")
def begin_run(ref: JsonObject) -> JsonObject:
    return begin(services(), ref["tenant_id"], ref["run_id"])


@bp.activity_trigger(input_name="ref")
def end_run(ref: JsonObject) -> JsonObject:
    return end(services(), ref["tenant_id"], ref["run_id"], ref.get("error"))
