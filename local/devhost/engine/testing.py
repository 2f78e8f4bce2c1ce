"""Build engine function maps from plain Python functions, the way the worker invokes them.

Orchestrators go through the SDK's own handle (`Orchestrator.create`), called with a
`func.OrchestrationContext` whose body is the context JSON, exactly as the host's invoker does. Used by the
engine tests, the crash-test worker and the benchmark.
"""

from __future__ import annotations

import asyncio
import inspect
import uuid
from collections.abc import Awaitable, Callable, Generator, Mapping
from typing import Any

import azure.durable_functions as df
import azure.functions as func
from azure.functions._durable_functions import df_dumps, df_loads

from local.devhost.engine.engine import Engine
from local.devhost.engine_api import ActivityInvoker, FunctionMaps

OrchestratorFunction = Callable[[df.DurableOrchestrationContext], Generator[Any, Any, Any] | Any]


def orchestrator_invoker(function: OrchestratorFunction) -> Callable[[str], str]:
    handle = df.Orchestrator.create(function)

    def invoke(context_json: str) -> str:
        return str(handle(func.OrchestrationContext(context_json)))

    return invoke


def activity_invoker(function: Callable[[Any], Any]) -> ActivityInvoker:
    """JSON in, JSON out, through the codec the worker's activity converter uses (custom objects such as
    the message records rebuilt on the way in, wrapped on the way out); `function` may be sync or async
    and raises to fail the activity."""

    async def invoke(input_json: str) -> str:
        result = function(df_loads(input_json) if input_json is not None else None)
        if inspect.isawaitable(result):
            result = await result
        return df_dumps(result)

    return invoke


def function_maps(
    orchestrators: Mapping[str, OrchestratorFunction], activities: Mapping[str, Callable[[Any], Any]],
) -> FunctionMaps:
    return FunctionMaps(
        orchestrators={name: orchestrator_invoker(function) for name, function in orchestrators.items()},
        activities={name: activity_invoker(function) for name, function in activities.items()},
    )


Scenario = Callable[[Engine], Awaitable[None]]


def unique_hub(prefix: str = "T") -> str:
    """A task hub of its own per test: its table and containers keep tests apart on one Azurite."""
    return f"{prefix}{uuid.uuid4().hex[:16]}"


def run_engine(
    connection_string: str, functions: FunctionMaps, scenario: Scenario, hub_name: str | None = None,
    **engine_options: Any,
) -> None:
    """Start an engine on a fresh hub, run `scenario` against it and stop it, all in one event loop."""

    async def main() -> None:
        engine = Engine(connection_string, hub_name or unique_hub(), functions, **engine_options)
        await engine.start()
        try:
            await scenario(engine)
        finally:
            await engine.stop()

    asyncio.run(main())
