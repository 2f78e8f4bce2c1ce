"""The timer's loop (shared.jobs.scheduled_backups) on Azurite, with the orchestration start faked: one
start per slot under repeated ticks, a missed slot caught up once, a failed start retried by a later
tick on the same run, and a reused queued run started again (the engine says it exists)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from shared.jobs.backup import BACKUP_RUN_TYPES
from shared.jobs.messages import Orchestrator, RunRef
from shared.jobs.scheduled_backups import OrchestrationStartFailed, start_due_backups
from shared.runs import RunTables, list_runs
from shared.schedules import CLAIM_LEASE, SCHEDULED_BACKUP, RetentionPolicy, ScheduleSpec, ScheduleStore
from shared.storage import StorageAccount
from shared.tenants import TenantRegistry, TenantStatus

TENANT = "22222222-2222-2222-2222-222222222222"
OTHER_TENANT = "33333333-3333-3333-3333-333333333333"
CREATED = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)
FIRST_SLOT = datetime(2024, 6, 2, 0, 30, tzinfo=UTC)  # 02:30 in Amsterdam (CEST)
DAILY = ScheduleSpec("0 30 2 * * *", "Europe/Amsterdam", RetentionPolicy(keep_last=7))


class FakeEngine:
    """Records starts; `fail` makes the next starts raise, as a refused start does."""

    def __init__(self) -> None:
        self.started: list[tuple[Orchestrator, str, RunRef]] = []
        self.fail = False

    def __call__(self, orchestrator: Orchestrator, instance_id: str, payload: RunRef) -> None:
        if self.fail:
            raise OrchestrationStartFailed("engine unavailable")
        self.started.append((orchestrator, instance_id, payload))


@pytest.fixture
def engine() -> FakeEngine:
    return FakeEngine()


@pytest.fixture
def tenants(storage: StorageAccount) -> TenantRegistry:
    registry = TenantRegistry(storage)
    for tenant_id in (TENANT, OTHER_TENANT):
        registry.add(tenant_id, tenant_id[:8], "public", "graphsim")
    return registry


def test_the_loop_and_the_backup_job_agree_on_the_run_type() -> None:
    assert SCHEDULED_BACKUP in BACKUP_RUN_TYPES


def test_repeated_ticks_start_each_slot_once(
    store: ScheduleStore, run_tables: RunTables, tenants: TenantRegistry, engine: FakeEngine
) -> None:
    schedule = store.create(TENANT, DAILY, "user:a", CREATED)
    assert start_due_backups(store, run_tables, tenants, engine, FIRST_SLOT - timedelta(seconds=1)) == []
    now = FIRST_SLOT + timedelta(seconds=2)
    [slot] = start_due_backups(store, run_tables, tenants, engine, now)
    for later in (now, now + timedelta(seconds=30), now + CLAIM_LEASE * 2):
        assert start_due_backups(store, run_tables, tenants, engine, later) == []

    assert (slot.schedule_id, slot.slot, slot.reused) == (schedule.schedule_id, FIRST_SLOT, False)
    assert engine.started == [
        (Orchestrator.TENANT_BACKUP, slot.instance_id, RunRef(tenant_id=TENANT, run_id=slot.run_id))
    ]
    [run] = list_runs(run_tables, TENANT).items
    assert (run.run_id, run.run_type, run.source) == (
        slot.run_id,
        SCHEDULED_BACKUP,
        {"scheduleId": schedule.schedule_id, "slot": "2024-06-02T00:30:00Z"},
    )
    stored = store.get(TENANT, schedule.schedule_id)
    assert (stored.last_slot, stored.last_run_id) == (FIRST_SLOT, slot.run_id)
    assert stored.next_due == FIRST_SLOT + timedelta(days=1)


def test_a_missed_slot_is_caught_up_once_as_the_latest_slot(
    store: ScheduleStore, run_tables: RunTables, tenants: TenantRegistry, engine: FakeEngine
) -> None:
    store.create(TENANT, DAILY, "user:a", CREATED)
    three_days_late = FIRST_SLOT + timedelta(days=3, hours=5)
    [slot] = start_due_backups(store, run_tables, tenants, engine, three_days_late)
    assert slot.slot == FIRST_SLOT + timedelta(days=3)
    assert start_due_backups(store, run_tables, tenants, engine, three_days_late + timedelta(minutes=1)) == []
    assert len(engine.started) == 1
    assert len(list_runs(run_tables, TENANT).items) == 1


def test_a_failed_start_is_retried_after_the_lease_on_the_same_run(
    store: ScheduleStore, run_tables: RunTables, tenants: TenantRegistry, engine: FakeEngine,
    caplog: pytest.LogCaptureFixture
) -> None:
    schedule = store.create(TENANT, DAILY, "user:a", CREATED)
    engine.fail = True
    now = FIRST_SLOT + timedelta(seconds=1)
    assert start_due_backups(store, run_tables, tenants, engine, now) == []
    assert "not started" in caplog.text and schedule.schedule_id in caplog.text
    assert store.get(TENANT, schedule.schedule_id).last_slot is None

    engine.fail = False
    assert start_due_backups(store, run_tables, tenants, engine, now + timedelta(minutes=1)) == []
    after_lease = now + CLAIM_LEASE + timedelta(seconds=1)
    [retried] = start_due_backups(store, run_tables, tenants, engine, after_lease)
    assert retried.reused and retried.slot == FIRST_SLOT
    assert [instance for _, instance, _ in engine.started] == [retried.instance_id]
    assert [run.run_id for run in list_runs(run_tables, TENANT).items] == [retried.run_id]


def test_one_failing_schedule_does_not_stop_the_others(
    store: ScheduleStore, run_tables: RunTables, tenants: TenantRegistry, engine: FakeEngine
) -> None:
    other_tenant = OTHER_TENANT
    store.create(TENANT, DAILY, "user:a", CREATED)
    store.create(other_tenant, DAILY, "user:a", CREATED)
    calls: list[str] = []

    def fail_first(orchestrator: Orchestrator, instance_id: str, payload: RunRef) -> None:
        calls.append(payload.tenant_id)
        if len(calls) == 1:
            raise OrchestrationStartFailed("refused")

    started = start_due_backups(store, run_tables, tenants, fail_first, FIRST_SLOT + timedelta(seconds=1))
    assert len(calls) == 2 and [s.tenant_id for s in started] == [calls[1]]


def test_a_disabled_or_unregistered_tenant_gets_no_backup_and_its_slot_is_passed_once(
    store: ScheduleStore, run_tables: RunTables, tenants: TenantRegistry, engine: FakeEngine,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level("INFO", logger="shared.jobs.scheduled_backups")
    gone = "44444444-4444-4444-4444-444444444444"
    disabled = store.create(TENANT, DAILY, "user:a", CREATED)
    unregistered = store.create(gone, DAILY, "user:a", CREATED)
    active = store.create(OTHER_TENANT, DAILY, "user:a", CREATED)
    tenants.set_status(TENANT, TenantStatus.DISABLED)
    now = FIRST_SLOT + timedelta(seconds=1)

    [started] = start_due_backups(store, run_tables, tenants, engine, now)
    assert started.schedule_id == active.schedule_id
    assert [payload.tenant_id for _, _, payload in engine.started] == [OTHER_TENANT]
    for tenant_id, schedule in ((TENANT, disabled), (gone, unregistered)):
        assert list_runs(run_tables, tenant_id).items == []
        stored = store.get(tenant_id, schedule.schedule_id)
        assert (stored.last_slot, stored.last_run_id) == (FIRST_SLOT, None)
        assert stored.next_due == FIRST_SLOT + timedelta(days=1)
        assert f"tenant {tenant_id} is not active" in caplog.text
    assert start_due_backups(store, run_tables, tenants, engine, now + timedelta(minutes=5)) == []

    tenants.set_status(TENANT, TenantStatus.ACTIVE)
    next_day = FIRST_SLOT + timedelta(days=1, seconds=1)
    enabled_again = start_due_backups(store, run_tables, tenants, engine, next_day)
    assert sorted(s.tenant_id for s in enabled_again) == [TENANT, OTHER_TENANT]
    assert {s.slot for s in enabled_again} == {FIRST_SLOT + timedelta(days=1)}
