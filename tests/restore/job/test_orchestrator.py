"""The restore orchestrator as a generator: activities answered by a dispatch on their names."""

from __future__ import annotations

from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from orchestrators.restore import MAX_ATTEMPTS, restore

NOW = datetime(2026, 1, 31, 12, 0, tzinfo=UTC)
REF = {"tenant_id": "t", "run_id": "r"}


@dataclass
class FakeContext:
    is_replaying: bool = False
    current_utc_datetime: datetime = NOW
    scheduled: list[tuple[Any, ...]] = field(default_factory=list)

    def get_input(self) -> dict[str, Any]:
        return {"tenantId": "t", "runId": "r"}

    def call_activity_with_retry(self, name: str, options: Any, payload: Any) -> tuple[Any, ...]:
        task = ("activity", name, payload)
        self.scheduled.append(task)
        return task

    def task_all(self, tasks: list[tuple[Any, ...]]) -> tuple[Any, ...]:
        return ("all", tasks)

    def create_timer(self, fire_at: datetime) -> tuple[Any, ...]:
        task = ("timer", (fire_at - NOW).total_seconds())
        self.scheduled.append(task)
        return task


Answer = Callable[[str, Any], Any]


def drive(answer: Answer) -> tuple[Any, FakeContext]:
    context = FakeContext()
    user_function = restore.build().get_user_function().orchestrator_function
    generator: Generator[Any, Any, Any] = user_function(context)
    task = next(generator)
    try:
        while True:
            if task[0] == "all":
                result: Any = [answer(t[1], t[2]) for t in task[1]]
            elif task[0] == "activity":
                result = answer(task[1], task[2])
            else:
                result = None
            task = generator.throw(result) if isinstance(result, Exception) else generator.send(result)
    except StopIteration as stop:
        return stop.value, context


def names(context: FakeContext) -> list[str]:
    return [t[1] if t[0] == "activity" else f"timer {t[1]:g}s" for t in context.scheduled]


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
            "restore_finish_preview": {"planned": 25},
            "end_run": {"status": "succeeded"},
        }[name]

    result, context = drive(answer)
    assert result == {"status": "succeeded"}
    assert names(context) == [
        "begin_restore",
        "restore_plan_chunk",
        "restore_plan_chunk",
        "restore_finish_preview",
        "end_run",
    ]
    assert [t[2]["chunk"] for t in context.scheduled if t[1] == "restore_plan_chunk"] == chunks
    assert "restore_safety_backup" not in names(context) and "restore_apply_chunk" not in names(context)


def test_live_takes_the_safety_backup_first_then_writes_group_after_group() -> None:
    groups = [[{"start": 0, "end": 2, "retry": []}], [{"start": 2, "end": 4, "retry": []}]]

    def answer(name: str, payload: Any) -> Any:
        return {
            "begin_restore": {"active": True, "mode": "live", "groups": groups},
            "restore_safety_backup": {"throttled": False, "backupId": "r"},
            "restore_apply_chunk": chunk_answer(),
            "end_run": {"status": "succeeded"},
        }[name]

    _, context = drive(answer)
    assert names(context) == [
        "begin_restore",
        "restore_safety_backup",
        "restore_apply_chunk",
        "restore_apply_chunk",
        "end_run",
    ]
    writes = [t[2]["chunk"]["start"] for t in context.scheduled if t[1] == "restore_apply_chunk"]
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
            "end_run": {"status": "partially_succeeded"},
        }[name]

    _, context = drive(answer)
    assert names(context)[:4] == [
        "begin_restore",
        "restore_safety_backup",
        "timer 3s",
        "restore_safety_backup",
    ]
    applies = [t[2] for t in context.scheduled if t[1] == "restore_apply_chunk"]
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
    assert context.scheduled[-1][2] == {**REF, "error": "The restore could not start: gone"}

    def broken(name: str, payload: Any) -> Any:
        if name == "restore_plan_chunk":
            return RuntimeError("activity failed")
        if name == "begin_restore":
            return {"active": True, "mode": "preview", "chunks": [{"start": 0, "end": 1, "retry": []}]}
        return {"status": "failed"}

    _, context = drive(broken)
    assert names(context)[-1] == "end_run" and "internal error" in context.scheduled[-1][2]["error"]
