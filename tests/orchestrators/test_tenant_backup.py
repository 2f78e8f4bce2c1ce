"""The tenant backup orchestrators as generators: activities answered by a dispatch on their names,
sub-orchestrations driven in place, fan-outs (task_all / task_any) resolved in the order scheduled."""

from __future__ import annotations

from typing import Any

import pytest

from orchestrators.plumbing import MAX_ATTEMPTS, MAX_WAIT_SECONDS
from orchestrators.tenant_backup import (
    CHUNK_SIZE,
    COMPLETE_LIST_CHUNK_SIZE,
    TYPE_ORCHESTRATOR,
    tenant_backup,
    tenant_backup_type,
)
from tests.orchestrators import fakes
from tests.orchestrators.fakes import Answer, FakeTask, calls, names, timers

RUN = {"tenantId": "t", "runId": "r"}
ORCHESTRATORS = {"tenant_backup": tenant_backup, TYPE_ORCHESTRATOR: tenant_backup_type}


def drive(name: str, payload: dict[str, Any], answer: Answer, log: list[FakeTask] | None = None) -> Any:
    """Run orchestrator `name` to its end; returns its result (sub-orchestrations get the same answers)."""
    result, _ = fakes.drive(ORCHESTRATORS, name, payload, answer, log=log)
    return result


def backup_answers(counts: dict[str, int], chunk: Answer | None = None) -> Answer:
    """A backup whose listings give `counts` and whose chunks succeed (or answer as `chunk` says)."""

    def answer(name: str, payload: Any) -> Any:
        if name == "begin_backup":
            return {"active": True, "status": "running", "types": list(counts)}
        if name == "backup_list_type":
            return {"policyType": payload["policyType"], "count": counts[payload["policyType"]], "skipped": 0}
        if name == "backup_capture_chunk":
            if chunk is not None:
                return chunk(name, payload)
            size = len(payload.get("retry") or ()) or payload["end"] - payload["start"]
            return {"succeeded": size, "failed": 0, "skipped": 0, "throttled": [], "retryAfter": 0}
        if name == "backup_progress":
            return {"total": payload.get("total", 0), "processed": payload.get("processed", 0)}
        if name == "finish_backup":
            return {"backupId": payload["run_id"], "manifest": "m", "deletedInGraph": 0}
        if name == "end_run":
            return {"status": "failed" if payload["error"] else "succeeded", "error": payload["error"]}
        raise AssertionError(f"unexpected activity {name}")

    return answer


def test_a_backup_lists_every_type_captures_the_listed_ones_and_ends_with_the_manifest() -> None:
    log: list[FakeTask] = []
    counts = {"configurationPolicies": 3, "deviceConfigurations": 2, "roleScopeTags": 0}
    result = drive("tenant_backup", RUN, backup_answers(counts), log)

    assert result == {"status": "succeeded", "error": None, "backupId": "r"}
    assert [p["policyType"] for p in calls(log, "backup_list_type")] == list(counts)
    assert calls(log, "backup_progress")[0] == {"tenant_id": "t", "run_id": "r", "total": 5}
    subs = calls(log, TYPE_ORCHESTRATOR)
    assert [s["policyType"] for s in subs] == ["configurationPolicies", "deviceConfigurations"]
    assert [s["instanceId"] for s in subs] == [f"instance-1:{s['policyType']}" for s in subs]
    assert names(log)[-2:] == ["finish_backup", "end_run"]
    assert calls(log, "end_run") == [{"tenant_id": "t", "run_id": "r", "error": None}]


def test_a_backup_started_again_for_an_ended_run_does_nothing() -> None:
    log: list[FakeTask] = []
    result = drive("tenant_backup", RUN, lambda name, payload: {"active": False, "status": "succeeded"}, log)
    assert result == {"active": False, "status": "succeeded"}
    assert names(log) == ["begin_backup"]


