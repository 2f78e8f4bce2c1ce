"""Activities of a restore run (thin: the work is in shared.jobs.restore and restore_live)."""

from __future__ import annotations

import azure.durable_functions as df

from shared.jobs import restore as job
from shared.jobs import restore_live as live
from shared.jobs.lifecycle import report_part
from shared.jobs.messages import (
    Activity,
    ChunkOutcome,
    ChunkRequest,
    Counters,
    PartProgress,
    PreviewFinished,
    RestoreBegun,
    RunRef,
    SafetyBackup,
)
from shared.restore.model import Chunk
from shared.services import services

bp = df.Blueprint()


@bp.function_name(Activity.BEGIN_RESTORE)
@bp.activity_trigger(input_name="ref")
def begin_restore(ref: RunRef) -> RestoreBegun:
    return job.begin_restore(services(), ref.tenant_id, ref.run_id)


@bp.function_name(Activity.RESTORE_PLAN_CHUNK)
@bp.activity_trigger(input_name="chunk")
def restore_plan_chunk(chunk: ChunkRequest) -> ChunkOutcome:
    return job.plan_chunk(
        services(), chunk.tenant_id, chunk.run_id, _items(chunk), final_attempt=chunk.final_attempt
    )


@bp.function_name(Activity.RESTORE_FINISH_PREVIEW)
@bp.activity_trigger(input_name="ref")
def restore_finish_preview(ref: RunRef) -> PreviewFinished:
    return job.finish_preview(services(), ref.tenant_id, ref.run_id)


@bp.function_name(Activity.RESTORE_SAFETY_BACKUP)
@bp.activity_trigger(input_name="ref")
def restore_safety_backup(ref: RunRef) -> SafetyBackup:
    return live.take_safety_backup(services(), ref.tenant_id, ref.run_id)


@bp.function_name(Activity.RESTORE_APPLY_CHUNK)
@bp.activity_trigger(input_name="chunk")
def restore_apply_chunk(chunk: ChunkRequest) -> ChunkOutcome:
    return live.apply_chunk(
        services(), chunk.tenant_id, chunk.run_id, _items(chunk), final_attempt=chunk.final_attempt
    )


@bp.function_name(Activity.RESTORE_PROGRESS)
@bp.activity_trigger(input_name="progress")
def restore_progress(progress: PartProgress) -> Counters:
    return report_part(services(), progress.tenant_id, progress.run_id, progress.part, progress.processed)


def _items(chunk: ChunkRequest) -> Chunk:
    """The staged items the request names."""
    return Chunk(chunk.start, chunk.end, chunk.retry)
