"""Activities of a tenant backup (thin: the work is in shared.jobs.backup and backup_chunk)."""

from __future__ import annotations

import azure.durable_functions as df

from activities import JsonObject
from shared.jobs.backup import begin_backup as begin
from shared.jobs.backup import finish_backup as finish
from shared.jobs.backup import list_type
from shared.jobs.backup_chunk import Chunk, capture_chunk
from shared.jobs.lifecycle import report_part
from shared.runs import update_progress
from shared.services import services

bp = df.Blueprint()


@bp.activity_trigger(input_name="ref")
def begin_backup(ref: JsonObject) -> JsonObject:
    return begin(services(), ref["tenant_id"], ref["run_id"])


@bp.activity_trigger(input_name="request")
def backup_list_type(request: JsonObject) -> JsonObject:
    return list_type(services(), request["tenantId"], request["runId"], request["policyType"])


@bp.activity_trigger(input_name="request")
def backup_capture_chunk(request: JsonObject) -> JsonObject:
    return capture_chunk(services(), Chunk.from_json(request))


@bp.activity_trigger(input_name="ref")
def backup_progress(ref: JsonObject) -> JsonObject:
    """The run's total (from the run), or one type's processed figure (from its sub-orchestration)."""
    if "policyType" in ref:
        processed = int(ref["processed"])
        return report_part(services(), ref["tenant_id"], ref["run_id"], ref["policyType"], processed)
    run = update_progress(services().runs, ref["tenant_id"], ref["run_id"], total=ref.get("total"))
    return {"total": run.counters.total, "processed": run.counters.processed}


@bp.activity_trigger(input_name="ref")
def finish_backup(ref: JsonObject) -> JsonObject:
    return finish(services(), ref["tenant_id"], ref["run_id"], ref.get("error"))
