"""The capture orchestrator as a generator: activities replaced by a dispatch on their names."""

from __future__ import annotations

from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest

from orchestrators.capture_policy_snapshot import MAX_CAPTURE_ATTEMPTS, capture_policy_snapshot
from orchestrators.plumbing import MAX_WAIT_SECONDS

JOB = {"tenant_id": "t", "run_id": "r", "policy_type": "deviceConfigurations", "policy_id": "p"}
NOW = datetime(2026, 1, 31, 12, 0, tzinfo=UTC)


@dataclass
class FakeContext:
    """Records what the orchestrator schedules; tasks are plain tuples fed back by `drive`."""

    is_replaying: bool = False
    current_utc_datetime: datetime = NOW
    scheduled: list[tuple[Any, ...]] = field(default_factory=list)

    def get_input(self) -> dict[str, Any]:
        return dict(JOB)

    def call_activity_with_retry(self, name: str, options: Any, payload: Any) -> tuple[Any, ...]:
        task = ("activity", name, payload)
        self.scheduled.append(task)
        return task

    def create_timer(self, fire_at: datetime) -> tuple[Any, ...]:
        task = ("timer", (fire_at - NOW).total_seconds())
        self.scheduled.append(task)
        return task


Answer = Callable[[str, Any], Any]


def drive(answer: Answer) -> tuple[Any, FakeContext]:
    """Run the orchestrator to its end; `answer(name, payload)` is an activity's result or an exception."""
    context = FakeContext()
    user_function = capture_policy_snapshot.build().get_user_function().orchestrator_function
    generator: Generator[Any, Any, Any] = user_function(context)
    task = next(generator)
    try:
        while True:
            result = answer(task[1], task[2]) if task[0] == "activity" else None
            task = generator.throw(result) if isinstance(result, Exception) else generator.send(result)
    except StopIteration as stop:
        return stop.value, context


def names(context: FakeContext) -> list[str]:
    return [task[1] if task[0] == "activity" else f"timer {task[1]:g}s" for task in context.scheduled]


def test_a_capture_begins_captures_and_ends_the_run() -> None:
    def answer(name: str, payload: Any) -> Any:
        return {
            "begin_run": {"active": True},
            "capture_policy_item": {"outcome": "succeeded", "versionId": "v"},
            "end_run": {"status": "succeeded"},
        }[name]

    result, context = drive(answer)
    assert result == {"status": "succeeded"}
    assert names(context) == ["begin_run", "capture_policy_item", "end_run"]
    assert context.scheduled[-1][2] == {"tenant_id": "t", "run_id": "r", "error": None}


def test_throttling_beyond_the_activity_budget_is_waited_out_with_durable_timers() -> None:
    outcomes = iter([{"outcome": "throttled", "retryAfter": 0.2}, {"outcome": "throttled", "retryAfter": 900},
                     {"outcome": "succeeded"}])

    def answer(name: str, payload: Any) -> Any:
        if name == "capture_policy_item":
            assert payload["final_attempt"] is False
            return next(outcomes)
        return {"active": True} if name == "begin_run" else {"status": "succeeded"}

    _, context = drive(answer)
    assert names(context) == [
        "begin_run", "capture_policy_item", "timer 1s", "capture_policy_item",
        f"timer {MAX_WAIT_SECONDS:g}s", "capture_policy_item", "end_run",
    ]


def test_the_last_attempt_is_told_so_and_its_failure_ends_the_run() -> None:
    attempts: list[bool] = []

    def answer(name: str, payload: Any) -> Any:
        if name == "capture_policy_item":
            attempts.append(payload["final_attempt"])
            if payload["final_attempt"]:
                return {"outcome": "failed", "error": "Graph kept throttling"}
            return {"outcome": "throttled", "retryAfter": 5}
        return {"active": True} if name == "begin_run" else {"status": "failed"}

    _, context = drive(answer)
    assert attempts == [False] * (MAX_CAPTURE_ATTEMPTS - 1) + [True]
    assert context.scheduled[-1][2]["error"] == "Graph kept throttling"


def test_an_activity_that_keeps_failing_ends_the_run_as_failed() -> None:
    def answer(name: str, payload: Any) -> Any:
        if name == "capture_policy_item":
            return Exception("Activity function 'capture_policy_item' failed: storage down")
        return {"active": True} if name == "begin_run" else {"status": "failed"}

    _, context = drive(answer)
    assert names(context)[-1] == "end_run"
    assert "storage down" in context.scheduled[-1][2]["error"]


@pytest.mark.parametrize("status", ["succeeded", "failed"])
def test_an_instance_started_again_for_an_ended_run_does_nothing(status: str) -> None:
    result, context = drive(lambda name, payload: {"active": False, "status": status})
    assert result == {"active": False, "status": status}
    assert names(context) == ["begin_run"]

