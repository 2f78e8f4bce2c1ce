"""Orchestrators of a tenant backup: the run (list every type, one sub-orchestration per type,
manifest, end) and one type (its chunks, progress as each chunk ends, throttled ones retried after
a durable timer).

Deterministic: no I/O, time from the context, logs only when not replaying. Messages stay small:
types, index ranges and counts; listings and manifest parts live in staging blobs. One
sub-orchestration per type keeps each history to a few dozen events.
"""

from __future__ import annotations

from collections.abc import Generator, Sequence
from typing import Any

import azure.durable_functions as df

from orchestrators.plumbing import ACTIVITY_RETRY, MAX_ATTEMPTS, Task, end_run, run_chunks, timer, wait_all
from shared.intune.catalog import object_type
from shared.jobs.messages import (
    Activity,
    BackupBegun,
    BackupChunk,
    BackupEnded,
    BackupFinished,
    BackupTotal,
    FinishBackup,
    Orchestrator,
    Output,
    PartProgress,
    RunEnd,
    RunRef,
    TypeJob,
    TypeListing,
    TypeRequest,
    TypeTotals,
)

bp = df.Blueprint()

CHUNK_SIZE = 20
"""Objects per chunk activity: one `$batch` round of GETs (more rounds only where a type needs them)."""
COMPLETE_LIST_CHUNK_SIZE = 100
"""Types whose list holds everything cost no Graph request per object, only storage writes."""
OUTCOMES = ("succeeded", "failed", "skipped")


@bp.function_name(Orchestrator.TENANT_BACKUP)
@bp.orchestration_trigger(context_name="context")
def tenant_backup(
    context: df.DurableOrchestrationContext,
) -> Generator[Task, Any, Output]:
    ref: RunRef = context.get_input(expected_type=RunRef)
    error: str | None
    try:
        begun: BackupBegun = yield context.call_activity_with_retry(
            Activity.BEGIN_BACKUP, ACTIVITY_RETRY, ref
        )
        if not begun.active:
            return begun.to_json()
        listings = yield from _list_all(context, ref, begun.types)
        total = BackupTotal(
            tenant_id=ref.tenant_id, run_id=ref.run_id, total=sum(listing.count for listing in listings)
        )
        yield context.call_activity_with_retry(Activity.BACKUP_TOTAL, ACTIVITY_RETRY, total)
        listed = [listing for listing in listings if listing.count]
        type_errors = yield from _capture_types(context, ref, listed)
        error = None
    except Exception as exc:  # noqa: BLE001 - the SDK raises bare Exception for an activity that failed
        type_errors, error = {}, f"The backup stopped on an internal error: {exc}"
    finish = FinishBackup(tenant_id=ref.tenant_id, run_id=ref.run_id, error=error, type_errors=type_errors)
    finished: BackupFinished = yield context.call_activity_with_retry(
        Activity.FINISH_BACKUP, ACTIVITY_RETRY, finish
    )
    ended = yield from end_run(context, RunEnd(tenant_id=ref.tenant_id, run_id=ref.run_id, error=error))
    return BackupEnded(status=ended.status, error=ended.error, backup_id=finished.backup_id).to_json()


def _list_all(
    context: df.DurableOrchestrationContext, ref: RunRef, types: Sequence[str]
) -> Generator[Task, Any, list[TypeListing]]:
    """Every type listed in parallel; a throttled list is waited out and listed again."""
    done: list[TypeListing] = []
    pending = list(types)
    for attempt in range(MAX_ATTEMPTS):
        answers: list[TypeListing] = yield context.task_all(
            [
                context.call_activity_with_retry(
                    Activity.BACKUP_LIST_TYPE,
                    ACTIVITY_RETRY,
                    TypeRequest(tenant_id=ref.tenant_id, run_id=ref.run_id, policy_type=policy_type),
                )
                for policy_type in pending
            ]
        )
        throttled = [answer for answer in answers if answer.throttled]
        done += [answer for answer in answers if not answer.throttled]
        if not throttled:
            return done
        pending = [answer.policy_type for answer in throttled]
        if attempt < MAX_ATTEMPTS - 1:
            yield timer(context, max(answer.retry_after for answer in throttled))
    raise RuntimeError(f"Graph kept throttling the listing of {pending}.")


def _capture_types(
    context: df.DurableOrchestrationContext, ref: RunRef, listings: list[TypeListing]
) -> Generator[Task, Any, dict[str, str]]:
    """One sub-orchestration per type, in parallel; each reports its own progress as chunks finish.
    Every one is waited for; the types whose capture failed are answered with the reason."""
    outcomes = yield from wait_all(
        context,
        [
            context.call_sub_orchestrator(
                Orchestrator.TENANT_BACKUP_TYPE,
                TypeJob(
                    tenant_id=ref.tenant_id,
                    run_id=ref.run_id,
                    policy_type=listing.policy_type,
                    count=listing.count,
                ),
                f"{context.instance_id}:{listing.policy_type}",
            )
            for listing in listings
        ],
    )
    return {
        listing.policy_type: f"The capture of {listing.policy_type} stopped: {outcome}"
        for listing, outcome in zip(listings, outcomes, strict=True)
        if isinstance(outcome, Exception)
    }


@bp.function_name(Orchestrator.TENANT_BACKUP_TYPE)
@bp.orchestration_trigger(context_name="context")
def tenant_backup_type(context: df.DurableOrchestrationContext) -> Generator[Task, Any, Output]:
    """Capture one type in chunks; throttled objects are retried (only them) after a durable timer."""
    job: TypeJob = context.get_input(expected_type=TypeJob)
    size = COMPLETE_LIST_CHUNK_SIZE if object_type(job.policy_type).list_is_complete else CHUNK_SIZE
    chunks = [
        BackupChunk(
            tenant_id=job.tenant_id,
            run_id=job.run_id,
            policy_type=job.policy_type,
            start=start,
            end=min(start + size, job.count),
        )
        for start in range(0, job.count, size)
    ]
    totals = yield from run_chunks(
        context,
        Activity.BACKUP_CAPTURE_CHUNK,
        chunks,
        OUTCOMES,
        lambda processed: context.call_activity_with_retry(
            Activity.BACKUP_PROGRESS,
            ACTIVITY_RETRY,
            PartProgress(
                tenant_id=job.tenant_id, run_id=job.run_id, part=job.policy_type, processed=processed
            ),
        ),
    )
    return TypeTotals(policy_type=job.policy_type, processed=sum(totals.values()), **totals).to_json()
