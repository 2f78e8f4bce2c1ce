"""The restore orchestrator as a generator: activities answered by a dispatch on their names."""

from __future__ import annotations

from typing import Any

from orchestrators.plumbing import MAX_ATTEMPTS
from orchestrators.restore import restore
from tests.orchestrators import fakes
from tests.orchestrators.fakes import Answer, FakeTask, calls

REF = {"tenant_id": "t", "run_id": "r"}


def drive(answer: Answer, *, last_first: bool = False) -> tuple[Any, list[FakeTask]]:
    """Run the orchestrator to its end: its result and what it scheduled; `task_any` hands back the
    first unfinished task scheduled (or the last one, `last_first`, as when chunks end out of order)."""
    return fakes.drive({"restore": restore}, "restore", {"tenantId": "t", "runId": "r"}, answer,
                       last_first=last_first)


def names(log: list[FakeTask]) -> list[str]:
    return fakes.names(log, seconds=True)


def chunk_answer(throttled: list[str] | None = None, wait: float = 0) -> dict[str, Any]:
    return {
        "succeeded": 1,
        "failed": 0,
        "skipped": 0,
        "conflict": 0,
        "throttled": throttled or [],
        "retryAfter": wait,
    }


def test_a_preview_plans_chunks_in_parallel_joins_the_plan_and_ends() -> None:
    chunks = [{"start": 0, "end": 20, "retry": []}, {"start": 20, "end": 25, "retry": []}]

    def answer(name: str, payload: Any) -> Any:
        return {
            "begin_restore": {"active": True, "mode": "preview", "chunks": chunks},
            "restore_plan_chunk": chunk_answer(),
            "restore_progress": {},
            "restore_finish_preview": {"planned": 25},
            "end_run": {"status": "succeeded"},
        }[name]

    result, context = drive(answer)
    assert result == {"status": "succeeded"}
    assert names(context) == [
        "begin_restore",
        "restore_plan_chunk",
        "restore_plan_chunk",
        "restore_progress",
        "restore_progress",
        "restore_finish_preview",
        "end_run",
    ]
    assert [c["chunk"] for c in calls(context, "restore_plan_chunk")] == chunks
    assert "restore_safety_backup" not in names(context) and "restore_apply_chunk" not in names(context)


def test_live_takes_the_safety_backup_first_then_writes_group_after_group() -> None:
    groups = [[{"start": 0, "end": 2, "retry": []}], [{"start": 2, "end": 4, "retry": []}]]

    def answer(name: str, payload: Any) -> Any:
        return {
            "begin_restore": {"active": True, "mode": "live", "groups": groups},
            "restore_safety_backup": {"throttled": False, "backupId": "r"},
            "restore_apply_chunk": chunk_answer(),
            "restore_progress": {},
            "end_run": {"status": "succeeded"},
        }[name]

    _, context = drive(answer)
    assert names(context) == [
        "begin_restore",
        "restore_safety_backup",
        "restore_apply_chunk",
        "restore_progress",
        "restore_apply_chunk",
        "restore_progress",
        "end_run",
    ]
    writes = [c["chunk"]["start"] for c in calls(context, "restore_apply_chunk")]
    assert writes == [0, 2]


def test_throttled_items_are_retried_alone_after_a_durable_timer_and_the_last_attempt_is_final() -> None:
    groups = [[{"start": 0, "end": 3, "retry": []}]]
    answers = iter([chunk_answer(["x:1"], 7.5)] * (MAX_ATTEMPTS - 1) + [chunk_answer()])
    safety = iter([{"throttled": True, "retryAfter": 3}, {"throttled": False, "backupId": "r"}])

    def answer(name: str, payload: Any) -> Any:
        if name == "restore_apply_chunk":
            return next(answers)
        if name == "restore_safety_backup":
            return next(safety)
        return {
            "begin_restore": {"active": True, "mode": "live", "groups": groups},
            "restore_progress": {},
            "end_run": {"status": "partially_succeeded"},
        }[name]

    _, context = drive(answer)
    assert names(context)[:4] == [
        "begin_restore",
        "restore_safety_backup",
        "timer 3s",
        "restore_safety_backup",
    ]
    applies = calls(context, "restore_apply_chunk")
    assert len(applies) == MAX_ATTEMPTS
    assert applies[0]["chunk"]["retry"] == [] and all(a["chunk"]["retry"] == ["x:1"] for a in applies[1:])
    assert [a["finalAttempt"] for a in applies] == [False] * (MAX_ATTEMPTS - 1) + [True]
    assert names(context).count("timer 7.5s") == MAX_ATTEMPTS - 1


