"""The tenant backup orchestrators as generators: activities answered by a dispatch on their names,
sub-orchestrations driven in place, fan-outs (task_all / task_any) resolved in the order scheduled, every
message crossing the SDK's codec."""

from __future__ import annotations

from typing import Any

import pytest

from orchestrators.plumbing import MAX_ATTEMPTS, MAX_WAIT_SECONDS
from orchestrators.tenant_backup import (
    CHUNK_SIZE,
    COMPLETE_LIST_CHUNK_SIZE,
    tenant_backup,
    tenant_backup_type,
)
from shared.jobs.messages import (
    Activity,
    BackupBegun,
    BackupChunk,
    BackupFinished,
    BackupTotal,
    ChunkOutcome,
    Counters,
    Orchestrator,
    RunEnd,
    RunEnded,
    RunRef,
    TypeJob,
    TypeListing,
    TypeTotals,
)
from tests.orchestrators import fakes
from tests.orchestrators.fakes import Answer, FakeTask, calls, names, timers

RUN = RunRef(tenant_id="t", run_id="r")
ORCHESTRATORS = {
    Orchestrator.TENANT_BACKUP: tenant_backup,
    Orchestrator.TENANT_BACKUP_TYPE: tenant_backup_type,
}


def drive(
    name: Orchestrator,
    payload: Any,
    answer: Answer,
    log: list[FakeTask] | None = None,
    *,
    last_first: bool = False,
) -> Any:
    """Run orchestrator `name` to its end; returns its result (sub-orchestrations get the same answers)."""
    result, _ = fakes.drive(ORCHESTRATORS, name, payload, answer, log=log, last_first=last_first)
    return result


def type_job(policy_type: str, count: int) -> TypeJob:
    return TypeJob(tenant_id="t", run_id="r", policy_type=policy_type, count=count)


def size_of(chunk: BackupChunk) -> int:
    return len(chunk.retry) or chunk.end - chunk.start


def backup_answers(counts: dict[str, int], chunk: Answer | None = None) -> Answer:
    """A backup whose listings give `counts` and whose chunks succeed (or answer as `chunk` says)."""

    def answer(name: Activity, payload: Any) -> Any:
        if name == Activity.BEGIN_BACKUP:
            return BackupBegun(active=True, status="running", types=tuple(counts))
        if name == Activity.BACKUP_LIST_TYPE:
            return TypeListing(policy_type=payload.policy_type, count=counts[payload.policy_type])
        if name == Activity.BACKUP_CAPTURE_CHUNK:
            if chunk is not None:
                return chunk(name, payload)
            return ChunkOutcome(succeeded=size_of(payload))
        if name == Activity.BACKUP_TOTAL:
            return Counters(total=payload.total, processed=0)
        if name == Activity.BACKUP_PROGRESS:
            return Counters(processed=payload.processed)
        if name == Activity.FINISH_BACKUP:
            return BackupFinished(backup_id=payload.run_id, manifest="m", deleted_in_graph=0)
        if name == Activity.END_RUN:
            return RunEnded(status="failed" if payload.error else "succeeded", error=payload.error)
        raise AssertionError(f"unexpected activity {name}")

    return answer


def test_a_backup_lists_every_type_captures_the_listed_ones_and_ends_with_the_manifest() -> None:
    log: list[FakeTask] = []
    counts = {"configurationPolicies": 3, "deviceConfigurations": 2, "roleScopeTags": 0}
    result = drive(Orchestrator.TENANT_BACKUP, RUN, backup_answers(counts), log)

    assert result == {"status": "succeeded", "error": None, "backupId": "r"}
    assert [p.policy_type for p in calls(log, Activity.BACKUP_LIST_TYPE)] == list(counts)
    assert calls(log, Activity.BACKUP_TOTAL) == [BackupTotal(tenant_id="t", run_id="r", total=5)]
    subs = [task for task in log if task.name == Orchestrator.TENANT_BACKUP_TYPE]
    assert [s.payload for s in subs] == [
        type_job("configurationPolicies", 3),
        type_job("deviceConfigurations", 2),
    ]
    assert [s.instance_id for s in subs] == [f"instance-1:{s.payload.policy_type}" for s in subs]
    assert names(log)[-2:] == ["finish_backup", "end_run"]
    assert calls(log, Activity.END_RUN) == [RunEnd(tenant_id="t", run_id="r", error=None)]


