"""Replay contract: the work the engine schedules, and its event IDs, are the tasks the SDK waits for.

Each scenario runs an orchestrator episode by episode through the engine's own episode logic
(`compose` / `apply`) and the SDK's handle, without storage. After every episode the SDK's open task IDs
(read from its executor on the same history) must equal the engine's open work; a numbering mismatch
is the classic way a host and the SDK hang. Completions are fed back in different orders and batch sizes.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from azure.durable_functions import DurableOrchestrationContext, RetryOptions
from azure.durable_functions.models.actions.NoOpAction import NoOpAction
from azure.durable_functions.models.Task import AtomicTask
from azure.durable_functions.models.TaskOrchestrationExecutor import TaskOrchestrationExecutor

from local.devhost.engine.actions import parse_answer, parse_failure
from local.devhost.engine.episode import apply, compose
from local.devhost.engine.history import Event, EventType, format_time, new_event
from local.devhost.engine.model import BufferedEvent, Instance
from local.devhost.engine.testing import OrchestratorFunction, orchestrator_invoker

Activity = Callable[[str, Any, int], Any]
"""(name, input, attempt) -> result, or raises to fail."""


class ContractWorld:
    """One orchestration driven by the engine's episode logic; checks the SDK agrees after each episode."""

    def __init__(self, function: OrchestratorFunction, input_value: Any = None,
                 activity: Activity | None = None, children: dict[str, Callable[[Any], Any]] | None = None):
        self.function = function
        self.invoke = orchestrator_invoker(function)
        self.activity = activity or (lambda name, value, attempt: value)
        self.children = children or {}
        self.clock = datetime(2024, 1, 1, tzinfo=UTC)
        self.instance = Instance("contract-1", "orchestrator", "exec-1", json.dumps(input_value), None,
                                 self.clock, status="Running")
        self.attempts: dict[tuple[str, str], int] = {}
        self.status = "Pending"
        self.output: Any = None
        self.episodes = 0
        self.episode()

    def tick(self) -> str:
        self.clock += timedelta(seconds=1)
        return format_time(self.clock)

    def episode(self) -> None:
        draft = compose(self.instance, self.tick())
        assert draft is not None, "nothing to replay"
        context = self.instance.log.context_json(draft.events, "contract-1", self.instance.input_json, None)
        try:
            answer = parse_answer(self.invoke(context))
        except Exception as error:
            answer = parse_failure(error)
        outcome = apply(self.instance, draft, answer)
        self.instance.log.extend_committed(outcome.events)
        self.status, self.episodes = outcome.status, self.episodes + 1
        self.output = json.loads(outcome.output_json) if outcome.output_json else None
        if outcome.status == "Running":
            assert self.sdk_open_tasks(context) == self.engine_open_work()
            if self.deliverable():
                self.episode()

    def deliverable(self) -> bool:
        """A buffered event the orchestrator now waits for: the engine wakes the instance again."""
        return any(self.instance.waits[item.name] > 0 for item in self.instance.buffered)

    def sdk_open_tasks(self, context: str) -> dict[int, str]:
        """The SDK's own bookkeeping after replaying this history: task ID -> function name (or kind)."""
        sdk_context = DurableOrchestrationContext.from_json(context)
        executor = TaskOrchestrationExecutor()
        executor.execute(sdk_context, sdk_context.histories, self.function)
        open_tasks: dict[int, str] = {}
        for key, task in sdk_context.open_tasks.items():
            if isinstance(key, int) and isinstance(task, AtomicTask):
                action = task._get_action()
                name = getattr(action, "function_name", "timer")
                open_tasks[key] = "*" if isinstance(action, NoOpAction) else name
        return open_tasks

    def engine_open_work(self) -> dict[int, str]:
        """The engine's open work, with names hidden where the SDK hides them (retry timers and attempts)."""
        shown = {}
        for key, event in self.instance.open_work.items():
            retried = key in self.instance.retries and (
                event["EventType"] == EventType.TIMER_CREATED or self.instance.retries[key].attempt > 1)
            shown[key] = "*" if retried else event.get("Name") or "timer"
        return shown

    def completion(self, event_id: int) -> Event:
        scheduled = self.instance.open_work[event_id]
        timestamp = self.tick()
        if scheduled["EventType"] == EventType.TIMER_CREATED:
            return new_event(EventType.TIMER_FIRED, timestamp, TimerId=event_id, FireAt=scheduled["FireAt"])
        name, value = scheduled["Name"], json.loads(scheduled["Input"])
        key = (name, scheduled["Input"])
        self.attempts[key] = self.attempts.get(key, 0) + 1
        is_child = scheduled["EventType"] == EventType.SUB_ORCHESTRATION_INSTANCE_CREATED
        try:
            attempt = self.attempts[key]
            result = self.children[name](value) if is_child else self.activity(name, value, attempt)
        except Exception as error:
            kind = EventType.SUB_ORCHESTRATION_INSTANCE_FAILED if is_child else EventType.TASK_FAILED
            reason = f"{'Orchestrator' if is_child else 'Activity'} function '{name}' failed: {error}"
            return new_event(kind, timestamp, TaskScheduledId=event_id, Reason=reason, Details="details")
        kind = EventType.SUB_ORCHESTRATION_INSTANCE_COMPLETED if is_child else EventType.TASK_COMPLETED
        return new_event(kind, timestamp, TaskScheduledId=event_id, Result=json.dumps(result))

    def complete(self, event_ids: list[int]) -> None:
        for event_id in event_ids:
            assert self.instance.offer(self.completion(event_id))
        self.episode()

    def raise_event(self, name: str, value: Any) -> None:
        self.instance.buffered.append(BufferedEvent(f"event-{self.tick()}", name, json.dumps(value)))
        if self.deliverable():
            self.episode()

    def run(self, batch: str = "all", max_episodes: int = 500) -> Any:
        """Complete open work until the orchestration ends: all at once, newest first, or one at a time.
        Timers fire only when nothing else is open, as if their time had come."""
        while self.status == "Running":
            assert self.episodes < max_episodes, "the orchestration does not progress"
            open_ids = sorted(self.instance.open_work)
            assert open_ids, "the orchestration waits for nothing the engine knows about (hang)"
            not_timers = [key for key in open_ids
                          if self.instance.open_work[key]["EventType"] != EventType.TIMER_CREATED]
            open_ids = not_timers or open_ids
            if batch == "reverse":
                open_ids.reverse()
            self.complete(open_ids[:1] if batch == "one" else open_ids)
        return self.output


