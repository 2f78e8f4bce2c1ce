"""The tenant backup orchestrator as a generator: activities answered by a dispatch on their names,
fan-outs (task_all / task_any) resolved in the order scheduled, every message crossing the SDK's codec;
and the chunk plan, pure."""

from __future__ import annotations

from typing import Any

import pytest

import orchestrators.tenant_backup as tenant_backup_module
from orchestrators.plumbing import MAX_ATTEMPTS, MAX_WAIT_SECONDS
from orchestrators.tenant_backup import (
    CHUNK_COST,
    GET_COST,
    LIST_COST,
    MIN_CHUNK_COST,
    PROGRESS_EVERY,
    plan_chunks,
    tenant_backup,
)
from shared.intune.catalog import object_type
from shared.jobs.messages import (
    Activity,
    BackupBegun,
    BackupChunk,
    BackupFinished,
    BackupTotal,
    ChunkOutcome,
    ChunkSpan,
    Counters,
    Orchestrator,
    RunEnd,
    RunEnded,
    RunRef,
    TypeListing,
    TypeListings,
)
from tests.orchestrators import fakes
from tests.orchestrators.fakes import Answer, FakeTask, calls, names, timers

RUN = RunRef(tenant_id="t", run_id="r")
ORCHESTRATORS = {Orchestrator.TENANT_BACKUP: tenant_backup}
GET_TYPE = "configurationPolicies"
"""Read one by one (a `$batch` share per object)."""
LIST_TYPE = "deviceConfigurations"
"""Its list holds everything."""


