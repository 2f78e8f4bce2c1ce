"""Dedupe: one active run per key under concurrency, takeover once it ended, crash-window repair."""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest

from shared.runs import (
    ItemOutcome,
    ItemResult,
    RunStatus,
    RunTables,
    dedupe_key,
    finish,
    get_run,
    instance_id_for,
    list_runs,
    locate_run,
    mark_running,
    record_items,
    start_or_reuse,
)
from shared.runs.dedupe import REPAIR_WINDOW, _lock_entity, lock_row_key
from shared.runs.model import Run, new_run_id
from shared.storage import encode_key

TENANT = "11111111-1111-1111-1111-111111111111"
CAPTURE = "policy.capture_snapshot"
PARTS = ("deviceConfigurations", "pol-1")


def _start(tables: RunTables, parts: tuple[str, ...] = PARTS, **kwargs: object) -> tuple[Run, bool]:
    return start_or_reuse(tables, TENANT, CAPTURE, parts, "user-a", **kwargs)  # type: ignore[arg-type]


def _end(tables: RunTables, run: Run) -> Run:
    mark_running(tables, TENANT, run.run_id)
    record_items(tables, run.run_id, [ItemResult("i1", "deviceConfigurations", ItemOutcome.SUCCEEDED)])
    return finish(tables, TENANT, run.run_id)


def _all_runs(tables: RunTables) -> list[Run]:
    return list_runs(tables, TENANT, page_size=1000).items


def test_fifty_concurrent_starts_make_exactly_one_run(run_tables: RunTables) -> None:
    with ThreadPoolExecutor(max_workers=50) as pool:
        results = list(pool.map(lambda _: _start(run_tables), range(50)))
    run_ids = {run.run_id for run, _ in results}
    assert len(run_ids) == 1
    assert sorted(reused for _, reused in results) == [False] + [True] * 49
    assert {run.instance_id for run, _ in results} == {results[0][0].instance_id}
    assert [r.run_id for r in _all_runs(run_tables)] == list(run_ids)


def test_running_run_is_reused_and_ended_run_is_replaced(run_tables: RunTables) -> None:
    first, reused = _start(run_tables)
    assert (first.status, reused) == (RunStatus.QUEUED, False)
    mark_running(run_tables, TENANT, first.run_id)
    again, reused = _start(run_tables)
    assert (again.run_id, again.status, reused) == (first.run_id, RunStatus.RUNNING, True)
    _end(run_tables, first)
    second, reused = _start(run_tables)
    assert reused is False
    assert second.run_id != first.run_id
    assert second.instance_id != first.instance_id
    assert second.status == RunStatus.QUEUED
    assert {r.run_id for r in _all_runs(run_tables)} == {first.run_id, second.run_id}
    assert _start(run_tables)[0].run_id == second.run_id


def test_concurrent_takeover_after_end_makes_one_new_run(run_tables: RunTables) -> None:
    first, _ = _start(run_tables)
    _end(run_tables, first)
    with ThreadPoolExecutor(max_workers=20) as pool:
        results = list(pool.map(lambda _: _start(run_tables), range(20)))
    assert len({run.run_id for run, _ in results}) == 1
    assert sum(not reused for _, reused in results) == 1
    assert results[0][0].run_id != first.run_id
    assert len(_all_runs(run_tables)) == 2


def test_different_keys_and_tenants_do_not_dedupe_each_other(run_tables: RunTables) -> None:
    a, _ = _start(run_tables, ("deviceConfigurations", "pol-1"))
    b, _ = _start(run_tables, ("deviceConfigurations", "pol-2"))
    c, _ = start_or_reuse(run_tables, "tenant-b", CAPTURE, ("deviceConfigurations", "pol-1"), "user-a")
    d, _ = _start(run_tables, ("deviceConfigurations|pol-1",))
    assert len({a.run_id, b.run_id, c.run_id, d.run_id}) == 4
    assert dedupe_key(TENANT, CAPTURE, ["a|b", "c"]) != dedupe_key(TENANT, CAPTURE, ["a", "b|c"])


def _plant_lock(tables: RunTables, created_at: datetime) -> Run:
    """What a caller leaves behind when it dies after taking the lock and before writing the run."""
    run_id = new_run_id(created_at)
    key_hash = lock_row_key(TENANT, CAPTURE, PARTS)
    orphan = Run(
        run_id=run_id,
        tenant_id=TENANT,
        run_type=CAPTURE,
        status=RunStatus.QUEUED,
        dedupe_key=dedupe_key(TENANT, CAPTURE, PARTS),
        instance_id=instance_id_for(CAPTURE, key_hash, run_id),
        requested_by="crashed-caller",
        created_at=created_at,
        parameters={"policyId": "pol-1"},
    )
    tables.locks.create_entity(_lock_entity(encode_key(TENANT), key_hash, orphan))
    return orphan


def test_crash_window_lock_without_run_is_repaired_by_next_request(run_tables: RunTables) -> None:
    orphan = _plant_lock(run_tables, datetime.now(UTC))
    with pytest.raises(Exception, match="not found"):
        get_run(run_tables, TENANT, orphan.run_id)
    run, reused = _start(run_tables)
    assert reused is True
    assert run.run_id == orphan.run_id
    assert run.requested_by == "crashed-caller"
    assert run.parameters == {"policyId": "pol-1"}
    assert get_run(run_tables, TENANT, orphan.run_id).status == RunStatus.QUEUED
    assert locate_run(run_tables, orphan.run_id) == TENANT


def test_crash_window_repair_under_concurrency_writes_one_record(run_tables: RunTables) -> None:
    orphan = _plant_lock(run_tables, datetime.now(UTC))
    with ThreadPoolExecutor(max_workers=20) as pool:
        results = list(pool.map(lambda _: _start(run_tables), range(20)))
    assert {run.run_id for run, _ in results} == {orphan.run_id}
    assert all(reused for _, reused in results)
    assert len(_all_runs(run_tables)) == 1


def test_lock_whose_run_was_purged_long_ago_is_taken_over(run_tables: RunTables) -> None:
    orphan = _plant_lock(run_tables, datetime.now(UTC) - REPAIR_WINDOW - timedelta(minutes=1))
    run, reused = _start(run_tables)
    assert reused is False
    assert run.run_id != orphan.run_id
    assert [r.run_id for r in _all_runs(run_tables)] == [run.run_id]


@pytest.mark.parametrize("run_type", ["policy.capture_snapshot", "a/b\\c?d#e", "@x" + "y" * 400, ""])
def test_instance_ids_are_valid_deterministic_and_per_run(run_type: str) -> None:
    key_hash = lock_row_key(TENANT, run_type, ["p/1?#"])
    run_id = new_run_id(datetime.now(UTC))
    instance = instance_id_for(run_type, key_hash, run_id)
    assert re.fullmatch(r"[A-Za-z0-9._-]{1,256}", instance)
    assert not instance.startswith("@")
    assert instance == instance_id_for(run_type, key_hash, run_id)
    assert instance != instance_id_for(run_type, key_hash, new_run_id(datetime.now(UTC)))
    assert instance_id_for(run_type, lock_row_key(TENANT, run_type, ["p/2"]), run_id) != instance