def fan_out(context: DurableOrchestrationContext) -> Any:
    count = context.get_input()
    first = yield context.call_activity("echo", "start")
    results = yield context.task_all([context.call_activity("double", n) for n in range(count)])
    last = yield context.call_activity("echo", "end")
    return [first, sum(results), last]


def doubling(name: str, value: Any, attempt: int) -> Any:
    return value * 2 if name == "double" else value


@pytest.mark.parametrize("batch", ["all", "reverse", "one"])
def test_fan_out_numbers_children_in_order(batch: str) -> None:
    world = ContractWorld(fan_out, 25, doubling)
    assert world.run(batch) == ["start", 600, "end"]


def test_fan_out_of_all_at_once_costs_few_episodes() -> None:
    world = ContractWorld(fan_out, 200, doubling)
    assert world.run("all") == ["start", 39800, "end"]
    assert world.episodes == 4


def flaky(failures: int) -> Activity:
    def activity(name: str, value: Any, attempt: int) -> Any:
        if name == "flaky" and attempt <= failures:
            raise RuntimeError(f"attempt {attempt} of {value} failed")
        return value
    return activity


def retrying(context: DurableOrchestrationContext) -> Any:
    options = RetryOptions(first_retry_interval_in_milliseconds=1000, max_number_of_attempts=3)
    try:
        result = yield context.call_activity_with_retry("flaky", options, "job")
    except Exception as error:
        return f"gave up: {error}"
    after = yield context.call_activity("echo", "after")
    return [result, after]


def test_retry_ending_in_success_numbers_timers_and_attempts() -> None:
    world = ContractWorld(retrying, activity=flaky(2))
    assert world.run() == ["job", "after"]
    scheduled = [event["EventId"] for event in world.instance.log.events if event["EventType"] in
                 (EventType.TASK_SCHEDULED, EventType.TIMER_CREATED)]
    assert scheduled == [0, 1, 2, 3, 4, 5]


def test_retry_ending_in_failure_fires_one_more_timer_then_raises() -> None:
    world = ContractWorld(retrying, activity=flaky(10))
    output = world.run()
    assert output.startswith("gave up: Activity function 'flaky' failed: attempt 3 of job failed")
    shown = {EventType.TASK_SCHEDULED, EventType.TASK_FAILED, EventType.TIMER_FIRED}
    kinds = [EventType(event["EventType"]).name for event in world.instance.log.events
             if event["EventType"] in shown]
    assert kinds == ["TASK_SCHEDULED", "TASK_FAILED", "TIMER_FIRED"] * 3


