"""Activities every job shares: begin and end its run (thin: the work is in shared.jobs)."""

from __future__ import annotations

import azure.durable_functions as df

from shared.jobs.lifecycle import begin_run as begin
from shared.jobs.lifecycle import end_run as end
from shared.jobs.messages import Activity, RunBegun, RunEnd, RunEnded, RunRef
from shared.services import services

bp = df.Blueprint()


@bp.function_name(Activity.BEGIN_RUN)
@bp.activity_trigger(input_name="ref")
def begin_run(ref: RunRef) -> RunBegun:
    return begin(services(), ref.tenant_id, ref.run_id)


@bp.function_name(Activity.END_RUN)
@bp.activity_trigger(input_name="ref")
def end_run(ref: RunEnd) -> RunEnded:
    return end(services(), ref.tenant_id, ref.run_id, ref.error)
