"""Runs kept true to the engine, and runs cancelled on request.

A run records what its orchestration does; when the two part ways (the orchestration was terminated,
failed in the host, lost in a storage outage or broken by a deploy) the run would stay active for ever
and hold its dedupe key. The reconciler compares each active run with its orchestration's status
(`judge`, pure) and acts: an orchestration that ended without ending its run ends the run as failed
with the reason (freeing the key); a queued run whose orchestration never started is started; a
running one with no progress for a configured time is reported. It runs on a timer for every active
run and on each read of an active run.

Cancel ends a queued or running run as cancelled once its orchestration is terminated: the items done
so far are kept, the end is audited and notified.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from shared.audit import AuditOutcome
from shared.auth.authorize import TenantAccess
from shared.auth.errors import Forbidden
from shared.auth.roles import Role
from shared.config.settings import RunSettings
from shared.http.problems import ProblemError
from shared.jobs.backup import BACKUP_RUN_TYPES
from shared.jobs.capture_snapshot import RUN_TYPE as CAPTURE_RUN_TYPE
from shared.jobs.lifecycle import end_run
from shared.jobs.messages import CaptureJob, Message, Orchestrator, RunRef
from shared.notifications import notify_run
from shared.restore.model import RESTORE_RUN_TYPES
from shared.runs import InvalidRunTransition, Run, RunStatus, cancel, get_run
from shared.runs.tables import RunTables
from shared.services import Services

log = logging.getLogger(__name__)

ENDED = frozenset({"Completed", "Failed", "Terminated", "Canceled"})
"""Runtime statuses of an orchestration that will not run again."""
CANCEL_ACTION = "run.cancel"


class RunNotActive(ProblemError):
    status = 409
    code = "run.not_active"
    title = "The run has ended; only a queued or running run can be cancelled."


@dataclass(frozen=True)
class Instance:
    """What the engine says of a run's orchestration."""

    runtime_status: str
    last_updated: datetime | None = None


class Verdict(StrEnum):
    KEEP = "keep"
    START = "start"
    FAIL = "fail"
    STALLED = "stalled"


def judge(run: Run, instance: Instance | None, now: datetime, policy: RunSettings) -> tuple[Verdict, str]:
    """What to do with an active run, given its orchestration (None: the engine knows no such instance)."""
    if instance is None:
        if run.status is RunStatus.QUEUED:
            if now - run.created_at > timedelta(seconds=policy.start_grace_seconds):
                return Verdict.START, "Its orchestration had not started; started by the reconciler."
            return Verdict.KEEP, "Queued moments ago; its orchestration is being started."
        return Verdict.FAIL, "Its orchestration is gone (purged or lost); the run ended as failed."
    if instance.runtime_status in ENDED:
        return Verdict.FAIL, (
            f"Its orchestration ended ({instance.runtime_status.lower()}) without ending the run."
        )
    if instance.last_updated and now - instance.last_updated > timedelta(minutes=policy.stall_minutes):
        return Verdict.STALLED, f"No progress for more than {policy.stall_minutes} minutes."
    return Verdict.KEEP, "Its orchestration is running."


def orchestration_for(run: Run) -> tuple[Orchestrator, Message]:
    """The orchestrator that runs `run` and its input, as the trigger that queued the run starts it."""
    if run.run_type in BACKUP_RUN_TYPES:
        return Orchestrator.TENANT_BACKUP, RunRef(tenant_id=run.tenant_id, run_id=run.run_id)
    if run.run_type in RESTORE_RUN_TYPES:
        return Orchestrator.RESTORE, RunRef(tenant_id=run.tenant_id, run_id=run.run_id)
    if run.run_type == CAPTURE_RUN_TYPE:
        source = run.source or {}
        job = CaptureJob(
            tenant_id=run.tenant_id,
            run_id=run.run_id,
            policy_type=str(source["policyType"]),
            policy_id=str(source["policyId"]),
        )
        return Orchestrator.CAPTURE_POLICY_SNAPSHOT, job
    raise LookupError(f"No orchestrator runs runs of type {run.run_type!r}.")


def fail_orphan(services: Services, run: Run, reason: str) -> Run:
    """End a run whose orchestration ended without it: failed with the reason, notified and audited
    like any end. A run that ended meanwhile is left as it is: the reader saw it active, then the
    engine said its orchestration had completed, and in between the orchestration's last step ended
    the run itself (the usual case on a status poll at the very end of a run)."""
    current = get_run(services.runs, run.tenant_id, run.run_id)
    if not current.status.is_active:
        return current
    try:
        ended = end_run(services, run.tenant_id, run.run_id, error=reason)
    except InvalidRunTransition:
        return get_run(services.runs, run.tenant_id, run.run_id)
    log.warning("Run %s reconciled: %s (now %s)", run.run_id, reason, ended.status)
    return get_run(services.runs, run.tenant_id, run.run_id)


def active_runs(tables: RunTables) -> Iterator[Run]:
    """Every queued or running run of every tenant (a filtered scan: active runs are few)."""
    for entity in tables.runs.query_entities("Status eq 'queued' or Status eq 'running'"):
        yield Run.from_entity(entity)


def check_cancel(access: TenantAccess, run: Run) -> None:
    """Operators cancel the runs they requested, admins any run; only an active run can be cancelled."""
    if not run.status.is_active:
        raise RunNotActive(f"Run {run.run_id} is {run.status.value}.")
    if not (access.role.includes(Role.ADMIN) or run.requested_by == access.principal.key):
        raise Forbidden("Operators cancel the runs they requested; cancelling another's run takes an admin.")


def cancel_run(services: Services, access: TenantAccess, run: Run) -> Run:
    """End the run as cancelled (its orchestration terminated first), keep its items, notify, audit."""
    cancelled = cancel(
        services.runs, run.tenant_id, run.run_id, reason=f"Cancelled by {access.principal.key}."
    )
    if cancelled.status is RunStatus.CANCELLED:
        notify_run(services.notifications, cancelled)
    services.audit.record(
        run.tenant_id,
        CANCEL_ACTION,
        access.principal.key,
        AuditOutcome.SUCCEEDED if cancelled.status is RunStatus.CANCELLED else AuditOutcome.FAILED,
        run_id=run.run_id,
        details={
            "runType": run.run_type,
            "statusBefore": run.status.value,
            "status": cancelled.status.value,
            "succeeded": cancelled.counters.succeeded,
            "failed": cancelled.counters.failed,
        },
    )
    return cancelled