def test_a_begin_error_or_a_failing_activity_ends_the_run_failed_without_writing() -> None:
    def answer(name: str, payload: Any) -> Any:
        if name == "begin_restore":
            return {
                "active": True,
                "mode": "live",
                "groups": [],
                "error": "The restore could not start: gone",
            }
        return {"status": "failed"}

    _, context = drive(answer)
    assert names(context) == ["begin_restore", "end_run"]
    assert context[-1].payload == {**REF, "error": "The restore could not start: gone"}

    def broken(name: str, payload: Any) -> Any:
        if name == "restore_plan_chunk":
            return RuntimeError("activity failed")
        if name == "begin_restore":
            return {"active": True, "mode": "preview", "chunks": [{"start": 0, "end": 1, "retry": []}]}
        return {"status": "failed"}

    _, context = drive(broken)
    assert names(context)[-1] == "end_run" and "internal error" in context[-1].payload["error"]


def outcomes(succeeded: int = 0, failed: int = 0, skipped: int = 0, conflict: int = 0) -> dict[str, Any]:
    return {
        "succeeded": succeeded,
        "failed": failed,
        "skipped": skipped,
        "conflict": conflict,
        "throttled": [],
        "retryAfter": 0,
    }


def test_a_preview_reports_a_running_figure_as_each_chunk_ends_in_whatever_order() -> None:
    chunks = [
        {"start": 0, "end": 20, "retry": []},
        {"start": 20, "end": 40, "retry": []},
        {"start": 40, "end": 43, "retry": []},
    ]
    by_start = {0: outcomes(succeeded=18, conflict=2), 20: outcomes(skipped=19, failed=1), 40: outcomes(3)}

    def answer(name: str, payload: Any) -> Any:
        if name == "restore_plan_chunk":
            return by_start[payload["chunk"]["start"]]
        return {
            "begin_restore": {"active": True, "mode": "preview", "chunks": chunks},
            "restore_progress": {},
            "restore_finish_preview": {"planned": 43},
            "end_run": {"status": "partially_succeeded"},
        }[name]

    _, context = drive(answer, last_first=True)
    assert names(context)[1:] == [
        *["restore_plan_chunk"] * 3,
        *["restore_progress"] * 3,
        "restore_finish_preview",
        "end_run",
    ]
    assert calls(context, "restore_progress") == [
        {**REF, "part": "plan", "processed": 3},
        {**REF, "part": "plan", "processed": 23},
        {**REF, "part": "plan", "processed": 43},
    ]


def test_live_reports_each_write_group_as_its_own_part() -> None:
    groups = [
        [{"start": 0, "end": 2, "retry": []}],
        [{"start": 2, "end": 22, "retry": []}, {"start": 22, "end": 30, "retry": []}],
    ]

    def answer(name: str, payload: Any) -> Any:
        if name == "restore_apply_chunk":
            return outcomes(succeeded=payload["chunk"]["end"] - payload["chunk"]["start"])
        return {
            "begin_restore": {"active": True, "mode": "live", "groups": groups},
            "restore_safety_backup": {"throttled": False, "backupId": "r"},
            "restore_progress": {},
            "end_run": {"status": "succeeded"},
        }[name]

    _, context = drive(answer)
    assert [(c["part"], c["processed"]) for c in calls(context, "restore_progress")] == [
        ("write0", 2),
        ("write1", 20),
        ("write1", 28),
    ]


def test_items_handed_back_throttled_count_only_once_their_retry_settles_them() -> None:
    groups = [[{"start": 0, "end": 5, "retry": []}]]
    answers = iter(
        [
            {**outcomes(succeeded=2), "throttled": ["x:3", "x:4", "x:5"], "retryAfter": 4},
            {**outcomes(), "throttled": ["x:3", "x:4", "x:5"], "retryAfter": 4},
            outcomes(succeeded=2, failed=1),
        ]
    )

    def answer(name: str, payload: Any) -> Any:
        if name == "restore_apply_chunk":
            return next(answers)
        return {
            "begin_restore": {"active": True, "mode": "live", "groups": groups},
            "restore_safety_backup": {"throttled": False, "backupId": "r"},
            "restore_progress": {},
            "end_run": {"status": "partially_succeeded"},
        }[name]

    _, context = drive(answer)
    assert names(context)[2:] == [
        "restore_apply_chunk",
        "restore_progress",
        "timer 4s",
        "restore_apply_chunk",
        "timer 4s",
        "restore_apply_chunk",
        "restore_progress",
        "end_run",
    ]
    assert [c["processed"] for c in calls(context, "restore_progress")] == [2, 5]
