"""Engine on Azurite: sub-orchestrations, timers, external events, WhenAny, continue-as-new, custom
status, terminate, purge and query."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from azure.durable_functions import DurableOrchestrationContext, RetryOptions

from local.azurite import AzuriteEndpoints
from local.devhost.engine import Engine
from local.devhost.engine.history import parse_time
from local.devhost.engine.testing import function_maps, run_engine, unique_hub
from local.devhost.engine_api import InstanceNotFoundError, InstanceNotRunningError
from tests.polling import wait_until_async

CHILD_CALLS: dict[str, int] = {}


def echo(value: Any) -> Any:
    return value


def child(context: DurableOrchestrationContext) -> Any:
    value = context.get_input()
    result = yield context.call_activity("echo", value * 10)
    return result


def picky_child(context: DurableOrchestrationContext) -> Any:
    key = context.get_input()
    CHILD_CALLS[key] = CHILD_CALLS.get(key, 0) + 1
    yield context.call_activity("echo", key)
    if CHILD_CALLS[key] < 2:
        raise RuntimeError("first attempt of the child fails")
    return f"{key} ok"


def parent(context: DurableOrchestrationContext) -> Any:
    options = RetryOptions(first_retry_interval_in_milliseconds=50, max_number_of_attempts=3)
    named = yield context.call_sub_orchestrator("child", 1, f"{context.instance_id}-child")
    many = yield context.task_all([context.call_sub_orchestrator("child", n) for n in (2, 3)])
    retried = yield context.call_sub_orchestrator_with_retry("picky_child", options, context.instance_id)
    return [named, many, retried]


def sleeper(context: DurableOrchestrationContext) -> Any:
    yield context.create_timer(context.current_utc_datetime + timedelta(milliseconds=context.get_input()))
    return "woke"


def approval(context: DurableOrchestrationContext) -> Any:
    context.set_custom_status("waiting")
    decision = yield context.wait_for_external_event("Approval")
    context.set_custom_status({"decision": decision})
    timeout = context.create_timer(context.current_utc_datetime + timedelta(hours=1))
    winner = yield context.task_any([context.wait_for_external_event("Second"), timeout])
    if winner != timeout:
        timeout.cancel()
    return [decision, winner.result if winner != timeout else "timed out"]


def race(context: DurableOrchestrationContext) -> Any:
    timer = context.create_timer(context.current_utc_datetime + timedelta(milliseconds=context.get_input()))
    winner = yield context.task_any([context.wait_for_external_event("Go"), timer])
    return "timer" if winner == timer else winner.result


def counter(context: DurableOrchestrationContext) -> Any:
    state = context.get_input()
    if state["round"] < 3:
        yield context.call_activity("echo", state["round"])
        context.continue_as_new({"round": state["round"] + 1, "seen": state["seen"]})
        return None
    extra = yield context.wait_for_external_event("Extra")
    return {"rounds": state["round"], "extra": extra}


def waits_forever(context: DurableOrchestrationContext) -> Any:
    yield context.wait_for_external_event("Never")
    return "not reached"


FUNCTIONS = function_maps(
    {"child": child, "picky_child": picky_child, "parent": parent, "sleeper": sleeper, "approval": approval,
     "race": race, "counter": counter, "waits_forever": waits_forever},
    {"echo": echo},
)


def test_sub_orchestrations_with_and_without_retry(azurite: AzuriteEndpoints) -> None:
    async def scenario(engine: Engine) -> None:
        done = await engine.wait_for_completion(await engine.start_new("parent", "parent-1", None), 30)
        assert done["runtimeStatus"] == "Completed", done
        assert done["output"] == [10, [20, 30], "parent-1 ok"]
        named_child = await engine.get_status("parent-1-child")
        assert named_child is not None and named_child["runtimeStatus"] == "Completed"
        assert CHILD_CALLS["parent-1"] == 2

    run_engine(azurite.connection_string, FUNCTIONS, scenario)


def test_durable_timer_fires(azurite: AzuriteEndpoints) -> None:
    async def scenario(engine: Engine) -> None:
        instance_id = await engine.start_new("sleeper", None, "500")
        done = await engine.wait_for_completion(instance_id, 30)
        assert done["output"] == "woke"
        history = (await engine.get_status(instance_id, show_history=True))["historyEvents"]  # type: ignore[index]
        events = {event["EventType"]: event for event in history}
        assert list(events) == ["ExecutionStarted", "TimerCreated", "TimerFired", "ExecutionCompleted"]
        fire_at = parse_time(events["TimerCreated"]["FireAt"])
        # Set for half a second after the orchestrator ran, and not fired before that.
        assert fire_at - parse_time(events["ExecutionStarted"]["Timestamp"]) >= timedelta(milliseconds=500)
        assert parse_time(events["TimerFired"]["Timestamp"]) >= fire_at

    run_engine(azurite.connection_string, FUNCTIONS, scenario)


async def _custom_status(engine: Engine, instance_id: str, expected: Any) -> dict[str, Any] | None:
    """The instance's status once its custom status is `expected` (None before)."""
    status = await engine.get_status(instance_id)
    return status if status is not None and status["customStatus"] == expected else None


async def _running(engine: Engine, *instance_ids: str) -> None:
    """Wait until each instance has run its first episode (Pending until then)."""

    async def all_running() -> bool:
        statuses = [await engine.get_status(instance_id) for instance_id in instance_ids]
        return all(status is not None and status["runtimeStatus"] == "Running" for status in statuses)

    await wait_until_async(all_running, message=f"{', '.join(instance_ids)} to run")


