"""Activities of a restore run (thin: the work is in shared.jobs.restore)."""

from __future__ import annotations

import logging
from typing import Any

import azure.durable_functions as df

from shared.jobs import restore as job
from shared.jobs import restore_live as live
from shared.restore.model import Chunk
from shared.runs import RunContention, advance_part
from shared.services import services

bp = df.Blueprint()
log = logging.getLogger(__name__)


@bp.activity_trigger(input_name="ref")
def begin_restore(ref: dict[str, Any]) -> dict[str, Any]:
    return job.begin_restore(services(), ref["tenant_id"], ref["run_id"])


@bp.activity_trigger(input_name="request")
def restore_plan_chunk(request: dict[str, Any]) -> dict[str, Any]:
    return job.plan_chunk(
        services(),
        request["tenantId"],
        request["runId"],
        Chunk.from_json(request["chunk"]),
        final_attempt=bool(request.get("finalAttempt")),
    )


@bp.activity_trigger(input_name="ref")
def restore_finish_preview(ref: dict[str, Any]) -> dict[str, Any]:
    return job.finish_preview(services(), ref["tenant_id"], ref["run_id"])


@bp.activity_trigger(input_name="ref")
def restore_safety_backup(ref: dict[str, Any]) -> dict[str, Any]:
    return live.take_safety_backup(services(), ref["tenant_id"], ref["run_id"])


@bp.activity_trigger(input_name="request")
def restore_apply_chunk(request: dict[str, Any]) -> dict[str, Any]:
    return live.apply_chunk(
        services(),
        request["tenantId"],
        request["runId"],
        Chunk.from_json(request["chunk"]),
        final_attempt=bool(request.get("finalAttempt")),
    )


@bp.activity_trigger(input_name="ref")
def restore_progress(ref: dict[str, Any]) -> dict[str, Any]:
    """One part's processed figure so far. A report that loses to contention is dropped, not
    retried: the part's next report carries the figure too, and the end counters come from the items."""
    try:
        processed = int(ref["processed"])
        run = advance_part(services().runs, ref["tenant_id"], ref["run_id"], ref["part"], processed)
    except RunContention:
        log.warning("Progress of %s in run %s dropped under contention", ref["part"], ref["run_id"])
        return {"total": None, "processed": None}
    return {"total": run.counters.total, "processed": run.counters.processed}
