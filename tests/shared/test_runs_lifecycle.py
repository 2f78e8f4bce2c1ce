"""Run states, transitions, progress, and end status and counters derived from item outcomes."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from shared.runs import (
    Counters,
    InvalidRunTransition,
    ItemOutcome,
    ItemResult,
    Run,
    RunStatus,
    RunTables,
    advance_part,
    cancel,
    check_transition,
    derive_status,
    finish,
    get_run,
    mark_running,
    record_items,
    start_or_reuse,
    update_progress,
)

TENANT = "tenant-lifecycle"
S = RunStatus
ALLOWED = {
    (S.QUEUED, S.RUNNING),
    (S.QUEUED, S.FAILED),
    (S.QUEUED, S.CANCELLED),
    (S.RUNNING, S.SUCCEEDED),
    (S.RUNNING, S.PARTIALLY_SUCCEEDED),
    (S.RUNNING, S.FAILED),
    (S.RUNNING, S.CANCELLED),
}


@pytest.mark.parametrize("current", list(RunStatus))
@pytest.mark.parametrize("target", list(RunStatus))
def test_only_listed_transitions_are_allowed(current: RunStatus, target: RunStatus) -> None:
    if current == target:
        assert check_transition(current, target) is False
    elif (current, target) in ALLOWED:
        assert check_transition(current, target) is True
    else:
        with pytest.raises(InvalidRunTransition) as err:
            check_transition(current, target)
        assert (err.value.code, err.value.status) == ("run.invalid_transition", 409)


@pytest.mark.parametrize(
    ("counters", "fatal", "expected"),
    [
        (Counters(), False, S.SUCCEEDED),
        (Counters(succeeded=3, skipped=1), False, S.SUCCEEDED),
        (Counters(succeeded=2, failed=1), False, S.PARTIALLY_SUCCEEDED),
        (Counters(failed=2), False, S.FAILED),
        (Counters(failed=1, skipped=2), False, S.FAILED),
        (Counters(succeeded=5), True, S.FAILED),
    ],
)
def test_end_status_follows_outcomes(counters: Counters, fatal: bool, expected: RunStatus) -> None:
    assert derive_status(counters, fatal=fatal) == expected


def _new_run(tables: RunTables, key: str = "k") -> Run:
    return start_or_reuse(tables, TENANT, "tenant.backup", [key], "user-a")[0]


def _items(spec: dict[ItemOutcome, int]) -> list[ItemResult]:
    return [
        ItemResult(f"{outcome.value}-{n}", "deviceConfigurations", outcome)
        for outcome, count in spec.items()
        for n in range(count)
    ]


def test_mark_running_stamps_start_and_is_idempotent(run_tables: RunTables) -> None:
    run = _new_run(run_tables)
    running = mark_running(run_tables, TENANT, run.run_id)
    assert running.status == S.RUNNING and running.started_at is not None
    again = mark_running(run_tables, TENANT, run.run_id)
    assert again.started_at == running.started_at


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ({ItemOutcome.SUCCEEDED: 130, ItemOutcome.SKIPPED: 5}, S.SUCCEEDED),
        ({ItemOutcome.SUCCEEDED: 101, ItemOutcome.FAILED: 7, ItemOutcome.SKIPPED: 2}, S.PARTIALLY_SUCCEEDED),
        ({ItemOutcome.FAILED: 3}, S.FAILED),
    ],
)
def test_finish_counts_items_and_derives_status(
    run_tables: RunTables, spec: dict[ItemOutcome, int], expected: RunStatus
) -> None:
    run = _new_run(run_tables)
    mark_running(run_tables, TENANT, run.run_id)
    items = _items(spec)
    record_items(run_tables, run.run_id, items[: len(items) // 2])
    record_items(run_tables, run.run_id, items)  # a retried chunk re-records the first half
    done = finish(run_tables, TENANT, run.run_id, summary={"chunks": 2})
    stored = get_run(run_tables, TENANT, run.run_id)
    assert stored == done
    assert done.status == expected
    assert done.ended_at is not None and done.summary == {"chunks": 2}
    c = done.counters
    assert (c.succeeded, c.failed, c.skipped, c.conflicts) == tuple(spec.get(o, 0) for o in ItemOutcome)
    assert c.processed == c.total == len(items) == c.succeeded + c.failed + c.skipped + c.conflicts


def test_finish_is_idempotent_and_ended_runs_do_not_change(run_tables: RunTables) -> None:
    run = _new_run(run_tables)
    mark_running(run_tables, TENANT, run.run_id)
    record_items(run_tables, run.run_id, _items({ItemOutcome.SUCCEEDED: 1}))
    done = finish(run_tables, TENANT, run.run_id)
    assert finish(run_tables, TENANT, run.run_id).ended_at == done.ended_at
    with pytest.raises(InvalidRunTransition):
        cancel(run_tables, TENANT, run.run_id)
    with pytest.raises(InvalidRunTransition):
        mark_running(run_tables, TENANT, run.run_id)
    with pytest.raises(InvalidRunTransition):
        finish(run_tables, TENANT, run.run_id, error="late failure")


def test_queued_run_cannot_succeed_but_can_fail_or_be_cancelled(run_tables: RunTables) -> None:
    run = _new_run(run_tables, "a")
    with pytest.raises(InvalidRunTransition):
        finish(run_tables, TENANT, run.run_id)
    failed = finish(run_tables, TENANT, run.run_id, error="orchestration could not start")
    assert failed.status == S.FAILED
    other = _new_run(run_tables, "b")
    assert cancel(run_tables, TENANT, other.run_id, reason="user asked").status == S.CANCELLED


def test_fatal_error_fails_the_run_and_is_stored_redacted(run_tables: RunTables) -> None:
    jwt = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJlc2lnbmF0dXJl"
    secret = "client_secret=AbC8Q~abcdefghijklmnopqrstuvwxyz0123456"
    run = _new_run(run_tables)
    mark_running(run_tables, TENANT, run.run_id)
    record_items(run_tables, run.run_id, _items({ItemOutcome.SUCCEEDED: 2}))
    done = finish(run_tables, TENANT, run.run_id, error=f"Graph said 401 for Bearer {jwt} with {secret}")
    assert done.status == S.FAILED
    assert done.counters.succeeded == 2
    raw = run_tables.runs.get_entity(done.to_entity()["PartitionKey"], run.run_id)
    assert "Graph said 401" in raw["Error"]
    assert jwt not in str(dict(raw)) and "AbC8Q~" not in str(dict(raw))


def test_progress_only_grows_is_etag_safe_and_stops_at_end(run_tables: RunTables) -> None:
    run = _new_run(run_tables)
    mark_running(run_tables, TENANT, run.run_id)
    update_progress(run_tables, TENANT, run.run_id, total=40)
    with ThreadPoolExecutor(max_workers=10) as pool:
        list(pool.map(lambda n: update_progress(run_tables, TENANT, run.run_id, processed=n), range(1, 21)))
    progressed = get_run(run_tables, TENANT, run.run_id)
    assert (progressed.counters.total, progressed.counters.processed) == (40, 20)
    update_progress(run_tables, TENANT, run.run_id, processed=5)
    assert get_run(run_tables, TENANT, run.run_id).counters.processed == 20
    record_items(run_tables, run.run_id, _items({ItemOutcome.SUCCEEDED: 30}))
    done = finish(run_tables, TENANT, run.run_id, error="stopped after 30 of 40")
    assert (done.counters.total, done.counters.processed) == (40, 30)
    after = update_progress(run_tables, TENANT, run.run_id, processed=40)
    assert after.counters == done.counters


def test_parts_advance_in_parallel_retries_change_nothing_and_the_end_counts_the_items(
    run_tables: RunTables,
) -> None:
    run = _new_run(run_tables)
    mark_running(run_tables, TENANT, run.run_id)
    update_progress(run_tables, TENANT, run.run_id, total=60)
    reports = [(part, n) for n in (10, 20, 30) for part in ("a", "b")]
    with ThreadPoolExecutor(max_workers=6) as pool:
        list(pool.map(lambda r: advance_part(run_tables, TENANT, run.run_id, r[0], r[1]), reports))
    assert get_run(run_tables, TENANT, run.run_id).counters.processed == 60
    advance_part(run_tables, TENANT, run.run_id, "a", 20)
    again = advance_part(run_tables, TENANT, run.run_id, "b", 30)
    assert (again.counters.total, again.counters.processed) == (60, 60)
    record_items(run_tables, run.run_id, _items({ItemOutcome.SUCCEEDED: 55, ItemOutcome.FAILED: 5}))
    done = finish(run_tables, TENANT, run.run_id)
    assert (done.counters.processed, done.counters.succeeded, done.counters.failed) == (60, 55, 5)
    assert advance_part(run_tables, TENANT, run.run_id, "c", 10).counters == done.counters