@pytest.mark.parametrize("early", [True, False])
def test_external_events_before_and_after_the_wait(azurite: AzuriteEndpoints, early: bool) -> None:
    async def scenario(engine: Engine) -> None:
        instance_id = await engine.start_new("approval", None, None)
        if early:
            await engine.raise_event(instance_id, "Second", json.dumps("arrived early"))
        status = await wait_until_async(lambda: _custom_status(engine, instance_id, "waiting"))
        assert status["runtimeStatus"] == "Running"
        await engine.raise_event(instance_id, "Approval", json.dumps(True))
        if not early:
            await wait_until_async(lambda: _custom_status(engine, instance_id, {"decision": True}))
            await engine.raise_event(instance_id, "Second", json.dumps("arrived late"))
        done = await engine.wait_for_completion(instance_id, 30)
        assert done["output"] == [True, "arrived early" if early else "arrived late"]
        with pytest.raises(InstanceNotRunningError):
            await engine.raise_event(instance_id, "Second", None)
        with pytest.raises(InstanceNotFoundError):
            await engine.raise_event("nobody", "Second", None)

    run_engine(azurite.connection_string, FUNCTIONS, scenario)


def test_when_any_takes_the_first_to_finish(azurite: AzuriteEndpoints) -> None:
    async def scenario(engine: Engine) -> None:
        by_timer = await engine.start_new("race", None, "200")
        by_event = await engine.start_new("race", None, "60000")
        await _running(engine, by_event)  # the event comes to an orchestration already waiting for it
        await engine.raise_event(by_event, "Go", json.dumps("event won"))
        assert (await engine.wait_for_completion(by_timer, 30))["output"] == "timer"
        assert (await engine.wait_for_completion(by_event, 30))["output"] == "event won"

    run_engine(azurite.connection_string, FUNCTIONS, scenario)


def test_continue_as_new_starts_new_executions_and_carries_events(azurite: AzuriteEndpoints) -> None:
    async def scenario(engine: Engine) -> None:
        instance_id = await engine.start_new("counter", None, json.dumps({"round": 0, "seen": []}))
        await engine.raise_event(instance_id, "Extra", json.dumps("kept across executions"))
        done = await engine.wait_for_completion(instance_id, 30)
        assert done["output"] == {"rounds": 3, "extra": "kept across executions"}
        assert done["input"] == {"round": 3, "seen": []}
        history = (await engine.get_status(instance_id, show_history=True))["historyEvents"]  # type: ignore[index]
        kinds = [event["EventType"] for event in history]
        assert kinds == ["ExecutionStarted", "EventRaised", "ExecutionCompleted"]

    run_engine(azurite.connection_string, FUNCTIONS, scenario)


def test_terminate_purge_and_query(azurite: AzuriteEndpoints) -> None:
    async def scenario(engine: Engine) -> None:
        first = await engine.start_new("waits_forever", "batch-a-1", None)
        second = await engine.start_new("waits_forever", "batch-a-2", None)
        other = await engine.start_new("sleeper", "other-1", "10")
        await engine.wait_for_completion(other, 30)
        await _running(engine, first, second)
        await engine.terminate(first, "operator said stop")
        terminated = await engine.get_status(first)
        assert terminated is not None
        assert terminated["runtimeStatus"] == "Terminated" and terminated["output"] == "operator said stop"
        with pytest.raises(InstanceNotRunningError):
            await engine.terminate(first, "again")
        with pytest.raises(InstanceNotFoundError):
            await engine.terminate("nobody", None)

        by_prefix = {status["instanceId"] for status in await engine.query(instance_id_prefix="batch-a-")}
        assert by_prefix == {first, second}
        running = await engine.query(runtime_status=["Running", "Pending"])
        assert [status["instanceId"] for status in running] == [second]
        everything = await engine.query(
            created_from="2000-01-01T00:00:00Z", created_to="2999-01-01T00:00:00Z")
        assert len(everything) == 3
        assert await engine.query(created_from="2999-01-01T00:00:00Z") == []

        assert await engine.purge(second) == 0
        assert await engine.purge(first) == 1
        assert await engine.get_status(first) is None
        with pytest.raises(InstanceNotFoundError):
            await engine.purge(first)
        await engine.terminate(second, None)

    run_engine(azurite.connection_string, FUNCTIONS, scenario)


def test_timers_and_waits_survive_a_restart(azurite: AzuriteEndpoints) -> None:
    """Stop the engine while a timer is armed and an event is awaited; a new engine on the same hub
    re-arms the timer from history and takes the event."""
    hub = unique_hub()

    async def before(engine: Engine) -> None:
        await engine.start_new("sleeper", "sleeps-across-restart", "1500")
        await engine.start_new("approval", "waits-across-restart", None)
        await _running(engine, "sleeps-across-restart", "waits-across-restart")  # timer armed, wait begun

    async def after(engine: Engine) -> None:
        assert (await engine.wait_for_completion("sleeps-across-restart", 30))["output"] == "woke"
        await engine.raise_event("waits-across-restart", "Approval", json.dumps("yes"))
        await engine.raise_event("waits-across-restart", "Second", json.dumps("also"))
        assert (await engine.wait_for_completion("waits-across-restart", 30))["output"] == ["yes", "also"]

    run_engine(azurite.connection_string, FUNCTIONS, before, hub_name=hub)
    run_engine(azurite.connection_string, FUNCTIONS, after, hub_name=hub)
