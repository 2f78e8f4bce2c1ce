"""Engine on Azurite: instance-ID rules of host.json and exactly-one-runs under concurrent starts."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from azure.durable_functions import DurableOrchestrationContext

from local.azurite import AzuriteEndpoints
from local.devhost.engine import Engine
from local.devhost.engine.testing import function_maps, run_engine, unique_hub
from local.devhost.engine_api import InstanceExistsError, InvalidInstanceIdError, UnknownFunctionError
from tests.polling import wait_until_async

RUNS: list[Any] = []


def record_run(value: Any) -> Any:
    RUNS.append(value)
    return value


def once(context: DurableOrchestrationContext) -> Any:
    result = yield context.call_activity("record_run", context.get_input())
    gate = yield context.wait_for_external_event("Finish")
    return [result, gate]


FUNCTIONS = function_maps({"once": once}, {"record_run": record_run})


@pytest.mark.parametrize("bad_id", ["@entity", "a/b", "a\\b", "what?", "tag#1", "tab\there", "x" * 257, ""])
def test_invalid_instance_ids_are_refused(azurite: AzuriteEndpoints, bad_id: str) -> None:
    async def scenario(engine: Engine) -> None:
        with pytest.raises(InvalidInstanceIdError):
            await engine.start_new("once", bad_id, None)

    run_engine(azurite.connection_string, FUNCTIONS, scenario)


def test_unknown_orchestrator_is_refused(azurite: AzuriteEndpoints) -> None:
    async def scenario(engine: Engine) -> None:
        with pytest.raises(UnknownFunctionError):
            await engine.start_new("nope", None, None)

    run_engine(azurite.connection_string, FUNCTIONS, scenario)


def test_running_instance_is_protected_and_an_ended_one_is_overwritten(azurite: AzuriteEndpoints) -> None:
    async def scenario(engine: Engine) -> None:
        await engine.start_new("once", "job-1", json.dumps("first"))
        with pytest.raises(InstanceExistsError, match="already exists"):
            await engine.start_new("once", "job-1", json.dumps("second"))
        await engine.raise_event("job-1", "Finish", json.dumps(1))
        assert (await engine.wait_for_completion("job-1", 30))["output"] == ["first", 1]
        await engine.start_new("once", "job-1", json.dumps("third"))
        await engine.raise_event("job-1", "Finish", json.dumps(2))
        assert (await engine.wait_for_completion("job-1", 30))["output"] == ["third", 2]
        history = (await engine.get_status("job-1", show_history=True))["historyEvents"]  # type: ignore[index]
        assert len([event for event in history if event["EventType"] == "ExecutionStarted"]) == 1

    run_engine(azurite.connection_string, FUNCTIONS, scenario)


def test_any_state_overrides_a_running_instance(azurite: AzuriteEndpoints) -> None:
    async def scenario(engine: Engine) -> None:
        await engine.start_new("once", "job-any", json.dumps("first"))
        await engine.start_new("once", "job-any", json.dumps("second"))
        await engine.raise_event("job-any", "Finish", json.dumps(0))
        assert (await engine.wait_for_completion("job-any", 30))["output"] == ["second", 0]

    run_engine(azurite.connection_string, FUNCTIONS, scenario, overridable_states="AnyState")


def test_200_concurrent_starts_of_one_id_run_exactly_one_instance(azurite: AzuriteEndpoints) -> None:
    """Half through one engine (its lock decides), half through a second engine on the same hub (the
    conditional insert in storage decides)."""
    hub = unique_hub()
    RUNS.clear()

    async def scenario(engine: Engine) -> None:
        other = Engine(azurite.connection_string, hub, FUNCTIONS)
        await other.start()
        try:
            starts = [(engine if n % 2 else other).start_new("once", "the-one", json.dumps(n))
                      for n in range(200)]
            outcomes = await asyncio.gather(*starts, return_exceptions=True)
            winners = [outcome for outcome in outcomes if outcome == "the-one"]
            refused = [outcome for outcome in outcomes if isinstance(outcome, InstanceExistsError)]
            assert (len(winners), len(refused)) == (1, 199)

            async def runs() -> int:
                return len(RUNS)

            assert await wait_until_async(runs, message="the winner's activity") == 1
        finally:
            await other.stop()
        # Whichever engine ran it, this one finishes it (resuming it from storage if it was the other's).
        await engine.raise_event("the-one", "Finish", json.dumps("end"))
        done = await engine.wait_for_completion("the-one", 30)
        assert done["output"] == [RUNS[0], "end"]
        assert len(RUNS) == 1

    run_engine(azurite.connection_string, FUNCTIONS, scenario, hub_name=hub)
