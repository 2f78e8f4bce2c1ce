"""Due slots started exactly once, with start_or_reuse for real on Azurite: repeated, late, concurrent
and crashed timers, and missed slots caught up once."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

from shared.runs import Run, RunStatus, RunTables, dedupe_key, list_runs, mark_running
from shared.runs.lifecycle import finish
from shared.schedules import (
    CLAIM_LEASE,
    SCHEDULED_BACKUP,
    RetentionPolicy,
    ScheduleSpec,
    ScheduleStore,
    claim_and_start,
    due_backups,
    mark_started,
    missed_slots,
)

TENANT = "11111111-1111-1111-1111-111111111111"
CREATED = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)
FIRST_SLOT = datetime(2024, 6, 2, 0, 30, tzinfo=UTC)  # 02:30 in Amsterdam (CEST)
DAILY = ScheduleSpec("0 30 2 * * *", "Europe/Amsterdam", RetentionPolicy(keep_last=7))


def _timer_tick(store: ScheduleStore, run_tables: RunTables, now: datetime) -> list[tuple[Run, bool]]:
    """What the timer trigger does per tick (the orchestration start itself is the trigger's)."""
    started = []
    for due in due_backups(store, now):
        result = claim_and_start(store, run_tables, due, now)
        if result is not None:
            mark_started(store, result.due, result.run.run_id, now)
            started.append((result.run, result.reused))
    return started


def _runs(run_tables: RunTables) -> list[Run]:
    return list_runs(run_tables, TENANT, page_size=1000).items


def _end(run_tables: RunTables, run: Run) -> None:
    mark_running(run_tables, TENANT, run.run_id)
    finish(run_tables, TENANT, run.run_id)


def test_nothing_is_due_before_the_first_slot(store: ScheduleStore, run_tables: RunTables) -> None:
    store.create(TENANT, DAILY, "user:a", CREATED)
    assert due_backups(store, FIRST_SLOT - timedelta(seconds=1)) == []
    assert _timer_tick(store, run_tables, CREATED + timedelta(hours=1)) == []


def test_a_due_slot_starts_one_run_with_the_slot_in_its_dedupe_key(
    store: ScheduleStore, run_tables: RunTables
) -> None:
    schedule = store.create(TENANT, DAILY, "user:a", CREATED)
    [(run, reused)] = _timer_tick(store, run_tables, FIRST_SLOT + timedelta(seconds=3))
    assert not reused
    assert run.run_type == SCHEDULED_BACKUP
    assert run.dedupe_key == dedupe_key(
        TENANT, SCHEDULED_BACKUP, [schedule.schedule_id, "2024-06-02T00:30:00Z"]
    )
    assert run.source == {"scheduleId": schedule.schedule_id, "slot": "2024-06-02T00:30:00Z"}
    stored = store.get(TENANT, schedule.schedule_id)
    assert (stored.last_slot, stored.last_run_id) == (FIRST_SLOT, run.run_id)
    assert stored.next_due == FIRST_SLOT + timedelta(days=1)
    assert stored.claimed_slot is None


def test_a_repeated_timer_never_starts_a_slot_twice_even_after_the_run_ended(
    store: ScheduleStore, run_tables: RunTables
) -> None:
    store.create(TENANT, DAILY, "user:a", CREATED)
    [(run, _)] = _timer_tick(store, run_tables, FIRST_SLOT)
    _end(run_tables, run)  # the dedupe key is free again: only the schedule's last slot guards now
    for late in (FIRST_SLOT, FIRST_SLOT + timedelta(minutes=1), FIRST_SLOT + timedelta(hours=5)):
        assert _timer_tick(store, run_tables, late) == []
    assert [r.run_id for r in _runs(run_tables)] == [run.run_id]


def test_the_next_slot_starts_a_new_run(store: ScheduleStore, run_tables: RunTables) -> None:
    store.create(TENANT, DAILY, "user:a", CREATED)
    [(first, _)] = _timer_tick(store, run_tables, FIRST_SLOT)
    [(second, reused)] = _timer_tick(store, run_tables, FIRST_SLOT + timedelta(days=1))
    assert not reused and second.run_id != first.run_id
    assert second.dedupe_key.endswith('"2024-06-03T00:30:00Z"]')


def test_concurrent_timers_start_a_slot_once(store: ScheduleStore, run_tables: RunTables) -> None:
    schedules = [store.create(TENANT, DAILY, "user:a", CREATED) for _ in range(3)]
    barrier = threading.Barrier(8)

    def tick(_: int) -> list[tuple[Run, bool]]:
        barrier.wait()
        return _timer_tick(store, run_tables, FIRST_SLOT + timedelta(seconds=1))

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = [started for batch in pool.map(tick, range(8)) for started in batch]
    created = [run for run, reused in results if not reused]
    assert len(created) == 3, "one run per schedule, whichever timer won"
    assert len(_runs(run_tables)) == 3
    assert {r.source["scheduleId"] for r in _runs(run_tables) if r.source} == {
        s.schedule_id for s in schedules
    }
    for schedule in schedules:
        assert store.get(TENANT, schedule.schedule_id).last_slot == FIRST_SLOT


def test_a_timer_that_crashed_mid_start_is_taken_over_and_the_run_reused(
    store: ScheduleStore, run_tables: RunTables
) -> None:
    store.create(TENANT, DAILY, "user:a", CREATED)
    [due] = due_backups(store, FIRST_SLOT)
    crashed = claim_and_start(store, run_tables, due, FIRST_SLOT)  # ...and never calls mark_started
    assert crashed is not None and not crashed.reused
    assert due_backups(store, FIRST_SLOT + timedelta(minutes=1)) == [], "a live claim keeps others off"
    after_lease = FIRST_SLOT + CLAIM_LEASE + timedelta(seconds=1)
    [(run, reused)] = _timer_tick(store, run_tables, after_lease)
    assert reused and run.run_id == crashed.run.run_id and run.status is RunStatus.QUEUED
    assert len(_runs(run_tables)) == 1
    assert _timer_tick(store, run_tables, after_lease) == []


def test_missed_slots_are_caught_up_once_with_the_latest(store: ScheduleStore, run_tables: RunTables) -> None:
    schedule = store.create(TENANT, DAILY, "user:a", CREATED)
    three_days_late = FIRST_SLOT + timedelta(days=3, hours=4)
    [(run, reused)] = _timer_tick(store, run_tables, three_days_late)
    assert not reused and run.source == {"scheduleId": schedule.schedule_id, "slot": "2024-06-05T00:30:00Z"}
    assert _timer_tick(store, run_tables, three_days_late + timedelta(minutes=5)) == []
    assert len(_runs(run_tables)) == 1
    assert store.get(TENANT, schedule.schedule_id).next_due == datetime(2024, 6, 6, 0, 30, tzinfo=UTC)


def test_the_slots_a_late_timer_collapses_are_named_as_missed(store: ScheduleStore) -> None:
    store.create(TENANT, DAILY, "user:a", CREATED)
    [on_time] = due_backups(store, FIRST_SLOT + timedelta(seconds=3))
    assert missed_slots(on_time) == []
    [late_for_its_slot] = due_backups(store, FIRST_SLOT + timedelta(hours=20))
    assert missed_slots(late_for_its_slot) == []
    [three_days_late] = due_backups(store, FIRST_SLOT + timedelta(days=3, hours=4))
    assert three_days_late.slot == datetime(2024, 6, 5, 0, 30, tzinfo=UTC)
    assert missed_slots(three_days_late) == [FIRST_SLOT + timedelta(days=d) for d in range(3)]


def test_disabled_schedules_are_never_due(store: ScheduleStore, run_tables: RunTables) -> None:
    off = ScheduleSpec(DAILY.cron, DAILY.time_zone, DAILY.retention, enabled=False)
    store.create(TENANT, off, "user:a", CREATED)
    assert _timer_tick(store, run_tables, FIRST_SLOT + timedelta(days=2)) == []


def test_an_admin_edit_between_claim_and_mark_does_not_lose_the_slot(
    store: ScheduleStore, run_tables: RunTables
) -> None:
    schedule = store.create(TENANT, DAILY, "user:a", CREATED)
    [due] = due_backups(store, FIRST_SLOT)
    started = claim_and_start(store, run_tables, due, FIRST_SLOT)
    assert started is not None
    retention = RetentionPolicy(keep_days=30)
    store.update(TENANT, schedule.schedule_id, ScheduleSpec(DAILY.cron, DAILY.time_zone, retention), "user:b",
                 None, FIRST_SLOT)  # fmt: skip
    marked = mark_started(store, started.due, started.run.run_id, FIRST_SLOT)
    assert (marked.last_slot, marked.spec.retention) == (FIRST_SLOT, retention)
    assert _timer_tick(store, run_tables, FIRST_SLOT + timedelta(hours=1)) == []


def test_dst_spring_forward_slot_runs_once_at_the_jump(store: ScheduleStore, run_tables: RunTables) -> None:
    ny = ScheduleSpec("0 30 2 * * *", "America/New_York", RetentionPolicy(keep_last=1))
    store.create(TENANT, ny, "user:a", datetime(2024, 3, 9, 12, tzinfo=UTC))
    jump = datetime(2024, 3, 10, 7, 0, tzinfo=UTC)  # 02:00 EST -> 03:00 EDT
    assert _timer_tick(store, run_tables, jump - timedelta(seconds=1)) == []
    [(run, _)] = _timer_tick(store, run_tables, jump)
    assert run.source is not None and run.source["slot"] == "2024-03-10T07:00:00Z"
    assert _timer_tick(store, run_tables, jump + timedelta(hours=2)) == []
    [(nxt, _)] = _timer_tick(store, run_tables, datetime(2024, 3, 11, 6, 30, tzinfo=UTC))
    assert nxt.source is not None and nxt.source["slot"] == "2024-03-11T06:30:00Z"


def test_dst_fall_back_repeated_hour_starts_one_run(store: ScheduleStore, run_tables: RunTables) -> None:
    store.create(TENANT, DAILY, "user:a", datetime(2024, 10, 26, 12, tzinfo=UTC))
    first_0230 = datetime(2024, 10, 27, 0, 30, tzinfo=UTC)
    second_0230 = datetime(2024, 10, 27, 1, 30, tzinfo=UTC)
    assert len(_timer_tick(store, run_tables, first_0230)) == 1
    assert _timer_tick(store, run_tables, second_0230) == []
    assert _timer_tick(store, run_tables, second_0230 + timedelta(minutes=30)) == []
    assert len(_runs(run_tables)) == 1
