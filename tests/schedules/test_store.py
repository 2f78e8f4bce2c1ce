"""Schedule CRUD on Azurite: ETag-conditional writes, tenant isolation, and a due index kept in step."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from shared.schedules import (
    RetentionPolicy,
    ScheduleConflict,
    ScheduleNotFound,
    ScheduleSpec,
    ScheduleStore,
    due_backups,
)
from shared.schedules.store import DUE_PARTITION
from shared.storage import StorageAccount, names

TENANT = "11111111-1111-1111-1111-111111111111"
OTHER = "22222222-2222-2222-2222-222222222222"
NOW = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)
DAILY = ScheduleSpec("0 30 2 * * *", "Europe/Amsterdam", RetentionPolicy(keep_last=7))


def _index_rows(storage: StorageAccount) -> list[tuple[str, str]]:
    rows = storage.table(names.SCHEDULE_DUE).query_entities(
        "PartitionKey eq @pk", parameters={"pk": DUE_PARTITION}
    )
    return sorted((row["ScheduleId"], row["RowKey"][:20]) for row in rows)


def test_create_get_list_per_tenant(store: ScheduleStore) -> None:
    created = store.create(TENANT, DAILY, "user:a", NOW)
    store.create(OTHER, DAILY, "user:b", NOW)
    assert created.next_due == datetime(2024, 6, 2, 0, 30, tzinfo=UTC)
    assert created.etag
    fetched = store.get(TENANT, created.schedule_id)
    assert fetched == created
    assert fetched.to_api()["nextDue"] == "2024-06-02T00:30:00Z"
    assert [s.schedule_id for s in store.list(TENANT).items] == [created.schedule_id]
    with pytest.raises(ScheduleNotFound):
        store.get(OTHER, created.schedule_id)


def test_list_pages_with_a_continuation(store: ScheduleStore) -> None:
    ids = {store.create(TENANT, DAILY, "user:a", NOW).schedule_id for _ in range(3)}
    first = store.list(TENANT, page_size=2)
    second = store.list(TENANT, page_size=2, continuation=first.continuation)
    assert len(first.items) == 2 and second.continuation is None
    assert {s.schedule_id for s in first.items + second.items} == ids


def test_unknown_or_malformed_ids_are_not_found(store: ScheduleStore) -> None:
    for schedule_id in ("0" * 32, "../x", "", "ABC"):
        with pytest.raises(ScheduleNotFound) as caught:
            store.get(TENANT, schedule_id)
        assert (caught.value.status, caught.value.code) == (404, "schedule.not_found")


def test_update_with_a_stale_etag_is_a_conflict_and_writes_nothing(store: ScheduleStore) -> None:
    created = store.create(TENANT, DAILY, "user:a", NOW)
    in_utc = ScheduleSpec(DAILY.cron, "UTC", DAILY.retention)
    first = store.update(TENANT, created.schedule_id, in_utc, "user:b", created.etag, NOW)
    with pytest.raises(ScheduleConflict) as caught:
        store.update(TENANT, created.schedule_id, DAILY, "user:c", created.etag, NOW)
    assert (caught.value.status, caught.value.code) == (412, "schedule.conflict")
    stored = store.get(TENANT, created.schedule_id)
    assert (stored.spec.time_zone, stored.updated_by, stored.etag) == ("UTC", "user:b", first.etag)


def test_racing_writers_with_the_same_etag_one_wins(store: ScheduleStore) -> None:
    created = store.create(TENANT, DAILY, "user:a", NOW)
    stale = store.get(TENANT, created.schedule_id)
    store.replace(stale, stale.with_changes(updated_by="user:b"))
    with pytest.raises(ScheduleConflict):
        store.replace(stale, stale.with_changes(updated_by="user:c"))
    assert store.get(TENANT, created.schedule_id).updated_by == "user:b"


def test_delete_is_conditional_and_removes_the_index_row(
    store: ScheduleStore, storage: StorageAccount
) -> None:
    created = store.create(TENANT, DAILY, "user:a", NOW)
    store.update(TENANT, created.schedule_id, DAILY, "user:b", None, NOW)
    with pytest.raises(ScheduleConflict):
        store.delete(TENANT, created.schedule_id, etag=created.etag)
    assert len(_index_rows(storage)) == 1
    store.delete(TENANT, created.schedule_id)
    assert _index_rows(storage) == []
    with pytest.raises(ScheduleNotFound):
        store.get(TENANT, created.schedule_id)


def test_index_follows_cron_changes_and_disabling(store: ScheduleStore, storage: StorageAccount) -> None:
    created = store.create(TENANT, DAILY, "user:a", NOW)
    assert _index_rows(storage) == [(created.schedule_id, "2024-06-02T00:30:00Z")]
    unchanged = store.update(TENANT, created.schedule_id, DAILY, "user:a", None, NOW + timedelta(days=3))
    assert unchanged.next_due == created.next_due, "an edit that keeps the cron keeps the due slot"
    evening = ScheduleSpec("0 0 20 * * *", "Europe/Amsterdam", DAILY.retention)
    moved = store.update(TENANT, created.schedule_id, evening, "user:a", None, NOW)
    assert _index_rows(storage) == [(created.schedule_id, "2024-06-01T18:00:00Z")]
    disabled = ScheduleSpec(evening.cron, evening.time_zone, evening.retention, enabled=False)
    off = store.update(TENANT, created.schedule_id, disabled, "user:a", moved.etag, NOW)
    assert off.next_due is None and _index_rows(storage) == []
    later = NOW + timedelta(days=10)
    on = store.update(TENANT, created.schedule_id, evening, "user:a", off.etag, later)
    assert on.next_due == datetime(2024, 6, 11, 18, 0, tzinfo=UTC), "re-enabling never catches up the past"
    assert _index_rows(storage) == [(created.schedule_id, "2024-06-11T18:00:00Z")]


def test_leftover_index_rows_are_ignored_and_cleaned(store: ScheduleStore, storage: StorageAccount) -> None:
    kept = store.create(TENANT, DAILY, "user:a", NOW)
    gone = store.create(OTHER, DAILY, "user:a", NOW)
    # A crash between writing a new index row and the schedule leaves an extra, earlier row.
    leftover = kept.with_changes(next_due=datetime(2024, 6, 1, 13, 0, tzinfo=UTC))
    store._write_due_row(leftover)
    storage.table(names.SCHEDULES).delete_entity(gone.to_entity()["PartitionKey"], gone.schedule_id)
    at_slot = datetime(2024, 6, 2, 0, 30, tzinfo=UTC)
    due = due_backups(store, at_slot)
    assert [(d.tenant_id, d.schedule_id) for d in due] == [(TENANT, kept.schedule_id)]
    assert _index_rows(storage) == [(kept.schedule_id, "2024-06-02T00:30:00Z")]


def test_a_fresh_mismatching_row_is_left_alone(store: ScheduleStore, storage: StorageAccount) -> None:
    created = store.create(TENANT, DAILY, "user:a", NOW)
    store._write_due_row(created.with_changes(next_due=NOW))  # a writer between its two writes
    assert due_backups(store, NOW + timedelta(minutes=1)) == []
    assert len(_index_rows(storage)) == 2
