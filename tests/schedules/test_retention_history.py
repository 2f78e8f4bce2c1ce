"""Which runs have their Durable histories purged, on Azurite: ended long enough ago, not yet purged,
never an active run; a backup's sub-orchestrations too; each run purged once."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from shared.jobs.backup import BACKUP_TYPES
from shared.jobs.backup import RUN_TYPE as BACKUP_RUN
from shared.jobs.capture_snapshot import RUN_TYPE as SNAPSHOT_RUN
from shared.jobs.retention_history import instance_ids, purge_histories, runs_to_purge
from shared.runs import Run, RunTables, finish, mark_running, start_or_reuse

TENANT = "88888888-8888-8888-8888-888888888888"
NOW = datetime(2025, 9, 1, tzinfo=UTC)
AFTER = timedelta(days=30)


def _run(tables: RunTables, run_type: str, key: str, ended_days_ago: int | None) -> Run:
    created = NOW - timedelta(days=(ended_days_ago or 0) + 1)
    run, _ = start_or_reuse(tables, TENANT, run_type, [key], "system", now=created)
    mark_running(tables, TENANT, run.run_id, now=created)
    if ended_days_ago is None:
        return run
    return finish(tables, TENANT, run.run_id, now=NOW - timedelta(days=ended_days_ago))


def test_only_runs_ended_long_enough_ago_are_purged_and_only_once(run_tables: RunTables) -> None:
    old_backup = _run(run_tables, BACKUP_RUN, "old", 40)
    old_snapshot = _run(run_tables, SNAPSHOT_RUN, "snap", 31)
    recent = _run(run_tables, BACKUP_RUN, "recent", 5)
    _run(run_tables, SNAPSHOT_RUN, "active", None)
    purged: list[str] = []

    async def purge(instance_id: str) -> int:
        purged.append(instance_id)
        return 1

    due = list(runs_to_purge(run_tables, NOW, AFTER))
    assert {r.run_id for r in due} == {old_backup.run_id, old_snapshot.run_id}
    outcome = asyncio.run(purge_histories(run_tables, purge, due, NOW))

    backup_instances = [old_backup.instance_id, *(f"{old_backup.instance_id}:{t}" for t in BACKUP_TYPES)]
    assert instance_ids(old_backup) == backup_instances
    assert sorted(purged) == sorted([*backup_instances, old_snapshot.instance_id])
    assert (outcome.runs, outcome.instances) == (2, len(purged))
    assert list(runs_to_purge(run_tables, NOW, AFTER)) == []
    later = [r.run_id for r in runs_to_purge(run_tables, NOW + timedelta(days=30), AFTER)]
    assert later == [recent.run_id]
