"""The timer's loop: start one tenant backup per due schedule slot, exactly once.

The orchestration start is injected (`StartBackup`), so the loop runs, and is tested, without the
Functions runtime; the timer trigger hands in the durable client. The three guards against a late,
repeated or overlapping timer live in `shared.schedules.due`; this module only sequences them,
passes over the slots of tenants that take no new job (disabled, or no longer registered), and
keeps one failing schedule from stopping the others.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from azure.core.exceptions import AzureError

from shared.jobs.messages import Orchestrator, RunRef
from shared.runs import RunStatus, RunTables
from shared.schedules import (
    DueBackup,
    RetentionPolicy,
    ScheduleError,
    ScheduleStore,
    StartedBackup,
    claim_and_start,
    due_backups,
    mark_started,
    missed_slots,
    skip_slot,
    slot_id,
)
from shared.tenants import TenantNotReady, TenantRegistry, TenantStatus, require_ready

log = logging.getLogger(__name__)

StartBackup = Callable[[Orchestrator, str, RunRef], None]
"""`(orchestrator, instance_id, input)`: starts the orchestration, or finds it already started.

Raises `OrchestrationStartFailed` when the instance neither started nor exists.
"""


class OrchestrationStartFailed(RuntimeError):
    """The engine refused to start the slot's orchestration (the claim lease then lets a later tick retry)."""


@dataclass(frozen=True)
class StartedSlot:
    """One slot this tick started: its schedule, slot, run, whether an earlier tick had made the run, and
    the schedule's retention (what the retention job prunes by after the start)."""

    tenant_id: str
    schedule_id: str
    slot: datetime
    run_id: str
    instance_id: str
    reused: bool
    retention: RetentionPolicy
    missed: tuple[datetime, ...] = ()
    """Earlier slots of the schedule that never started (this slot stands in for them)."""


def start_due_backups(
    store: ScheduleStore, run_tables: RunTables, tenants: TenantRegistry, start: StartBackup, now: datetime
) -> list[StartedSlot]:
    """Claim, run-record, start and mark every slot due at `now`; one log line per started slot.

    A slot whose start or mark fails is logged and left claimed: after `CLAIM_LEASE` a later tick
    takes it over and, through the run's dedupe key, reuses the run made here instead of adding one.
    The slot of a tenant that is not active, or whose last verification found it cannot back up, is
    recorded as passed, with no run and no start.
    """
    started: list[StartedSlot] = []
    blocked: dict[str, str | None] = {}
    for due in due_backups(store, now):
        try:
            if due.tenant_id not in blocked:
                blocked[due.tenant_id] = _skip_reason(tenants, due.tenant_id)
            if blocked[due.tenant_id] is not None:
                skip_slot(store, due, now)
                log.info(
                    "Scheduled backup skipped: tenant %s is %s (schedule %s, slot %s)",
                    due.tenant_id,
                    blocked[due.tenant_id],
                    due.schedule_id,
                    slot_id(due.slot),
                )
                continue
            slot = _start_slot(store, run_tables, start, due, now)
        except (OrchestrationStartFailed, ScheduleError, AzureError) as exc:
            log.warning(
                "Scheduled backup not started (a later tick retries): tenant %s, schedule %s, slot %s: %s %s",
                due.tenant_id,
                due.schedule_id,
                slot_id(due.slot),
                type(exc).__name__,
                exc,
            )
            continue
        if slot is not None:
            started.append(slot)
            log.info(
                "Scheduled backup started: tenant %s, schedule %s, slot %s, run %s%s",
                slot.tenant_id,
                slot.schedule_id,
                slot_id(slot.slot),
                slot.run_id,
                " (run reused)" if slot.reused else "",
            )
            if slot.missed:
                log.warning(
                    "Scheduled backup missed %d slot(s) of schedule %s (tenant %s) from %s; %s stands in",
                    len(slot.missed),
                    slot.schedule_id,
                    slot.tenant_id,
                    slot_id(slot.missed[0]),
                    slot_id(slot.slot),
                )
    return started


def _skip_reason(tenants: TenantRegistry, tenant_id: str) -> str | None:
    """Why the tenant's slots pass without a backup (not active, or found unable to back up); None to run."""
    tenant = tenants.get(tenant_id)
    if tenant is None or tenant.status is not TenantStatus.ACTIVE:
        return "not active"
    try:
        require_ready(tenant, "backup")
    except TenantNotReady:
        return f"not ready ({tenant.health.status})"
    return None


def _start_slot(
    store: ScheduleStore, run_tables: RunTables, start: StartBackup, due: DueBackup, now: datetime
) -> StartedSlot | None:
    claimed: StartedBackup | None = claim_and_start(store, run_tables, due, now)
    if claimed is None:
        return None
    run = claimed.run
    if not claimed.reused or run.status is RunStatus.QUEUED:
        start(Orchestrator.TENANT_BACKUP, run.instance_id, RunRef(tenant_id=run.tenant_id, run_id=run.run_id))
    mark_started(store, claimed.due, run.run_id, now)
    return StartedSlot(
        due.tenant_id,
        due.schedule_id,
        due.slot,
        run.run_id,
        run.instance_id,
        claimed.reused,
        claimed.due.schedule.spec.retention,
        tuple(missed_slots(due)),
    )
