"""The capture orchestrator as a generator: activities replaced by a dispatch on their names."""

from __future__ import annotations

from typing import Any

import pytest

from orchestrators.capture_policy_snapshot import MAX_CAPTURE_ATTEMPTS, capture_policy_snapshot
from orchestrators.plumbing import MAX_WAIT_SECONDS
from tests.orchestrators import fakes
from tests.orchestrators.fakes import Answer, FakeTask

JOB = {"tenant_id": "t", "run_id": "r", "policy_type": "deviceConfigurations", "policy_id": "p"}


def drive(answer: Answer) -> tuple[Any, list[FakeTask]]:
    """Run the orchestrator to its end: its result and what it scheduled."""
    orchestrators = {"capture_policy_snapshot": capture_policy_snapshot}
    return fakes.drive(orchestrators, "capture_policy_snapshot", dict(JOB), answer)


def names(log: list[FakeTask]) -> list[str]:
    return fakes.names(log, seconds=True)


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
    assert context[-1].payload == {"tenant_id": "t", "run_id": "r", "error": None}


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
    assert context[-1].payload["error"] == "Graph kept throttling"


def test_an_activity_that_keeps_failing_ends_the_run_as_failed() -> None:
    def answer(name: str, payload: Any) -> Any:
        if name == "capture_policy_item":
            return Exception("Activity function 'capture_policy_item' failed: storage down")
        return {"active": True} if name == "begin_run" else {"status": "failed"}

    _, context = drive(answer)
    assert names(context)[-1] == "end_run"
    assert "storage down" in context[-1].payload["error"]


@pytest.mark.parametrize("status", ["succeeded", "failed"])
def test_an_instance_started_again_for_an_ended_run_does_nothing(status: str) -> None:
    result, context = drive(lambda name, payload: {"active": False, "status": status})
    assert result == {"active": False, "status": status}
    assert names(context) == ["begin_run"]

