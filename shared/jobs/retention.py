"""Retention as a job: prune a tenant's old backup sets under its schedule's policy, as a run of type
`backup.retention` whose items are the deleted (or undeletable) sets, so pruning is as visible and
audited as the backups it removes.

Which sets go is `shared.schedules.plan_retention` (never an unfinished set, the newest successful
one, or one a restore refers to). Then, when a `Freer` is given, the versions and payloads no kept
set, restore or newer rule needs are deleted too (`shared.jobs.retention_sweep`), and the run's
summary counts them. Storage is behind `BackupSetRepository`, so the job is tested
without the backup set table; the repository re-checks protection on delete, so a restore that
marks a set after the plan was made still wins.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from azure.core.exceptions import AzureError

from shared.audit import SYSTEM
from shared.http.problems import ProblemError
from shared.jobs.scheduled_backups import StartedSlot
from shared.redact import redact
from shared.runs import (
    ItemOutcome,
    ItemResult,
    Run,
    RunTables,
    finish,
    mark_running,
    record_items,
    start_or_reuse,
)
from shared.schedules import BackupSetSummary, RetentionPolicy, plan_retention, slot_id

log = logging.getLogger(__name__)

RETENTION_RUN_TYPE = "backup.retention"
BACKUP_SET_ITEM = "backupSet"


class BackupSetRepository(Protocol):
    """What retention needs of the backup set store."""

    def summaries(self, tenant_id: str) -> list[BackupSetSummary]:
        """Every backup set of the tenant."""
        ...

    def protected_ids(self, tenant_id: str) -> Collection[str]:
        """IDs of the sets a restore refers to or an admin protected."""
        ...

    def delete(self, tenant_id: str, backup_id: str) -> None:
        """Delete one set; a ProblemError when it became protected since it was listed."""
        ...


Freer = Callable[[str, datetime], Mapping[str, int]]
"""Frees what a tenant's remaining sets no longer need; answers figures for the run's summary."""


@dataclass(frozen=True)
class RetentionRequest:
    """One pruning of one tenant, named by what triggered it (a schedule slot), which is its dedupe key."""

    tenant_id: str
    schedule_id: str
    trigger: str
    policy: RetentionPolicy


def run_retention(
    run_tables: RunTables,
    repository: BackupSetRepository,
    request: RetentionRequest,
    now: datetime,
    free: Freer | None = None,
) -> Run:
    """Plan and delete, recording one item per planned set; the ended run is returned.

    While a run for the same request is active it is returned untouched (someone is pruning), so two
    timers never delete side by side. Once it ended, a repeat is a new run that re-plans and finds
    nothing more to delete: deleting is idempotent, the run record says it happened twice.
    """
    run, reused = start_or_reuse(
        run_tables,
        request.tenant_id,
        RETENTION_RUN_TYPE,
        [request.schedule_id, request.trigger],
        SYSTEM,
        source={"scheduleId": request.schedule_id, "trigger": request.trigger},
        now=now,
    )
    if reused:
        return run
    mark_running(run_tables, request.tenant_id, run.run_id, now=now)
    sets = repository.summaries(request.tenant_id)
    plan = plan_retention(sets, request.policy, now, repository.protected_ids(request.tenant_id))
    record_items(run_tables, run.run_id, [_delete(repository, backup_set, now) for backup_set in plan])
    summary: dict[str, int] = {"backupSets": len(sets), "planned": len(plan), "kept": len(sets) - len(plan)}
    if free is not None:
        summary.update(free(request.tenant_id, now))
    return finish(run_tables, request.tenant_id, run.run_id, summary=summary, now=now)


def prune_after_slots(
    run_tables: RunTables,
    repository: BackupSetRepository,
    slots: Iterable[StartedSlot],
    now: datetime,
    free: Freer | None = None,
) -> list[Run]:
    """One retention run per schedule slot just started (its dedupe key is the slot), so the timer
    prunes each scheduled tenant once per slot; a failure is logged and left to the next slot."""
    runs: list[Run] = []
    for slot in slots:
        request = RetentionRequest(slot.tenant_id, slot.schedule_id, slot_id(slot.slot), slot.retention)
        try:
            run = run_retention(run_tables, repository, request, now, free)
        except (ProblemError, AzureError) as exc:
            log.warning(
                "Retention of tenant %s, schedule %s not run: %s %s",
                slot.tenant_id,
                slot.schedule_id,
                type(exc).__name__,
                exc,
            )
            continue
        log.info(
            "Retention of tenant %s, schedule %s: run %s %s, %d backup set(s) deleted",
            slot.tenant_id,
            slot.schedule_id,
            run.run_id,
            run.status.value,
            run.counters.succeeded,
        )
        runs.append(run)
    return runs


def _delete(repository: BackupSetRepository, backup_set: BackupSetSummary, now: datetime) -> ItemResult:
    try:
        repository.delete(backup_set.tenant_id, backup_set.id)
    except (ProblemError, AzureError) as exc:
        return ItemResult(
            item_id=backup_set.id,
            item_type=BACKUP_SET_ITEM,
            outcome=ItemOutcome.FAILED,
            error=redact(f"{type(exc).__name__}: {exc}"),
            started_at=now,
        )
    return ItemResult(
        item_id=backup_set.id,
        item_type=BACKUP_SET_ITEM,
        outcome=ItemOutcome.SUCCEEDED,
        reason=f"created {backup_set.created_at.isoformat()}, status {backup_set.status}",
        started_at=now,
    )
