"""The first and last steps of every job: mark the run running, and end it; each notifies the
requester, and the end is audited. Both are safe to run again (the engine may retry an activity)."""

from __future__ import annotations

import logging
from collections.abc import Mapping

from shared.audit import SYSTEM, AuditOutcome
from shared.jobs.messages import Counters, RunBegun, RunEnded
from shared.jobs.run_alerts import announce_run_end
from shared.notifications import notify_run
from shared.runs import RunContention, RunStatus, advance_part, advance_parts, finish, get_run, mark_running
from shared.services import Services

FINISHED_SUFFIX = ".finished"
log = logging.getLogger(__name__)


def begin_run(services: Services, tenant_id: str, run_id: str) -> RunBegun:
    """queued -> running plus the "started" notification; `active` False means the run ended already
    (an instance started again for an ended run must not redo its work)."""
    run = get_run(services.runs, tenant_id, run_id)
    if not run.status.is_active:
        return RunBegun(active=False, status=run.status.value)
    run = mark_running(services.runs, tenant_id, run_id)
    notify_run(services.notifications, run)
    return RunBegun(active=True, status=run.status.value)


def end_run(services: Services, tenant_id: str, run_id: str, error: str | None = None) -> RunEnded:
    """Finish the run from its item outcomes (`error` forces failed), notify, alert and audit the outcome.

    The audit event is written only by the call that created the notification, so a retried
    activity does not audit twice; alerts are recorded once per subscription and recipient however
    often this runs (`shared.jobs.run_alerts`).
    """
    run = finish(services.runs, tenant_id, run_id, error=error)
    _, created = notify_run(services.notifications, run)
    announce_run_end(services, run)
    if created:
        outcome = AuditOutcome.SUCCEEDED if run.status is RunStatus.SUCCEEDED else AuditOutcome.FAILED
        services.audit.record(
            tenant_id,
            run.run_type + FINISHED_SUFFIX,
            SYSTEM,
            outcome,
            run_id=run.run_id,
            details={
                "status": run.status.value,
                "requestedBy": run.requested_by,
                "succeeded": run.counters.succeeded,
                "failed": run.counters.failed,
                "error": run.error,
            },
        )
    return RunEnded(status=run.status.value, error=run.error)


def report_parts(services: Services, tenant_id: str, run_id: str, parts: Mapping[str, int]) -> Counters:
    """Several parts' figures in one write of the run (a backup's types); dropped under contention
    like `report_part`."""
    try:
        run = advance_parts(services.runs, tenant_id, run_id, parts)
    except RunContention:
        log.warning("Progress of run %s dropped under contention", run_id)
        return Counters()
    return Counters(total=run.counters.total, processed=run.counters.processed)


def report_part(services: Services, tenant_id: str, run_id: str, part: str, processed: int) -> Counters:
    """One part's processed figure so far (a backup's type, a restore's plan or write group).

    A report that loses to many parallel ones is dropped, not retried: the part's next report carries
    the figure too, and the end counters come from the items, so progress never fails a job.
    """
    try:
        run = advance_part(services.runs, tenant_id, run_id, part, processed)
    except RunContention:
        log.warning("Progress of %s in run %s dropped under contention", part, run_id)
        return Counters()
    return Counters(total=run.counters.total, processed=run.counters.processed)