def test_a_backup_started_again_for_an_ended_run_does_nothing() -> None:
    log: list[FakeTask] = []
    ended = BackupBegun(active=False, status="succeeded")
    result = drive(Orchestrator.TENANT_BACKUP, RUN, lambda name, payload: ended, log)
    assert BackupBegun.from_json(result) == ended
    assert names(log) == ["begin_backup"]


def test_a_throttled_listing_waits_on_a_timer_then_lists_only_the_throttled_types_again() -> None:
    log: list[FakeTask] = []
    counts = {"configurationPolicies": 1, "deviceConfigurations": 1, "roleScopeTags": 1}
    listed = backup_answers(counts)
    throttled_once: set[str] = set()

    def answer(name: Activity, payload: Any) -> Any:
        kind = payload.policy_type if name == Activity.BACKUP_LIST_TYPE else ""
        if name == Activity.BACKUP_LIST_TYPE and kind != "roleScopeTags" and kind not in throttled_once:
            throttled_once.add(kind)
            wait = 7 if kind == "deviceConfigurations" else 2
            return TypeListing(policy_type=kind, throttled=True, retry_after=wait)
        return listed(name, payload)

    result = drive(Orchestrator.TENANT_BACKUP, RUN, answer, log)
    listings = [p.policy_type for p in calls(log, Activity.BACKUP_LIST_TYPE)]
    assert listings == [*counts, "configurationPolicies", "deviceConfigurations"]
    assert timers(log) == [7.0]
    assert names(log)[:6] == ["begin_backup", *["backup_list_type"] * 3, "timer", "backup_list_type"]
    assert calls(log, Activity.BACKUP_TOTAL)[0].total == 3
    assert result["status"] == "succeeded"


def test_a_listing_throttled_on_every_attempt_ends_the_run_with_an_error() -> None:
    log: list[FakeTask] = []
    listed = backup_answers({"configurationPolicies": 1})

    def answer(name: Activity, payload: Any) -> Any:
        if name == Activity.BACKUP_LIST_TYPE:
            return TypeListing(policy_type=payload.policy_type, throttled=True, retry_after=1000)
        return listed(name, payload)

    result = drive(Orchestrator.TENANT_BACKUP, RUN, answer, log)
    assert len(calls(log, Activity.BACKUP_LIST_TYPE)) == MAX_ATTEMPTS
    assert timers(log) == [MAX_WAIT_SECONDS] * (MAX_ATTEMPTS - 1)
    assert result["status"] == "failed"
    assert "kept throttling the listing" in calls(log, Activity.END_RUN)[0].error
    assert names(log)[-2:] == ["finish_backup", "end_run"]


@pytest.mark.parametrize(
    ("policy_type", "count", "size"),
    [("configurationPolicies", 45, CHUNK_SIZE), ("deviceConfigurations", 250, COMPLETE_LIST_CHUNK_SIZE)],
)
def test_a_type_is_captured_in_chunks_of_index_ranges(policy_type: str, count: int, size: int) -> None:
    log: list[FakeTask] = []
    answers = backup_answers({policy_type: count})
    result = drive(Orchestrator.TENANT_BACKUP_TYPE, type_job(policy_type, count), answers, log)

    chunks = calls(log, Activity.BACKUP_CAPTURE_CHUNK)
    assert [(c.start, c.end) for c in chunks] == [
        (start, min(start + size, count)) for start in range(0, count, size)
    ]
    assert all(c.policy_type == policy_type and not c.final_attempt and not c.retry for c in chunks)
    expected = TypeTotals(policy_type=policy_type, succeeded=count, processed=count)
    assert TypeTotals.from_json(result) == expected


def test_throttled_chunks_are_retried_after_a_timer_with_only_their_throttled_ids() -> None:
    log: list[FakeTask] = []

    def chunk(name: Activity, payload: Any) -> Any:
        if payload.start == 20 and not payload.retry:
            return ChunkOutcome(succeeded=17, skipped=1, throttled=("a", "b"), retry_after=12.5)
        return ChunkOutcome(succeeded=size_of(payload))

    result = drive(Orchestrator.TENANT_BACKUP_TYPE, type_job("configurationPolicies", 60),
                   backup_answers({"configurationPolicies": 60}, chunk), log)

    chunks = calls(log, Activity.BACKUP_CAPTURE_CHUNK)
    assert len(chunks) == 4
    assert chunks[3] == BackupChunk(
        tenant_id="t", run_id="r", policy_type="configurationPolicies", start=20, end=40, retry=("a", "b")
    )
    assert timers(log) == [12.5]
    assert names(log)[:7] == [*["backup_capture_chunk"] * 3, *["backup_progress"] * 3, "timer"]
    assert TypeTotals.from_json(result) == TypeTotals(
        policy_type="configurationPolicies", succeeded=59, skipped=1, processed=60
    )


