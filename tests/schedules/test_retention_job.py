"""The retention job on Azurite's run tables with an in-memory backup set store: one run per request
with one item per deleted set, the newest successful, protected and unfinished sets untouched, a set
that became protected after planning reported failed (and kept), and a repeated request not redone."""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, datetime, timedelta

from shared.http.problems import ProblemError
from shared.jobs.retention import (
    BACKUP_SET_ITEM,
    RETENTION_RUN_TYPE,
    RetentionRequest,
    prune_after_slots,
    run_retention,
)
from shared.jobs.scheduled_backups import StartedSlot
from shared.runs import ItemOutcome, RunStatus, RunTables, list_items, list_runs, start_or_reuse
from shared.schedules import BackupSetSummary, RetentionPolicy

TENANT = "44444444-4444-4444-4444-444444444444"
NOW = datetime(2024, 6, 30, 12, tzinfo=UTC)


class Protected(ProblemError):
    status = 409
    code = "backup.protected"


class MemoryBackupSets:
    """Backup sets in a dict; `protect_on_delete` makes a delete refuse, as a restore marking it would."""

    def __init__(self, statuses: str, protected: Collection[str] = ()) -> None:
        names = {"s": "succeeded", "p": "partially_succeeded", "f": "failed", "r": "running"}
        self.sets = {
            f"b{age}": BackupSetSummary(f"b{age}", TENANT, names[code], NOW - timedelta(days=age, hours=1))
            for age, code in enumerate(statuses)
        }
        self.protected = set(protected)
        self.protect_on_delete: set[str] = set()
        self.deleted: list[str] = []

    def summaries(self, tenant_id: str) -> list[BackupSetSummary]:
        return [s for s in self.sets.values() if s.tenant_id == tenant_id]

    def protected_ids(self, tenant_id: str) -> Collection[str]:
        return set(self.protected)

    def delete(self, tenant_id: str, backup_id: str) -> None:
        if backup_id in self.protect_on_delete:
            raise Protected(f"Backup set {backup_id} is referenced by a restore.")
        del self.sets[backup_id]
        self.deleted.append(backup_id)


def _request(keep_last: int, trigger: str = "2024-06-30T12:00:00Z") -> RetentionRequest:
    return RetentionRequest(TENANT, "sched1", trigger, RetentionPolicy(keep_last=keep_last))


def test_a_retention_run_deletes_the_planned_sets_as_its_items(run_tables: RunTables) -> None:
    # b0 running, b1 failed, b2 protected, b3..b6 succeeded: keep the newest 2 with data (b2, b3).
    sets = MemoryBackupSets("rfsssss", protected={"b2"})
    run = run_retention(run_tables, sets, _request(keep_last=2), NOW)

    assert (run.run_type, run.status, run.requested_by) == (RETENTION_RUN_TYPE, RunStatus.SUCCEEDED, "system")
    assert sets.deleted == ["b6", "b5", "b4", "b1"]
    assert sorted(sets.sets) == ["b0", "b2", "b3"]
    items = list_items(run_tables, run, page_size=100).items
    assert sorted((i.item_id, i.item_type, i.outcome) for i in items) == [
        (f"b{n}", BACKUP_SET_ITEM, ItemOutcome.SUCCEEDED) for n in (1, 4, 5, 6)
    ]
    assert (run.counters.succeeded, run.counters.failed) == (4, 0)
    assert run.summary == {"backupSets": 7, "planned": 4, "kept": 3}


def test_the_newest_successful_set_survives_a_week_of_failures(run_tables: RunTables) -> None:
    sets = MemoryBackupSets("fffffffs")
    run_retention(run_tables, sets, _request(keep_last=1), NOW)
    assert "b7" in sets.sets


def test_a_set_protected_after_planning_is_a_failed_item_and_stays(run_tables: RunTables) -> None:
    sets = MemoryBackupSets("ssss")
    sets.protect_on_delete.add("b2")
    run = run_retention(run_tables, sets, _request(keep_last=1), NOW)
    assert run.status is RunStatus.PARTIALLY_SUCCEEDED
    assert "b2" in sets.sets and sets.deleted == ["b3", "b1"]
    items = list_items(run_tables, run, page_size=100).items
    [failed] = [i for i in items if i.outcome is ItemOutcome.FAILED]
    assert failed.item_id == "b2" and "referenced by a restore" in (failed.error or "")


def test_a_repeated_request_deletes_nothing_more(run_tables: RunTables) -> None:
    sets = MemoryBackupSets("sss")
    first = run_retention(run_tables, sets, _request(keep_last=1), NOW)
    again = run_retention(run_tables, sets, _request(keep_last=1), NOW + timedelta(minutes=1))
    assert sets.deleted == ["b2", "b1"]
    assert again.run_id != first.run_id
    assert again.status is RunStatus.SUCCEEDED and again.counters.total == 0
    assert len(list_runs(run_tables, TENANT).items) == 2


def test_an_active_run_for_the_same_request_is_left_to_its_worker(run_tables: RunTables) -> None:
    sets = MemoryBackupSets("sss")
    running, _ = start_or_reuse(run_tables, TENANT, RETENTION_RUN_TYPE, ["sched1", "t"], "system")
    answer = run_retention(run_tables, sets, _request(keep_last=1, trigger="t"), NOW)
    assert answer.run_id == running.run_id and sets.deleted == []


def test_each_started_slot_prunes_its_tenant_once(run_tables: RunTables) -> None:
    slot = StartedSlot(TENANT, "sched1", NOW, "run1", "inst1", False, RetentionPolicy(keep_last=1))
    sets = MemoryBackupSets("sss")
    [run] = prune_after_slots(run_tables, sets, [slot], NOW)
    assert run.source == {"scheduleId": "sched1", "trigger": "2024-06-30T12:00:00Z"}
    assert sets.deleted == ["b2", "b1"]
