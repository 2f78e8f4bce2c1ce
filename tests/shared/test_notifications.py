"""Notifications: one per (run, status), newest first, unread filter, only the owner can mark read."""

from __future__ import annotations

import pytest
from azure.data.tables import TableClient

from shared.notifications import NotificationNotFound, list_notifications, mark_read, notify_run
from shared.runs import ItemOutcome, ItemResult, RunTables, finish, mark_running, record_items, start_or_reuse
from shared.storage import StorageAccount, names

TENANT = "tenant/with#odd?chars"
OWNER = "user:oid-1"


@pytest.fixture
def table(storage: StorageAccount) -> TableClient:
    return storage.table(names.NOTIFICATIONS)


def _finished_run_events(run_tables: RunTables, table: TableClient, outcomes: list[ItemOutcome]) -> list[str]:
    run, _ = start_or_reuse(run_tables, TENANT, "policy.capture_snapshot", ["p"], OWNER)
    notify_run(table, run)
    running = mark_running(run_tables, TENANT, run.run_id)
    notify_run(table, running)
    record_items(run_tables, run.run_id, [ItemResult(f"i{n}", "t", o) for n, o in enumerate(outcomes)])
    done = finish(run_tables, TENANT, run.run_id)
    notify_run(table, done)
    return [n.event for n in list_notifications(table, OWNER).items]


def test_start_and_end_each_notify_once_newest_first(run_tables: RunTables, table: TableClient) -> None:
    events = _finished_run_events(run_tables, table, [ItemOutcome.SUCCEEDED, ItemOutcome.FAILED])
    assert events == ["partially_succeeded", "started"]
    newest = list_notifications(table, OWNER).items[0]
    assert newest.title == "Policy capture snapshot partially succeeded"
    assert newest.link == f"/api/tenants/tenant%2Fwith%23odd%3Fchars/runs/{newest.run_id}"
    assert (newest.tenant_id, newest.status, newest.read) == (TENANT, "partially_succeeded", False)


@pytest.mark.parametrize(
    ("outcomes", "event"),
    [([ItemOutcome.SUCCEEDED], "succeeded"), ([ItemOutcome.FAILED], "failed")],
)
def test_success_and_failure_are_notified(
    run_tables: RunTables, table: TableClient, outcomes: list[ItemOutcome], event: str
) -> None:
    assert _finished_run_events(run_tables, table, outcomes)[0] == event


def test_notify_is_idempotent_per_run_and_status(run_tables: RunTables, table: TableClient) -> None:
    run, _ = start_or_reuse(run_tables, TENANT, "tenant.backup", ["slot"], OWNER)
    first, created = notify_run(table, run)
    again, created_again = notify_run(table, run)
    assert (created, created_again) == (True, False)
    assert again.notification_id == first.notification_id
    assert len(list_notifications(table, OWNER).items) == 1


def test_unread_filter_paging_and_owner_only_mark_read(run_tables: RunTables, table: TableClient) -> None:
    for n in range(5):
        run, _ = start_or_reuse(run_tables, TENANT, "tenant.backup", [f"slot-{n}"], OWNER)
        notify_run(table, run)
    first_page = list_notifications(table, OWNER, page_size=2)
    assert len(first_page.items) == 2 and first_page.continuation is not None
    rest = list_notifications(table, OWNER, page_size=10, continuation=first_page.continuation)
    assert len(rest.items) == 3
    target = first_page.items[0]
    with pytest.raises(NotificationNotFound) as err:
        mark_read(table, "user:intruder", target.notification_id)
    assert (err.value.code, err.value.status) == ("notification.not_found", 404)
    assert mark_read(table, OWNER, target.notification_id).read is True
    assert mark_read(table, OWNER, target.notification_id).read is True
    unread = list_notifications(table, OWNER, unread_only=True).items
    assert target.notification_id not in {n.notification_id for n in unread}
    assert len(unread) == 4
    with pytest.raises(NotificationNotFound):
        mark_read(table, OWNER, "not-an-id")
    assert list_notifications(table, "user:intruder").items == []