def test_the_final_attempt_is_told_so_and_nothing_is_retried_after_it() -> None:
    log: list[FakeTask] = []

    def chunk(name: Activity, payload: Any) -> Any:
        ids = payload.retry or ("x", "y")
        if payload.final_attempt:
            return ChunkOutcome(failed=len(ids))
        return ChunkOutcome(throttled=ids, retry_after=3)

    result = drive(Orchestrator.TENANT_BACKUP_TYPE, type_job("configurationPolicies", 2),
                   backup_answers({"configurationPolicies": 2}, chunk), log)

    finals = [c.final_attempt for c in calls(log, Activity.BACKUP_CAPTURE_CHUNK)]
    assert finals == [False] * (MAX_ATTEMPTS - 1) + [True]
    assert timers(log) == [3.0] * (MAX_ATTEMPTS - 1)
    assert result["failed"] == 2 and result["processed"] == 2


def test_a_type_whose_capture_fails_is_named_to_finish_after_every_other_type_ended() -> None:
    log: list[FakeTask] = []
    counts = {"configurationPolicies": 25, "deviceConfigurations": 1}

    def chunk(name: Activity, payload: Any) -> Any:
        if payload.policy_type == "configurationPolicies" and payload.start == 20:
            return Exception("Activity function 'backup_capture_chunk' failed: storage down")
        return ChunkOutcome(succeeded=payload.end - payload.start)

    result = drive(Orchestrator.TENANT_BACKUP, RUN, backup_answers(counts, chunk), log, last_first=True)

    captured = [(c.policy_type, c.start) for c in calls(log, Activity.BACKUP_CAPTURE_CHUNK)]
    assert sorted(captured) == [
        ("configurationPolicies", 0), ("configurationPolicies", 20), ("deviceConfigurations", 0),
    ]
    last_chunk = max(i for i, n in enumerate(names(log)) if n == "backup_capture_chunk")
    assert names(log).index("finish_backup") > last_chunk
    [finish] = calls(log, Activity.FINISH_BACKUP)
    assert finish.error is None
    assert list(finish.type_errors) == ["configurationPolicies"]
    reason = finish.type_errors["configurationPolicies"]
    assert reason.startswith("The capture of configurationPolicies stopped") and "storage down" in reason
    assert calls(log, Activity.END_RUN)[0].error is None
    assert result["status"] == "succeeded"


def test_progress_is_reported_per_chunk_per_type_and_reaches_each_type_s_count() -> None:
    log: list[FakeTask] = []
    counts = {"configurationPolicies": 45, "deviceConfigurations": 3}
    drive(Orchestrator.TENANT_BACKUP, RUN, backup_answers(counts), log)
    assert calls(log, Activity.BACKUP_TOTAL) == [BackupTotal(tenant_id="t", run_id="r", total=48)]
    by_type: dict[str, list[int]] = {}
    for report in calls(log, Activity.BACKUP_PROGRESS):
        assert (report.tenant_id, report.run_id) == ("t", "r")
        by_type.setdefault(report.part, []).append(report.processed)
    assert by_type == {"configurationPolicies": [20, 40, 45], "deviceConfigurations": [3]}


def test_a_round_that_only_hit_throttling_reports_no_progress_and_the_retry_does() -> None:
    log: list[FakeTask] = []

    def chunk(name: Activity, payload: Any) -> Any:
        if not payload.retry:
            return ChunkOutcome(throttled=("a", "b"), retry_after=2)
        return ChunkOutcome(succeeded=1, failed=1)

    drive(Orchestrator.TENANT_BACKUP_TYPE, type_job("configurationPolicies", 2),
          backup_answers({"configurationPolicies": 2}, chunk), log)
    assert names(log) == ["backup_capture_chunk", "timer", "backup_capture_chunk", "backup_progress"]
    assert calls(log, Activity.BACKUP_PROGRESS)[0].processed == 2