def mixed_retries(context: DurableOrchestrationContext) -> Any:
    """Retries next to plain tasks and a timer: failures, timers and new yields in one batch."""
    options = RetryOptions(first_retry_interval_in_milliseconds=10, max_number_of_attempts=2)
    values = yield context.task_all([
        context.call_activity_with_retry("flaky", options, "a"),
        context.call_activity("echo", "b"),
        context.call_activity_with_retry("flaky", options, "c"),
    ])
    winner = yield context.task_any([context.call_activity("echo", "d"),
                                     context.create_timer(context.current_utc_datetime + timedelta(hours=1))])
    more = yield context.task_all([context.call_activity_with_retry("flaky", options, "e"),
                                   context.call_activity("echo", "f")])
    return [values, winner.result, more]


@pytest.mark.parametrize("batch", ["all", "reverse", "one"])
def test_retries_mixed_with_plain_tasks_keep_ids_in_step(batch: str) -> None:
    world = ContractWorld(mixed_retries, activity=flaky(1))
    assert world.run(batch) == [["a", "b", "c"], "d", ["e", "f"]]


def parent(context: DurableOrchestrationContext) -> Any:
    options = RetryOptions(first_retry_interval_in_milliseconds=10, max_number_of_attempts=3)
    named = yield context.call_sub_orchestrator("child", 1, "child-fixed-id")
    generated = yield context.task_all([context.call_sub_orchestrator("child", n) for n in (2, 3)])
    retried = yield context.call_sub_orchestrator_with_retry("picky", options, 4)
    return [named, generated, retried]


def test_sub_orchestrations_with_and_without_retry() -> None:
    picky_calls = []

    def picky(value: Any) -> Any:
        picky_calls.append(value)
        if len(picky_calls) < 3:
            raise RuntimeError("not yet")
        return value * 100

    world = ContractWorld(parent, children={"child": lambda n: n * 10, "picky": picky})
    assert world.run() == [10, [20, 30], 400]
    created = [event["InstanceId"] for event in world.instance.log.events
               if event["EventType"] == EventType.SUB_ORCHESTRATION_INSTANCE_CREATED]
    assert created[0] == "child-fixed-id"
    assert created[1:3] == ["exec-1:1", "exec-1:2"]
    assert len(created) == 6


def timer_then_event(context: DurableOrchestrationContext) -> Any:
    yield context.create_timer(context.current_utc_datetime + timedelta(seconds=5))
    approval = yield context.wait_for_external_event("Approval")
    context.set_custom_status({"approved": approval})
    second = yield context.task_any([context.wait_for_external_event("Second"),
                                     context.create_timer(context.current_utc_datetime + timedelta(days=1))])
    done = yield context.call_activity("echo", "done")
    return [approval, second.result, done]


def test_timer_and_external_events_before_and_after_the_wait() -> None:
    world = ContractWorld(timer_then_event)
    world.raise_event("Second", "early")
    world.complete(sorted(world.instance.open_work))
    assert world.instance.waits["Approval"] == 1
    world.raise_event("Approval", True)
    assert world.instance.waits["Second"] == 0
    assert world.run() == [True, "early", "done"]


def continue_twice(context: DurableOrchestrationContext) -> Any:
    round_number = context.get_input()
    yield context.call_activity("echo", round_number)
    if round_number < 2:
        context.continue_as_new(round_number + 1)
        return None
    return round_number


def test_continue_as_new_ends_the_execution_with_the_new_input() -> None:
    world = ContractWorld(continue_twice, 0)
    world.run()
    assert world.status == "ContinuedAsNew"
    assert world.instance.log.events[-2]["EventType"] == EventType.CONTINUE_AS_NEW
    assert world.instance.log.events[-2]["Result"] == "1"


def failing(context: DurableOrchestrationContext) -> Any:
    yield context.call_activity("echo", "x")
    raise ValueError("the orchestrator gave up")


def test_orchestrator_failure_ends_as_failed_with_the_message() -> None:
    world = ContractWorld(failing)
    world.run()
    assert world.status == "Failed"
    assert world.output == "Orchestrator function 'orchestrator' failed: the orchestrator gave up"