@pytest.fixture(autouse=True)
def full_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Chunks of CHUNK_COST whatever the tenant's size, so the ranges below are plain to read; the
    spreading of a small tenant has its own test."""
    monkeypatch.setattr(tenant_backup_module, "TARGET_CHUNKS", 1)


def drive(
    name: Orchestrator, payload: Any, answer: Answer, log: list[FakeTask], *, last_first: bool = False
) -> Any:
    result, _ = fakes.drive(ORCHESTRATORS, name, payload, answer, log=log, last_first=last_first)
    return result


def size_of(chunk: BackupChunk) -> int:
    return len(chunk.retry) or sum(span.end - span.start for span in chunk.spans)


def listed(counts: dict[str, int]) -> list[TypeListing]:
    return [TypeListing(policy_type=kind, count=count) for kind, count in counts.items()]


def backup_answers(counts: dict[str, int], chunk: Answer | None = None) -> Answer:
    """A backup whose listings give `counts` and whose chunks succeed (or answer as `chunk` says)."""

    def answer(name: Activity, payload: Any) -> Any:
        if name == Activity.BEGIN_BACKUP:
            return BackupBegun(active=True, status="running", types=tuple(counts))
        if name == Activity.BACKUP_LIST_TYPES:
            return TypeListings(
                listings=tuple(TypeListing(policy_type=t, count=counts[t]) for t in payload.policy_types)
            )
        if name == Activity.BACKUP_CAPTURE_CHUNK:
            if chunk is not None:
                return chunk(name, payload)
            return ChunkOutcome(succeeded=size_of(payload))
        if name == Activity.BACKUP_TOTAL:
            return Counters(total=payload.total, processed=0)
        if name == Activity.BACKUP_PROGRESS:
            return Counters(processed=sum(payload.parts.values()))
        if name == Activity.FINISH_BACKUP:
            return BackupFinished(backup_id=payload.run_id, manifest="m", deleted_in_graph=0)
        if name == Activity.END_RUN:
            return RunEnded(status="failed" if payload.error else "succeeded", error=payload.error)
        raise AssertionError(f"unexpected activity {name}")

    return answer


def test_a_backup_lists_every_type_in_one_activity_captures_the_listed_ones_and_ends_with_the_manifest() -> (
    None
):
    log: list[FakeTask] = []
    counts = {GET_TYPE: 3, LIST_TYPE: 2, "roleScopeTags": 0}
    result = drive(Orchestrator.TENANT_BACKUP, RUN, backup_answers(counts), log)

    assert result == {"status": "succeeded", "error": None, "backupId": "r"}
    [listing] = calls(log, Activity.BACKUP_LIST_TYPES)
    assert listing.policy_types == tuple(counts) and listing.retry_of is None
    assert calls(log, Activity.BACKUP_TOTAL) == [BackupTotal(tenant_id="t", run_id="r", total=5)]
    assert calls(log, Activity.BACKUP_CAPTURE_CHUNK) == [
        BackupChunk(
            tenant_id="t",
            run_id="r",
            spans=(
                ChunkSpan(policy_type=GET_TYPE, start=0, end=3),
                ChunkSpan(policy_type=LIST_TYPE, start=0, end=2),
            ),
        )
    ]
    assert not [task for task in log if task.name == "tenant_backup_type"]
    assert names(log) == [
        "begin_backup",
        "backup_list_types",
        "backup_total",
        "backup_capture_chunk",
        "backup_progress",
        "finish_backup",
        "end_run",
    ]
    assert calls(log, Activity.END_RUN) == [RunEnd(tenant_id="t", run_id="r", error=None)]


def test_a_backup_started_again_for_an_ended_run_does_nothing() -> None:
    log: list[FakeTask] = []
    ended = BackupBegun(active=False, status="succeeded")
    result = drive(Orchestrator.TENANT_BACKUP, RUN, lambda name, payload: ended, log)
    assert BackupBegun.from_json(result) == ended
    assert names(log) == ["begin_backup"]


def test_a_throttled_listing_waits_on_a_timer_then_lists_only_the_throttled_types_again() -> None:
    log: list[FakeTask] = []
    counts = {GET_TYPE: 1, LIST_TYPE: 1, "roleScopeTags": 1}
    plain = backup_answers(counts)
    throttled_once: set[str] = set()

    def answer(name: Activity, payload: Any) -> Any:
        if name != Activity.BACKUP_LIST_TYPES:
            return plain(name, payload)
        listings = []
        for kind in payload.policy_types:
            if kind != "roleScopeTags" and kind not in throttled_once:
                throttled_once.add(kind)
                wait = 7 if kind == LIST_TYPE else 2
                listings.append(TypeListing(policy_type=kind, throttled=True, retry_after=wait))
            else:
                listings.append(TypeListing(policy_type=kind, count=counts[kind]))
        return TypeListings(listings=tuple(listings))

    result = drive(Orchestrator.TENANT_BACKUP, RUN, answer, log)
    assert [c.policy_types for c in calls(log, Activity.BACKUP_LIST_TYPES)] == [
        tuple(counts),
        (GET_TYPE, LIST_TYPE),
    ]
    assert timers(log) == [7.0]
    assert names(log)[:4] == ["begin_backup", "backup_list_types", "timer", "backup_list_types"]
    assert calls(log, Activity.BACKUP_TOTAL)[0].total == 3
    [chunk] = calls(log, Activity.BACKUP_CAPTURE_CHUNK)
    assert sorted(span.policy_type for span in chunk.spans) == sorted(counts)
    assert result["status"] == "succeeded"


def test_a_listing_throttled_on_every_attempt_ends_the_run_with_an_error() -> None:
    log: list[FakeTask] = []
    plain = backup_answers({GET_TYPE: 1})

    def answer(name: Activity, payload: Any) -> Any:
        if name == Activity.BACKUP_LIST_TYPES:
            return TypeListings(
                listings=(TypeListing(policy_type=GET_TYPE, throttled=True, retry_after=1000),)
            )
        return plain(name, payload)

    result = drive(Orchestrator.TENANT_BACKUP, RUN, answer, log)
    assert len(calls(log, Activity.BACKUP_LIST_TYPES)) == MAX_ATTEMPTS
    assert timers(log) == [MAX_WAIT_SECONDS] * (MAX_ATTEMPTS - 1)
    assert result["status"] == "failed"
    assert "kept throttling the listing" in calls(log, Activity.END_RUN)[0].error
    assert not calls(log, Activity.BACKUP_CAPTURE_CHUNK)
    assert names(log)[-2:] == ["finish_backup", "end_run"]


@pytest.mark.parametrize(
    ("policy_type", "count", "per_chunk"),
    [(GET_TYPE, 130, CHUNK_COST // GET_COST), (LIST_TYPE, 250, CHUNK_COST // LIST_COST)],
)
def test_a_big_type_is_split_into_chunks_of_index_ranges_its_cost_allows(
    policy_type: str, count: int, per_chunk: int
) -> None:
    chunks = plan_chunks(RUN, listed({policy_type: count}))
    assert [chunk.spans for chunk in chunks] == [
        (ChunkSpan(policy_type=policy_type, start=start, end=min(start + per_chunk, count)),)
        for start in range(0, count, per_chunk)
    ]
    assert all(not chunk.retry and not chunk.final_attempt for chunk in chunks)


def test_small_types_share_chunks_and_every_object_is_in_exactly_one_chunk_within_the_cost() -> None:
    counts = {
        GET_TYPE: 45,
        LIST_TYPE: 7,
        "roleScopeTags": 3,
        "deviceManagementScripts": 30,
        "assignmentFilters": 1,
        "deviceCompliancePolicies": 90,
        "groupPolicyConfigurations": 17,
    }
    chunks = plan_chunks(RUN, listed(counts))

    covered: dict[str, list[int]] = {}
    for chunk in chunks:
        cost = 0
        for span in chunk.spans:
            assert span.start < span.end
            covered.setdefault(span.policy_type, []).extend(range(span.start, span.end))
            unit = LIST_COST if object_type(span.policy_type).list_is_complete else GET_COST
            cost += (span.end - span.start) * unit
        assert cost <= CHUNK_COST
    assert covered == {kind: list(range(count)) for kind, count in counts.items()}
    assert len(chunks) < len(counts)
    assert any(len(chunk.spans) > 1 for chunk in chunks)


def test_throttled_objects_are_retried_after_a_timer_in_their_chunk_and_only_them() -> None:
    log: list[FakeTask] = []
    counts = {GET_TYPE: 130}

    def chunk(name: Activity, payload: Any) -> Any:
        if payload.spans[0].start == 60 and not payload.retry:
            return ChunkOutcome(
                succeeded=57, skipped=1, throttled=(f"{GET_TYPE}:a", f"{GET_TYPE}:b"), retry_after=12.5
            )
        return ChunkOutcome(succeeded=size_of(payload))

    result = drive(Orchestrator.TENANT_BACKUP, RUN, backup_answers(counts, chunk), log)

    chunks = calls(log, Activity.BACKUP_CAPTURE_CHUNK)
    assert len(chunks) == 4
    assert chunks[3] == BackupChunk(
        tenant_id="t",
        run_id="r",
        spans=(ChunkSpan(policy_type=GET_TYPE, start=60, end=120),),
        retry=(f"{GET_TYPE}:a", f"{GET_TYPE}:b"),
    )
    assert timers(log) == [12.5]
    assert [p.parts for p in calls(log, Activity.BACKUP_PROGRESS)] == [{GET_TYPE: 128}, {GET_TYPE: 130}]
    assert result["status"] == "succeeded"


def test_the_final_attempt_is_told_so_and_nothing_is_retried_after_it() -> None:
    log: list[FakeTask] = []

    def chunk(name: Activity, payload: Any) -> Any:
        keys = payload.retry or (f"{GET_TYPE}:x", f"{GET_TYPE}:y")
        if payload.final_attempt:
            return ChunkOutcome(failed=len(keys))
        return ChunkOutcome(throttled=keys, retry_after=3)

    drive(Orchestrator.TENANT_BACKUP, RUN, backup_answers({GET_TYPE: 2}, chunk), log)

    finals = [c.final_attempt for c in calls(log, Activity.BACKUP_CAPTURE_CHUNK)]
    assert finals == [False] * (MAX_ATTEMPTS - 1) + [True]
    assert timers(log) == [3.0] * (MAX_ATTEMPTS - 1)
    assert [p.parts for p in calls(log, Activity.BACKUP_PROGRESS)] == [{GET_TYPE: 2}]


def test_the_types_of_a_chunk_that_failed_are_named_to_finish_after_every_other_chunk_ended() -> None:
    log: list[FakeTask] = []
    counts = {GET_TYPE: 70, LIST_TYPE: 1}

    def chunk(name: Activity, payload: Any) -> Any:
        if payload.spans[0].start == 60:
            return Exception("Activity function 'backup_capture_chunk' failed: storage down")
        return ChunkOutcome(succeeded=size_of(payload))

    result = drive(Orchestrator.TENANT_BACKUP, RUN, backup_answers(counts, chunk), log, last_first=True)

    captured = [
        [(s.policy_type, s.start) for s in c.spans] for c in calls(log, Activity.BACKUP_CAPTURE_CHUNK)
    ]
    assert captured == [[(GET_TYPE, 0)], [(GET_TYPE, 60), (LIST_TYPE, 0)]]
    last_chunk = max(i for i, n in enumerate(names(log)) if n == "backup_capture_chunk")
    assert names(log).index("finish_backup") > last_chunk
    [finish] = calls(log, Activity.FINISH_BACKUP)
    assert finish.error is None
    assert sorted(finish.type_errors) == [GET_TYPE, LIST_TYPE]
    reason = finish.type_errors[GET_TYPE]
    assert reason.startswith(f"The capture of {GET_TYPE} stopped") and "storage down" in reason
    assert calls(log, Activity.END_RUN)[0].error is None
    assert result["status"] == "succeeded"


def test_progress_is_reported_per_type_every_few_chunks_and_after_the_last_and_reaches_the_counts() -> None:
    log: list[FakeTask] = []
    counts = {GET_TYPE: 60 * (PROGRESS_EVERY + 1) + 5, LIST_TYPE: 4}
    drive(Orchestrator.TENANT_BACKUP, RUN, backup_answers(counts), log)
    reports = calls(log, Activity.BACKUP_PROGRESS)
    assert len(calls(log, Activity.BACKUP_CAPTURE_CHUNK)) == PROGRESS_EVERY + 2
    assert [r.parts for r in reports] == [{GET_TYPE: 60 * PROGRESS_EVERY}, counts]
    assert {(r.tenant_id, r.run_id) for r in reports} == {("t", "r")}


def test_a_round_that_only_hit_throttling_reports_no_progress_and_the_retry_does() -> None:
    log: list[FakeTask] = []

    def chunk(name: Activity, payload: Any) -> Any:
        if not payload.retry:
            return ChunkOutcome(throttled=(f"{GET_TYPE}:a", f"{GET_TYPE}:b"), retry_after=2)
        return ChunkOutcome(succeeded=1, failed=1)

    drive(Orchestrator.TENANT_BACKUP, RUN, backup_answers({GET_TYPE: 2}, chunk), log)
    assert names(log)[3:7] == ["backup_capture_chunk", "timer", "backup_capture_chunk", "backup_progress"]
    assert calls(log, Activity.BACKUP_PROGRESS)[0].parts == {GET_TYPE: 2}


def test_a_retry_lists_only_the_types_its_begin_answers_and_names_the_retried_run_to_the_listing() -> None:
    """A retry is the same orchestration: begin answers the types with failed items and the run retried;
    the listing is asked to keep only that run's failed items, and only listed objects are captured."""
    log: list[FakeTask] = []
    counts = {"deviceManagementScripts": 2, "roleScopeTags": 1}
    full = backup_answers(counts)

    def answer(name: Activity, payload: Any) -> Any:
        if name == Activity.BEGIN_BACKUP:
            return BackupBegun(active=True, status="running", types=tuple(counts), retry_of="old-run")
        return full(name, payload)

    result = drive(Orchestrator.TENANT_BACKUP, RUN, answer, log)

    [listing] = calls(log, Activity.BACKUP_LIST_TYPES)
    assert (listing.policy_types, listing.retry_of) == (tuple(counts), "old-run")
    assert calls(log, Activity.BACKUP_TOTAL)[0].total == 3
    [chunk] = calls(log, Activity.BACKUP_CAPTURE_CHUNK)
    assert [s.policy_type for s in chunk.spans] == list(counts)
    assert names(log)[-2:] == ["finish_backup", "end_run"]
    assert result["status"] == "succeeded"