def test_a_throttled_listing_waits_on_a_timer_then_lists_only_the_throttled_types_again() -> None:
    log: list[FakeTask] = []
    counts = {"configurationPolicies": 1, "deviceConfigurations": 1, "roleScopeTags": 1}
    listed = backup_answers(counts)
    throttled_once: set[str] = set()

    def answer(name: str, payload: Any) -> Any:
        kind = str(payload["policyType"]) if name == "backup_list_type" else ""
        if name == "backup_list_type" and kind != "roleScopeTags" and kind not in throttled_once:
            throttled_once.add(kind)
            wait = 7 if kind == "deviceConfigurations" else 2
            return {"policyType": kind, "throttled": True, "retryAfter": wait}
        return listed(name, payload)

    result = drive("tenant_backup", RUN, answer, log)
    listings = [p["policyType"] for p in calls(log, "backup_list_type")]
    assert listings == [*counts, "configurationPolicies", "deviceConfigurations"]
    assert timers(log) == [7.0]
    assert names(log)[:6] == ["begin_backup", *["backup_list_type"] * 3, "timer", "backup_list_type"]
    assert calls(log, "backup_progress")[0]["total"] == 3
    assert result["status"] == "succeeded"


def test_a_listing_throttled_on_every_attempt_ends_the_run_with_an_error() -> None:
    log: list[FakeTask] = []
    listed = backup_answers({"configurationPolicies": 1})

    def answer(name: str, payload: Any) -> Any:
        if name == "backup_list_type":
            return {"policyType": payload["policyType"], "throttled": True, "retryAfter": 1000}
        return listed(name, payload)

    result = drive("tenant_backup", RUN, answer, log)
    assert len(calls(log, "backup_list_type")) == MAX_ATTEMPTS
    assert timers(log) == [MAX_WAIT_SECONDS] * (MAX_ATTEMPTS - 1)
    assert result["status"] == "failed"
    assert "kept throttling the listing" in calls(log, "end_run")[0]["error"]
    assert names(log)[-2:] == ["finish_backup", "end_run"]


@pytest.mark.parametrize(
    ("policy_type", "count", "size"),
    [("configurationPolicies", 45, CHUNK_SIZE), ("deviceConfigurations", 250, COMPLETE_LIST_CHUNK_SIZE)],
)
def test_a_type_is_captured_in_chunks_of_index_ranges(policy_type: str, count: int, size: int) -> None:
    log: list[FakeTask] = []
    result = drive(TYPE_ORCHESTRATOR, {**RUN, "policyType": policy_type, "count": count},
                   backup_answers({policy_type: count}), log)

    chunks = calls(log, "backup_capture_chunk")
    assert [(c["start"], c["end"]) for c in chunks] == [
        (start, min(start + size, count)) for start in range(0, count, size)
    ]
    assert all(c["policyType"] == policy_type and not c["finalAttempt"] for c in chunks)
    assert result == {"policyType": policy_type, "succeeded": count, "failed": 0, "skipped": 0,
                      "processed": count}


def test_throttled_chunks_are_retried_after_a_timer_with_only_their_throttled_ids() -> None:
    log: list[FakeTask] = []

    def chunk(name: str, payload: Any) -> Any:
        if payload["start"] == 20 and not payload.get("retry"):
            return {"succeeded": 17, "failed": 0, "skipped": 1, "throttled": ["a", "b"], "retryAfter": 12.5}
        size = len(payload.get("retry") or ()) or payload["end"] - payload["start"]
        return {"succeeded": size, "failed": 0, "skipped": 0, "throttled": [], "retryAfter": 0}

    result = drive(TYPE_ORCHESTRATOR, {**RUN, "policyType": "configurationPolicies", "count": 60},
                   backup_answers({"configurationPolicies": 60}, chunk), log)

    chunks = calls(log, "backup_capture_chunk")
    assert len(chunks) == 4
    assert chunks[3] == {**RUN, "policyType": "configurationPolicies", "start": 20, "end": 40,
                         "retry": ["a", "b"], "finalAttempt": False}
    assert timers(log) == [12.5]
    assert names(log)[:7] == [*["backup_capture_chunk"] * 3, *["backup_progress"] * 3, "timer"]
    assert result == {"policyType": "configurationPolicies", "succeeded": 59, "failed": 0, "skipped": 1,
                      "processed": 60}


