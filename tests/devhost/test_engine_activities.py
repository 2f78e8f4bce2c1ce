"""Engine on Azurite: activities, fan-out, failures and retries done by the engine, status and history."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import pytest
from azure.durable_functions import DurableOrchestrationContext, RetryOptions

from local.azurite import AzuriteEndpoints
from local.devhost.engine import Engine
from local.devhost.engine.testing import function_maps, orchestrator_invoker, run_engine
from local.devhost.engine_api import FunctionMaps

ATTEMPTS: dict[str, int] = {}


def greet(name: str) -> str:
    return f"Hello {name}"


async def double(value: int) -> int:
    await asyncio.sleep(0)  # a real await: the activity is a coroutine the engine must await
    return value * 2


def flaky(job: dict[str, Any]) -> str:
    """Fails `failures` times per job key, then succeeds."""
    ATTEMPTS[job["key"]] = ATTEMPTS.get(job["key"], 0) + 1
    if ATTEMPTS[job["key"]] <= job["failures"]:
        raise RuntimeError(f"attempt {ATTEMPTS[job['key']]} failed")
    return f"done after {ATTEMPTS[job['key']]}"


def boom(_: Any) -> None:
    raise ValueError("the tenant is gone")


def sequence(context: DurableOrchestrationContext) -> Any:
    first = yield context.call_activity("greet", context.get_input())
    second = yield context.call_activity("greet", "again")
    return [first, second]


def fan_out(context: DurableOrchestrationContext) -> Any:
    results = yield context.task_all([context.call_activity("double", n) for n in range(context.get_input())])
    return sum(results)


def with_retry(context: DurableOrchestrationContext) -> Any:
    options = RetryOptions(first_retry_interval_in_milliseconds=100, max_number_of_attempts=3)
    try:
        return (yield context.call_activity_with_retry("flaky", options, context.get_input()))
    except Exception as error:
        return f"failed: {error}"


def catches(context: DurableOrchestrationContext) -> Any:
    try:
        yield context.call_activity("boom", None)
    except Exception as error:
        return str(error)
    return "not reached"


FUNCTIONS = function_maps(
    {"sequence": sequence, "fan_out": fan_out, "with_retry": with_retry, "catches": catches},
    {"greet": greet, "double": double, "flaky": flaky, "boom": boom},
)


def test_activity_sequence_completes_with_status_history_and_input(azurite: AzuriteEndpoints) -> None:
    async def scenario(engine: Engine) -> None:
        instance_id = await engine.start_new("sequence", "seq-1", json.dumps("Tokyo"))
        done = await engine.wait_for_completion(instance_id, 30)
        assert done["runtimeStatus"] == "Completed"
        assert done["output"] == ["Hello Tokyo", "Hello again"]
        assert done["input"] == "Tokyo"
        full = await engine.get_status(
            instance_id, show_history=True, show_history_output=True, show_input=False)
        assert full is not None and full["input"] is None
        kinds = [event["EventType"] for event in full["historyEvents"]]
        assert kinds == ["ExecutionStarted", "TaskCompleted", "TaskCompleted", "ExecutionCompleted"]
        assert full["historyEvents"][1]["FunctionName"] == "greet"
        assert full["historyEvents"][1]["Result"] == "Hello Tokyo"
        assert await engine.get_status("no-such-instance") is None

    run_engine(azurite.connection_string, FUNCTIONS, scenario)


def test_fan_out_of_1000_activities(azurite: AzuriteEndpoints) -> None:
    async def scenario(engine: Engine) -> None:
        instance_id = await engine.start_new("fan_out", None, json.dumps(1000))
        done = await engine.wait_for_completion(instance_id, 60)
        assert done["runtimeStatus"] == "Completed"
        assert done["output"] == 999000

    run_engine(azurite.connection_string, FUNCTIONS, scenario)


def test_sync_activity_invokers_run_off_the_event_loop(azurite: AzuriteEndpoints) -> None:
    def blocking(input_json: str) -> str:
        time.sleep(0.05)  # what is tested: an activity that blocks, which must not block the loop
        return json.dumps(f"Hello {json.loads(input_json)}")

    functions = FunctionMaps({"sequence": orchestrator_invoker(sequence)}, {"greet": blocking})  # type: ignore[dict-item]

    async def scenario(engine: Engine) -> None:
        instance_id = await engine.start_new("sequence", None, json.dumps("sync"))
        assert (await engine.wait_for_completion(instance_id, 30))["output"] == ["Hello sync", "Hello again"]

    run_engine(azurite.connection_string, functions, scenario)


def test_failed_activity_reaches_the_orchestrator_as_the_hosts_reason(azurite: AzuriteEndpoints) -> None:
    async def scenario(engine: Engine) -> None:
        instance_id = await engine.start_new("catches", None, None)
        output = (await engine.wait_for_completion(instance_id, 30))["output"]
        assert output.startswith("Activity function 'boom' failed: the tenant is gone \n ")
        assert "ValueError" in output

    run_engine(azurite.connection_string, FUNCTIONS, scenario)


@pytest.mark.parametrize(
    ("failures", "expected"), [(2, "done after 3"), (5, "failed: Activity function 'flaky'")])
def test_retries_run_in_the_engine(azurite: AzuriteEndpoints, failures: int, expected: str) -> None:
    key = f"retry-{failures}"

    async def scenario(engine: Engine) -> None:
        job = json.dumps({"key": key, "failures": failures})
        instance_id = await engine.start_new("with_retry", None, job)
        done = await engine.wait_for_completion(instance_id, 30)
        assert done["output"].startswith(expected)
        history = (await engine.get_status(instance_id, show_history=True))["historyEvents"]  # type: ignore[index]
        kinds = [event["EventType"] for event in history if event["EventType"] != "ExecutionStarted"]
        if failures == 2:
            assert kinds == ["TaskFailed", "TimerCreated", "TimerFired", "TaskFailed", "TimerCreated",
                             "TimerFired", "TaskCompleted", "ExecutionCompleted"]
        else:
            assert kinds.count("TaskFailed") == 3 and kinds.count("TimerFired") == 3

    run_engine(azurite.connection_string, FUNCTIONS, scenario)
    assert ATTEMPTS[key] == min(failures + 1, 3)
