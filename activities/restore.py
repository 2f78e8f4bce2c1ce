"""Activities of a restore run (thin: the work is in shared.jobs.restore)."""

from __future__ import annotations

import azure.durable_functions as df

from activities import JsonObject
from shared.jobs import restore as job
from shared.jobs import restore_live as live
from shared.jobs.lifecycle import report_part
from shared.restore.model import Chunk
from shared.services import services

bp = df.Blueprint()


@bp.activity_trigger(input_name="ref")
def begin_restore(ref: JsonObject) -> JsonObject:
    return job.begin_restore(services(), ref["tenant_id"], ref["run_id"])


@bp.activity_trigger(input_name="request")
def restore_plan_chunk(request: JsonObject) -> JsonObject:
    return job.plan_chunk(
        services(),
        request["tenantId"],
        request["runId"],
        Chunk.from_json(request["chunk"]),
        final_attempt=bool(request.get("finalAttempt")),
    )


@bp.activity_trigger(input_name="ref")
def restore_finish_preview(ref: JsonObject) -> JsonObject:
    return job.finish_preview(services(), ref["tenant_id"], ref["run_id"])


@bp.activity_trigger(input_name="ref")
def restore_safety_backup(ref: JsonObject) -> JsonObject:
    return live.take_safety_backup(services(), ref["tenant_id"], ref["run_id"])


@bp.activity_trigger(input_name="request")
def restore_apply_chunk(request: JsonObject) -> JsonObject:
    return live.apply_chunk(
        services(),
        request["tenantId"],
        request["runId"],
        Chunk.from_json(request["chunk"]),
        final_attempt=bool(request.get("finalAttempt")),
    )


@bp.activity_trigger(input_name="ref")
def restore_progress(ref: JsonObject) -> JsonObject:
    return report_part(services(), ref["tenant_id"], ref["run_id"], ref["part"], int(ref["processed"]))
