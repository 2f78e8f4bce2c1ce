"""Activities of a fleet run (thin: the work is in shared.jobs.fleet)."""

from __future__ import annotations

import azure.durable_functions as df

from shared.jobs.fleet import follow_fleet as follow
from shared.jobs.messages import Activity, FleetProgress, RunRef
from shared.services import services

bp = df.Blueprint()


@bp.function_name(Activity.FOLLOW_FLEET)
@bp.activity_trigger(input_name="ref")
def follow_fleet(ref: RunRef) -> FleetProgress:
    return follow(services(), ref.run_id)