def test_a_small_tenant_is_spread_over_target_chunks_and_none_is_smaller_than_the_minimum(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(tenant_backup_module, "TARGET_CHUNKS", 8)
    counts = {GET_TYPE: 80, LIST_TYPE: 100}
    chunks = plan_chunks(RUN, listed(counts))
    assert 8 <= len(chunks) <= 9  # whole objects per chunk: the last may take the remainders
    assert sum(size_of(chunk) for chunk in chunks) == 180
    assert len(plan_chunks(RUN, listed({GET_TYPE: 3}))) == 1
    assert len(plan_chunks(RUN, listed({GET_TYPE: 2 * MIN_CHUNK_COST // GET_COST}))) == 2


def test_each_throttled_chunk_waits_its_own_timer_not_the_longest_of_a_round() -> None:
    log: list[FakeTask] = []
    waits = {0: 5.0, 60: 9.0}

    def chunk(name: Activity, payload: Any) -> Any:
        start = payload.spans[0].start
        if start in waits and not payload.retry:
            return ChunkOutcome(succeeded=59, throttled=(f"{GET_TYPE}:{start}",), retry_after=waits[start])
        return ChunkOutcome(succeeded=size_of(payload))

    result = drive(Orchestrator.TENANT_BACKUP, RUN, backup_answers({GET_TYPE: 150}, chunk), log)

    assert sorted(timers(log)) == [5.0, 9.0]
    retried = [c.retry for c in calls(log, Activity.BACKUP_CAPTURE_CHUNK) if c.retry]
    assert sorted(retried) == [(f"{GET_TYPE}:0",), (f"{GET_TYPE}:60",)]
    assert calls(log, Activity.BACKUP_PROGRESS)[-1].parts == {GET_TYPE: 150}
    assert result["status"] == "succeeded"
