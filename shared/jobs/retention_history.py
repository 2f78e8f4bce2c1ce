"""Durable histories of ended runs, purged a configured time after the run ended
(`TENANTATLAS_HISTORY_PURGE_DAYS`), so the task hub does not grow with every run ever made.

A run's orchestration has the run's instance ID; a tenant backup started before backups packed their
types into chunks also has one sub-orchestration per catalog type, `{instance}:{type}`, so those IDs
are purged too. Each is purged by ID (the
durable client's `purge_instance_history`, `DELETE /instances/{id}` of the extension's HTTP API); an
instance already gone counts as purged. The run record then carries `HistoryPurgedAt`, so a run is
purged once: the run record, its items and its audit stay (they are the product's history; the
engine's is only how the work was done).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from azure.data.tables import UpdateMode

from shared.jobs.backup import BACKUP_RUN_TYPES, BACKUP_TYPES
from shared.runs import Run, RunTables
from shared.storage import encode_key

PURGED_AT = "HistoryPurgedAt"

Purge = Callable[[str], Awaitable[int]]
"""Purge one instance's history by ID; answers how many instances were deleted (0 when none was)."""


@dataclass(frozen=True)
class PurgeOutcome:
    runs: int
    instances: int


def instance_ids(run: Run) -> list[str]:
    """Every orchestration instance a run may have made."""
    if run.run_type in BACKUP_RUN_TYPES:
        return [run.instance_id, *(f"{run.instance_id}:{policy_type}" for policy_type in BACKUP_TYPES)]
    return [run.instance_id]


def runs_to_purge(tables: RunTables, now: datetime, after: timedelta) -> Iterator[Run]:
    """Ended runs of every tenant that ended `after` ago or earlier and were not purged yet."""
    cutoff = now - after
    for entity in tables.runs.query_entities("EndedAt le @cutoff", parameters={"cutoff": cutoff}):
        if entity.get(PURGED_AT) is None:
            run = Run.from_entity(entity)
            if not run.status.is_active:
                yield run


def mark_purged(tables: RunTables, run: Run, now: datetime) -> None:
    tables.runs.update_entity(
        {"PartitionKey": _partition(run), "RowKey": run.run_id, PURGED_AT: now}, mode=UpdateMode.MERGE
    )


async def purge_histories(
    tables: RunTables, purge: Purge, runs: Iterable[Run], now: datetime
) -> PurgeOutcome:
    """Purge the histories of these ended runs (`runs_to_purge`), marking each run once its instances
    are gone; a failure stops here and the rest is left to the next timer."""
    done = instances = 0
    for run in runs:
        for instance_id in instance_ids(run):
            instances += await purge(instance_id)
        mark_purged(tables, run, now)
        done += 1
    return PurgeOutcome(done, instances)


def _partition(run: Run) -> str:
    return encode_key(run.tenant_id)
