"""Run read surfaces: newest first, filters with parameters (no injection), paging, tenant scoping."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from shared.runs import (
    RunNotFound,
    RunStatus,
    RunTables,
    finish,
    get_run,
    list_runs,
    locate_run,
    start_or_reuse,
)

TENANT = "tenant-q"
BASE = datetime(2025, 3, 1, tzinfo=UTC)


def _seed(tables: RunTables) -> list[str]:
    """Seven runs a minute apart, alternating types; the fourth is failed. Returns IDs oldest first."""
    ids = []
    for n in range(7):
        run_type = "tenant.backup" if n % 2 else "policy.capture_snapshot"
        run, _ = start_or_reuse(tables, TENANT, run_type, [f"k{n}"], "u", now=BASE + timedelta(minutes=n))
        ids.append(run.run_id)
    finish(tables, TENANT, ids[3], error="boom")
    return ids


def test_list_is_newest_first_and_pages_with_continuation(run_tables: RunTables) -> None:
    ids = _seed(run_tables)
    seen, token = [], None
    while True:
        page = list_runs(run_tables, TENANT, page_size=3, continuation=token)
        seen += [r.run_id for r in page.items]
        token = page.continuation
        if token is None:
            break
    assert seen == list(reversed(ids))


def test_list_filters_by_status_and_type(run_tables: RunTables) -> None:
    ids = _seed(run_tables)
    failed = list_runs(run_tables, TENANT, status=RunStatus.FAILED).items
    assert [r.run_id for r in failed] == [ids[3]]
    backups = list_runs(run_tables, TENANT, run_type="tenant.backup").items
    assert [r.run_id for r in backups] == [ids[5], ids[3], ids[1]]
    queued_captures = list_runs(
        run_tables, TENANT, status=RunStatus.QUEUED, run_type="policy.capture_snapshot"
    )
    assert [r.run_id for r in queued_captures.items] == [ids[6], ids[4], ids[2], ids[0]]


def test_filter_values_with_quotes_are_not_injected(run_tables: RunTables) -> None:
    _seed(run_tables)
    hostile = "x' or RunType ne 'y"
    assert list_runs(run_tables, TENANT, run_type=hostile).items == []
    quoted, _ = start_or_reuse(run_tables, TENANT, "o'brien.backup", ["k"], "u")
    assert [r.run_id for r in list_runs(run_tables, TENANT, run_type="o'brien.backup").items] == [
        quoted.run_id
    ]
    assert list_runs(run_tables, "tenant-q' or PartitionKey ne 'z").items == []


def test_get_run_is_tenant_scoped_and_locate_names_the_owner(run_tables: RunTables) -> None:
    run, _ = start_or_reuse(run_tables, TENANT, "tenant.backup", ["k"], "u")
    assert get_run(run_tables, TENANT, run.run_id).run_id == run.run_id
    with pytest.raises(RunNotFound) as err:
        get_run(run_tables, "tenant-other", run.run_id)
    assert (err.value.code, err.value.status) == ("run.not_found", 404)
    assert locate_run(run_tables, run.run_id) == TENANT
    unknown = "0" * 18 + "-" + "a" * 12
    assert locate_run(run_tables, unknown) is None
    for bad in (unknown, "../x", "", "a/b"):
        with pytest.raises(RunNotFound):
            get_run(run_tables, TENANT, bad)


def test_run_round_trips_through_storage_and_api_shape(run_tables: RunTables) -> None:
    run, _ = start_or_reuse(
        run_tables,
        TENANT,
        "policy.capture_snapshot",
        ["deviceConfigurations", "p1"],
        "user-a",
        source={"type": "deviceConfigurations", "policyId": "p1"},
        parameters={"note": "ü"},
    )
    stored = get_run(run_tables, TENANT, run.run_id)
    assert stored == run
    body = stored.to_api()
    assert body["id"] == run.run_id and body["status"] == "queued" and body["tenantId"] == TENANT
    assert body["source"] == {"type": "deviceConfigurations", "policyId": "p1"}
    assert body["counters"] == {"total": 0, "processed": 0, "succeeded": 0, "failed": 0, "skipped": 0}
    assert "dedupeKey" not in body and "etag" not in body