def test_the_final_attempt_is_told_so_and_nothing_is_retried_after_it() -> None:
    log: list[FakeTask] = []

    def chunk(name: str, payload: Any) -> Any:
        ids = list(payload.get("retry") or ["x", "y"])
        if payload["finalAttempt"]:
            return {"succeeded": 0, "failed": len(ids), "skipped": 0, "throttled": [], "retryAfter": 0}
        return {"succeeded": 0, "failed": 0, "skipped": 0, "throttled": ids, "retryAfter": 3}

    result = drive(TYPE_ORCHESTRATOR, {**RUN, "policyType": "configurationPolicies", "count": 2},
                   backup_answers({"configurationPolicies": 2}, chunk), log)

    finals = [c["finalAttempt"] for c in calls(log, "backup_capture_chunk")]
    assert finals == [False] * (MAX_ATTEMPTS - 1) + [True]
    assert timers(log) == [3.0] * (MAX_ATTEMPTS - 1)
    assert result["failed"] == 2 and result["processed"] == 2


def test_an_activity_that_keeps_failing_ends_the_run_with_its_error() -> None:
    log: list[FakeTask] = []
    counts = {"configurationPolicies": 25, "deviceConfigurations": 1}

    def chunk(name: str, payload: Any) -> Any:
        if payload["policyType"] == "configurationPolicies" and payload["start"] == 20:
            return Exception("Activity function 'backup_capture_chunk' failed: storage down")
        return {"succeeded": payload["end"] - payload["start"], "failed": 0, "skipped": 0, "throttled": [],
                "retryAfter": 0}

    result = drive("tenant_backup", RUN, backup_answers(counts, chunk), log)
    assert result["status"] == "failed"
    error = calls(log, "end_run")[0]["error"]
    assert error.startswith("The backup stopped on an internal error") and "storage down" in error
    assert calls(log, "finish_backup")[0]["error"] == error


def test_progress_is_reported_per_chunk_per_type_and_reaches_each_type_s_count() -> None:
    log: list[FakeTask] = []
    counts = {"configurationPolicies": 45, "deviceConfigurations": 3}
    drive("tenant_backup", RUN, backup_answers(counts), log)
    reports = calls(log, "backup_progress")
    assert reports[0] == {"tenant_id": "t", "run_id": "r", "total": 48}
    by_type: dict[str, list[int]] = {}
    for report in reports[1:]:
        assert (report["tenant_id"], report["run_id"]) == ("t", "r")
        by_type.setdefault(report["policyType"], []).append(report["processed"])
    assert by_type == {"configurationPolicies": [20, 40, 45], "deviceConfigurations": [3]}


def test_a_round_that_only_hit_throttling_reports_no_progress_and_the_retry_does() -> None:
    log: list[FakeTask] = []

    def chunk(name: str, payload: Any) -> Any:
        if not payload.get("retry"):
            return {"succeeded": 0, "failed": 0, "skipped": 0, "throttled": ["a", "b"], "retryAfter": 2}
        return {"succeeded": 1, "failed": 1, "skipped": 0, "throttled": [], "retryAfter": 0}

    drive(TYPE_ORCHESTRATOR, {**RUN, "policyType": "configurationPolicies", "count": 2},
          backup_answers({"configurationPolicies": 2}, chunk), log)
    assert names(log) == ["backup_capture_chunk", "timer", "backup_capture_chunk", "backup_progress"]
    assert calls(log, "backup_progress")[0]["processed"] == 2
