"""The capture orchestrator as a generator: activities replaced by a dispatch on their names, every message
crossing the SDK's codec."""

from __future__ import annotations

from typing import Any

import pytest

from orchestrators.capture_policy_snapshot import MAX_CAPTURE_ATTEMPTS, capture_policy_snapshot
from orchestrators.plumbing import MAX_WAIT_SECONDS
from shared.jobs.messages import (
    Activity,
    CaptureAttempt,
    CaptureJob,
    CaptureOutcome,
    Orchestrator,
    RunBegun,
    RunEnd,
    RunEnded,
    RunRef,
)
from tests.orchestrators import fakes
from tests.orchestrators.fakes import Answer, FakeTask, calls

JOB = CaptureJob(tenant_id="t", run_id="r", policy_type="deviceConfigurations", policy_id="p")
BEGUN = RunBegun(active=True, status="running")


def drive(answer: Answer) -> tuple[Any, list[FakeTask]]:
    """Run the orchestrator to its end: its result and what it scheduled."""
    orchestrators = {Orchestrator.CAPTURE_POLICY_SNAPSHOT: capture_policy_snapshot}
    return fakes.drive(orchestrators, Orchestrator.CAPTURE_POLICY_SNAPSHOT, JOB, answer)


def names(log: list[FakeTask]) -> list[str]:
    return fakes.names(log, seconds=True)


def test_a_capture_begins_captures_and_ends_the_run() -> None:
    def answer(name: Activity, payload: Any) -> Any:
        return {
            Activity.BEGIN_RUN: BEGUN,
            Activity.CAPTURE_POLICY_ITEM: CaptureOutcome(outcome="succeeded", version_id="v"),
            Activity.END_RUN: RunEnded(status="succeeded"),
        }[name]

    result, context = drive(answer)
    assert RunEnded.from_json(result) == RunEnded(status="succeeded")
    assert names(context) == ["begin_run", "capture_policy_item", "end_run"]
    assert calls(context, Activity.BEGIN_RUN) == [RunRef(tenant_id="t", run_id="r")]
    assert calls(context, Activity.CAPTURE_POLICY_ITEM) == [CaptureAttempt(job=JOB, final_attempt=False)]
    assert context[-1].payload == RunEnd(tenant_id="t", run_id="r", error=None)


def test_throttling_beyond_the_activity_budget_is_waited_out_with_durable_timers() -> None:
    outcomes = iter([
        CaptureOutcome(outcome="throttled", retry_after=0.2),
        CaptureOutcome(outcome="throttled", retry_after=900),
        CaptureOutcome(outcome="succeeded"),
    ])

    def answer(name: Activity, payload: Any) -> Any:
        if name == Activity.CAPTURE_POLICY_ITEM:
            assert payload.final_attempt is False
            return next(outcomes)
        return BEGUN if name == Activity.BEGIN_RUN else RunEnded(status="succeeded")

    _, context = drive(answer)
    assert names(context) == [
        "begin_run", "capture_policy_item", "timer 1s", "capture_policy_item",
        f"timer {MAX_WAIT_SECONDS:g}s", "capture_policy_item", "end_run",
    ]


def test_the_last_attempt_is_told_so_and_its_failure_ends_the_run() -> None:
    attempts: list[bool] = []

    def answer(name: Activity, payload: Any) -> Any:
        if name == Activity.CAPTURE_POLICY_ITEM:
            attempts.append(payload.final_attempt)
            if payload.final_attempt:
                return CaptureOutcome(outcome="failed", error="Graph kept throttling")
            return CaptureOutcome(outcome="throttled", retry_after=5)
        return BEGUN if name == Activity.BEGIN_RUN else RunEnded(status="failed")

    _, context = drive(answer)
    assert attempts == [False] * (MAX_CAPTURE_ATTEMPTS - 1) + [True]
    assert context[-1].payload.error == "Graph kept throttling"


def test_an_activity_that_keeps_failing_ends_the_run_as_failed() -> None:
    def answer(name: Activity, payload: Any) -> Any:
        if name == Activity.CAPTURE_POLICY_ITEM:
            return Exception("Activity function 'capture_policy_item' failed: storage down")
        return BEGUN if name == Activity.BEGIN_RUN else RunEnded(status="failed")

    _, context = drive(answer)
    assert names(context)[-1] == "end_run"
    assert "storage down" in context[-1].payload.error


@pytest.mark.parametrize("status", ["succeeded", "failed"])
def test_an_instance_started_again_for_an_ended_run_does_nothing(status: str) -> None:
    result, context = drive(lambda name, payload: RunBegun(active=False, status=status))
    assert RunBegun.from_json(result) == RunBegun(active=False, status=status)
    assert names(context) == ["begin_run"]
