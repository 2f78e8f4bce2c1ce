"""Audit trail: append-only per tenant, newest first, paged, filtered by action and time with parameters."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from shared.audit import AuditLog, AuditOutcome, InvalidAuditQuery
from shared.storage import InvalidContinuationToken, StorageAccount, names

TENANT_A = "8f1c2d3e-4b5a-4c6d-8e7f-9a0b1c2d3e4f"
TENANT_B = "1a2b3c4d-5e6f-4a8b-9c0d-1e2f3a4b5c6d"
T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def audit(storage: StorageAccount) -> AuditLog:
    return AuditLog(storage)


def test_record_and_read_back_with_redacted_details(audit: AuditLog, storage: StorageAccount) -> None:
    secret = "abc8Q~0123456789abcdefghijklmnopqrstuvwx"
    event = audit.record(
        TENANT_A,
        "runs.start",
        "user:alice",
        AuditOutcome.SUCCEEDED,
        run_id="run-1",
        details={"policy": "Baseline", "error": f"client_secret={secret}"},
    )
    page = audit.query(TENANT_A)
    assert [e.id for e in page.items] == [event.id]
    stored = page.items[0]
    assert (stored.actor, stored.action, stored.outcome, stored.run_id) == (
        "user:alice",
        "runs.start",
        AuditOutcome.SUCCEEDED,
        "run-1",
    )
    assert stored.details["policy"] == "Baseline"
    raw = list(storage.table(names.AUDIT).list_entities())
    assert secret not in repr(raw)


def test_newest_first_paged_and_isolated_per_tenant(audit: AuditLog) -> None:
    for minute in range(7):
        at = T0 + timedelta(minutes=minute)
        audit.record(TENANT_A, f"a.{minute}", "system", AuditOutcome.SUCCEEDED, at=at)
    audit.record(TENANT_B, "b.only", "system", AuditOutcome.SUCCEEDED, at=T0)
    seen: list[str] = []
    continuation: str | None = None
    pages = 0
    while True:
        page = audit.query(TENANT_A, page_size=3, continuation=continuation)
        seen += [event.action for event in page.items]
        pages += 1
        continuation = page.continuation
        if continuation is None:
            break
    assert seen == [f"a.{minute}" for minute in reversed(range(7))]
    assert pages == 3
    assert [e.action for e in audit.query(TENANT_B).items] == ["b.only"]


def test_a_continuation_token_of_tenant_a_does_not_read_tenant_b(audit: AuditLog) -> None:
    for minute in range(3):
        audit.record(TENANT_A, "a", "system", AuditOutcome.SUCCEEDED, at=T0 + timedelta(minutes=minute))
        audit.record(TENANT_B, "b", "system", AuditOutcome.SUCCEEDED, at=T0 + timedelta(minutes=minute))
    token = audit.query(TENANT_A, page_size=1).continuation
    assert token is not None
    replayed = audit.query(TENANT_B, page_size=10, continuation=token)
    assert all(event.tenant_id == TENANT_B for event in replayed.items)


def test_filter_by_action_and_time_range(audit: AuditLog) -> None:
    for minute in range(6):
        action = "auth.denied" if minute % 2 else "runs.start"
        audit.record(TENANT_A, action, "system", AuditOutcome.DENIED, at=T0 + timedelta(minutes=minute))
    denied = audit.query(TENANT_A, action="auth.denied")
    assert [e.at for e in denied.items] == [T0 + timedelta(minutes=m) for m in (5, 3, 1)]
    window = audit.query(TENANT_A, since=T0 + timedelta(minutes=1), until=T0 + timedelta(minutes=4))
    assert [e.at for e in window.items] == [T0 + timedelta(minutes=m) for m in (3, 2, 1)]
    both = audit.query(TENANT_A, action="runs.start", since=T0 + timedelta(minutes=1))
    assert [e.at for e in both.items] == [T0 + timedelta(minutes=m) for m in (4, 2)]


def test_filter_values_are_parameters_not_filter_text(audit: AuditLog) -> None:
    audit.record(TENANT_A, "runs.start", "system", AuditOutcome.SUCCEEDED)
    injected = "x' or PartitionKey ne 'nothing"
    assert audit.query(TENANT_A, action=injected).items == []


def test_invalid_queries(audit: AuditLog) -> None:
    with pytest.raises(InvalidAuditQuery):
        audit.query(TENANT_A, since=T0, until=T0)
    with pytest.raises(InvalidAuditQuery):
        audit.query(TENANT_A, since=datetime(2026, 1, 1))
    with pytest.raises(InvalidContinuationToken):
        audit.query(TENANT_A, continuation="not-a-token")


def test_oversized_details_are_cut_to_fit_a_table_property(audit: AuditLog) -> None:
    audit.record(TENANT_A, "big", "system", AuditOutcome.FAILED, details={"blob": "x" * 100_000})
    stored = audit.query(TENANT_A).items[0]
    assert stored.details["truncated"] is True
