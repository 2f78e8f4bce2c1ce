"""Invoke user functions as the Python worker does: bind arguments by name, run sync code on a thread pool,
await async code on the host's loop, and write one log line per invocation.

The log line names the function, invocation ID, duration and outcome, and nothing else: headers, bodies
and inputs may hold secrets.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import logging
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import azure.functions as func
from azure.functions import meta
from azure.functions.durable_functions import ActivityTriggerConverter

from local.devhost.app_loader import FunctionSpec, LoadedApp
from local.devhost.engine_api import FunctionMaps

log = logging.getLogger("devhost.functions")


class InvocationContext(func.Context):
    """The `context` argument the worker gives functions that ask for it."""

    def __init__(self, invocation_id: str, function_name: str, function_directory: str) -> None:
        self._invocation_id = invocation_id
        self._function_name = function_name
        self._function_directory = function_directory
        self._local = threading.local()

    @property
    def invocation_id(self) -> str:
        return self._invocation_id

    @property
    def function_name(self) -> str:
        return self._function_name

    @property
    def function_directory(self) -> str:
        return self._function_directory

    @property
    def thread_local_storage(self) -> threading.local:  # type: ignore[override]
        return self._local

    @property
    def trace_context(self) -> Any:
        raise NotImplementedError("the devhost does not propagate distributed trace context")

    @property
    def retry_context(self) -> Any:
        raise NotImplementedError("the devhost has no retry policies for non-durable triggers")


ClientBindingFactory = Callable[[], str]
"""Builds the durable client binding JSON once the host knows its own URL."""


class FunctionInvoker:
    """Calls user functions; sync ones on a bounded pool sized like PYTHON_THREADPOOL_THREAD_COUNT."""

    def __init__(self, app_dir: str, pool_size: int, client_binding: ClientBindingFactory) -> None:
        self._app_dir = app_dir
        self._pool = ThreadPoolExecutor(max_workers=pool_size, thread_name_prefix="devhost-worker")
        self._client_binding = client_binding

    def shutdown(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)

    def _arguments(self, spec: FunctionSpec, trigger_value: Any, invocation_id: str) -> dict[str, Any]:
        kwargs: dict[str, Any] = {spec.trigger_param: trigger_value}
        for name in spec.client_params:
            kwargs[name] = self._client_binding()
        if spec.takes_context:
            kwargs["context"] = InvocationContext(invocation_id, spec.name, self._app_dir)
        return kwargs

    async def invoke(self, spec: FunctionSpec, trigger_value: Any) -> Any:
        """Run the function once and log the outcome; its exception, if any, reaches the caller."""
        invocation_id = str(uuid.uuid4())
        kwargs = self._arguments(spec, trigger_value, invocation_id)
        started = time.perf_counter()
        outcome = "Failed"
        try:
            if spec.is_async:
                result = await spec.func(**kwargs)
            else:
                call = functools.partial(contextvars.copy_context().run, spec.func, **kwargs)
                result = await asyncio.get_running_loop().run_in_executor(self._pool, call)
            outcome = "Succeeded"
            return result
        finally:
            log_invocation(spec.name, invocation_id, started, outcome)

    def invoke_orchestrator(self, spec: FunctionSpec, context_json: str) -> str:
        """One orchestrator episode: the SDK's handle replays the history and answers with its actions."""
        invocation_id = str(uuid.uuid4())
        started = time.perf_counter()
        outcome = "Failed"
        try:
            answer = spec.func(func.OrchestrationContext(context_json))
            outcome = "Succeeded"
            return str(answer)
        finally:
            log_invocation(spec.name, invocation_id, started, outcome)

    async def invoke_activity(self, spec: FunctionSpec, input_json: str | None) -> str:
        """Decode the input and encode the result with the worker's own activityTrigger converter."""
        data = meta.Datum(type="json", value=input_json if input_json is not None else "null")
        value = ActivityTriggerConverter.decode(data, trigger_metadata=None)
        result = await self.invoke(spec, value)
        return str(ActivityTriggerConverter.encode(result, expected_type=None).value)

    def function_maps(self, app: LoadedApp) -> FunctionMaps:
        """The engine's view of the app: orchestrator handles and activity callables by durable name."""
        orchestrators = {
            name: functools.partial(self.invoke_orchestrator, spec)
            for name, spec in app.orchestrators.items()
        }
        activities = {
            name: functools.partial(self.invoke_activity, spec) for name, spec in app.activities.items()
        }
        return FunctionMaps(orchestrators=orchestrators, activities=activities)


def log_invocation(name: str, invocation_id: str, started: float, outcome: str) -> None:
    duration_ms = (time.perf_counter() - started) * 1000
    level = logging.INFO if outcome == "Succeeded" else logging.ERROR
    log.log(
        level,
        "Executed 'Functions.%s' (%s, Id=%s, Duration=%.0fms)",
        name,
        outcome,
        invocation_id,
        duration_ms,
    )
