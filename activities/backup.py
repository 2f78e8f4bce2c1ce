"""Activities of a tenant backup (thin: the work is in shared.jobs.backup and backup_chunk)."""

from __future__ import annotations

import azure.durable_functions as df

from shared.jobs.backup import begin_backup as begin
from shared.jobs.backup import finish_backup as finish
from shared.jobs.backup import list_types
from shared.jobs.backup_chunk import capture_chunk
from shared.jobs.lifecycle import report_parts
from shared.jobs.messages import (
    Activity,
    BackupBegun,
    BackupChunk,
    BackupFinished,
    BackupTotal,
    ChunkOutcome,
    Counters,
    FinishBackup,
    PartsProgress,
    RunRef,
    TypeListings,
    TypesRequest,
)
from shared.runs import update_progress
from shared.services import services

bp = df.Blueprint()


@bp.function_name(Activity.BEGIN_BACKUP)
@bp.activity_trigger(input_name="ref")
def begin_backup(ref: RunRef) -> BackupBegun:
    return begin(services(), ref.tenant_id, ref.run_id)


@bp.function_name(Activity.BACKUP_LIST_TYPES)
@bp.activity_trigger(input_name="request")
def backup_list_types(request: TypesRequest) -> TypeListings:
    return list_types(
        services(), request.tenant_id, request.run_id, request.policy_types, retry_of=request.retry_of
    )


@bp.function_name(Activity.BACKUP_CAPTURE_CHUNK)
@bp.activity_trigger(input_name="chunk")
def backup_capture_chunk(chunk: BackupChunk) -> ChunkOutcome:
    return capture_chunk(services(), chunk)


@bp.function_name(Activity.BACKUP_TOTAL)
@bp.activity_trigger(input_name="total")
def backup_total(total: BackupTotal) -> Counters:
    """The run's total, once every type is listed."""
    run = update_progress(services().runs, total.tenant_id, total.run_id, total=total.total)
    return Counters(total=run.counters.total, processed=run.counters.processed)


@bp.function_name(Activity.BACKUP_PROGRESS)
@bp.activity_trigger(input_name="progress")
def backup_progress(progress: PartsProgress) -> Counters:
    """The objects settled so far per type (absolute), from the orchestrator."""
    return report_parts(services(), progress.tenant_id, progress.run_id, progress.parts)


@bp.function_name(Activity.FINISH_BACKUP)
@bp.activity_trigger(input_name="finish_request")
def finish_backup(finish_request: FinishBackup) -> BackupFinished:
    return finish(
        services(), finish_request.tenant_id, finish_request.run_id, finish_request.error,
        finish_request.type_errors,
    )
