"""Orchestrators of a tenant backup: the run (list every type, one sub-orchestration per type,
manifest, end) and one type (its chunks, progress as each chunk ends, throttled ones retried after
a durable timer).

Deterministic: no I/O, time from the context, logs only when not replaying. Messages stay small:
types, index ranges and counts; listings and manifest parts live in staging blobs. One
sub-orchestration per type keeps each history to a few dozen events.
"""

from __future__ import annotations

import logging
from collections.abc import Generator
from typing import Any

import azure.durable_functions as df

from orchestrators.plumbing import ACTIVITY_RETRY, MAX_ATTEMPTS, Task, run_chunks, timer
from shared.intune.catalog import object_type

bp = df.Blueprint()
log = logging.getLogger(__name__)

TYPE_ORCHESTRATOR = "tenant_backup_type"
CHUNK_SIZE = 20
"""Objects per chunk activity: one `$batch` round of GETs (more rounds only where a type needs them)."""
COMPLETE_LIST_CHUNK_SIZE = 100
"""Types whose list holds everything cost no Graph request per object, only storage writes."""


@bp.orchestration_trigger(context_name="context")
def tenant_backup(context: df.DurableOrchestrationContext) -> Generator[Task, Any, Any]:
    job: dict[str, Any] = context.get_input()
    tenant_id, run_id = job["tenantId"], job["runId"]
    ref = {"tenant_id": tenant_id, "run_id": run_id}
    try:
        begun = yield context.call_activity_with_retry("begin_backup", ACTIVITY_RETRY, ref)
        if not begun["active"]:
            return begun
        listings = yield from _list_all(context, tenant_id, run_id, begun["types"])
        total = sum(listing["count"] for listing in listings)
        yield context.call_activity_with_retry("backup_progress", ACTIVITY_RETRY, {**ref, "total": total})
        yield from _capture_types(context, ref, [listing for listing in listings if listing["count"]])
        error = None
    except Exception as exc:  # noqa: BLE001 - the SDK raises bare Exception for an activity that failed
        error = f"The backup stopped on an internal error: {exc}"
    finished = yield context.call_activity_with_retry(
        "finish_backup", ACTIVITY_RETRY, {**ref, "error": error}
    )
    ended = yield context.call_activity_with_retry("end_run", ACTIVITY_RETRY, {**ref, "error": error})
    if not context.is_replaying:
        log.info("Backup run %s ended %s", run_id, ended["status"])
    return {**ended, "backupId": finished["backupId"]}


def _list_all(
    context: df.DurableOrchestrationContext, tenant_id: str, run_id: str, types: list[str]
) -> Generator[Task, Any, list[dict[str, Any]]]:
    """Every type listed in parallel; a throttled list is waited out and listed again."""
    done: list[dict[str, Any]] = []
    pending = list(types)
    for attempt in range(MAX_ATTEMPTS):
        answers = yield context.task_all(
            [
                context.call_activity_with_retry(
                    "backup_list_type",
                    ACTIVITY_RETRY,
                    {"tenantId": tenant_id, "runId": run_id, "policyType": t},
                )
                for t in pending
            ]
        )
        throttled = [a for a in answers if a.get("throttled")]
        done += [a for a in answers if not a.get("throttled")]
        if not throttled:
            return done
        pending = [a["policyType"] for a in throttled]
        if attempt < MAX_ATTEMPTS - 1:
            yield timer(context, max(float(a["retryAfter"]) for a in throttled))
    raise RuntimeError(f"Graph kept throttling the listing of {pending}.")


def _capture_types(
    context: df.DurableOrchestrationContext, ref: dict[str, Any], listings: list[dict[str, Any]]
) -> Generator[Task, Any]:
    """One sub-orchestration per type, in parallel; each reports its own progress as chunks finish."""
    yield context.task_all(
        [
            context.call_sub_orchestrator(
                TYPE_ORCHESTRATOR,
                {
                    "tenantId": ref["tenant_id"],
                    "runId": ref["run_id"],
                    "policyType": listing["policyType"],
                    "count": listing["count"],
                },
                f"{context.instance_id}:{listing['policyType']}",
            )
            for listing in listings
        ]
    )


@bp.orchestration_trigger(context_name="context")
def tenant_backup_type(context: df.DurableOrchestrationContext) -> Generator[Task, Any, Any]:
    """Capture one type in chunks; throttled objects are retried (only them) after a durable timer."""
    job: dict[str, Any] = context.get_input()
    size = COMPLETE_LIST_CHUNK_SIZE if object_type(job["policyType"]).list_is_complete else CHUNK_SIZE
    base = {"tenantId": job["tenantId"], "runId": job["runId"], "policyType": job["policyType"]}
    chunks = [
        {**base, "start": start, "end": min(start + size, job["count"])}
        for start in range(0, job["count"], size)
    ]
    totals = yield from run_chunks(
        context,
        "backup_capture_chunk",
        chunks,
        lambda chunk, final: {**chunk, "finalAttempt": final},
        ("succeeded", "failed", "skipped"),
        lambda processed: _report_progress(context, job, processed),
    )
    return {"policyType": job["policyType"], **totals, "processed": sum(totals.values())}


def _report_progress(context: df.DurableOrchestrationContext, job: dict[str, Any], processed: int) -> Task:
    """The type's processed figure so far: absolute, so a retried or replayed report changes nothing."""
    return context.call_activity_with_retry(
        "backup_progress",
        ACTIVITY_RETRY,
        {
            "tenant_id": job["tenantId"],
            "run_id": job["runId"],
            "policyType": job["policyType"],
            "processed": processed,
        },
    )

