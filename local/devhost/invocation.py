"""Invoke the app's functions through the worker, with the input data the Functions host sends.

Each invocation is one InvocationRequest: the trigger's data under the trigger's parameter name, and the
durable client binding JSON under each `durableClient` parameter, as the Durable extension binds it.
The worker decodes them with the app's own converters, calls the function and encodes its return value.

One log line per invocation names the function, invocation ID, duration and outcome, and nothing else:
headers, bodies and inputs may hold secrets.
"""

from __future__ import annotations

import functools
import logging
import time
import uuid
from collections.abc import Callable

from local.devhost.app_loader import FunctionSpec, LoadedApp
from local.devhost.engine_api import FunctionMaps
from local.devhost.rpc.function_rpc_pb2 import InvocationResponse, ParameterBinding, RpcHttp, TypedData
from local.devhost.worker_process import WorkerError, WorkerProcess, failure_of

log = logging.getLogger("devhost.functions")

ClientBindingFactory = Callable[[], str]
"""Builds the durable client binding JSON once the host knows its own URL."""


class FunctionFailedError(WorkerError):
    """The function raised (or its result could not be converted); the message is the worker's."""


class FunctionInvoker:
    """Sends invocations to the worker; any number may be in flight (the worker runs them concurrently)."""

    def __init__(self, worker: WorkerProcess, client_binding: ClientBindingFactory) -> None:
        self._worker = worker
        self._client_binding = client_binding

    async def invoke(self, spec: FunctionSpec, trigger: TypedData) -> TypedData | None:
        """Run the function once and log the outcome; its return value, or FunctionFailedError."""
        invocation_id = str(uuid.uuid4())
        inputs = [ParameterBinding(name=spec.trigger_param, data=trigger)]
        inputs += [
            ParameterBinding(name=name, data=TypedData(string=self._client_binding()))
            for name in spec.client_params
        ]
        started = time.perf_counter()
        outcome = "Failed"
        try:
            answer: InvocationResponse = await self._worker.invoke(
                spec.function_id, spec.name, inputs, invocation_id=invocation_id
            )
            error = failure_of(answer.result)
            if error is not None:
                raise FunctionFailedError(str(error), error.stack_trace)
            outcome = "Succeeded"
            return answer.return_value if answer.HasField("return_value") else None
        finally:
            log_invocation(spec.name, invocation_id, started, outcome)

    async def invoke_http(self, spec: FunctionSpec, request: RpcHttp) -> TypedData | None:
        return await self.invoke(spec, TypedData(http=request))

    async def invoke_orchestrator(self, spec: FunctionSpec, context_json: str) -> str:
        """One orchestrator episode: the SDK's handle, inside the worker, answers with its actions JSON.

        An orchestrator that raised fails the invocation; its message carries the SDK's `$OutOfProcData$`
        state, which the engine reads."""
        answer = await self.invoke(spec, TypedData(string=context_json))
        return _json_text(answer)

    async def invoke_activity(self, spec: FunctionSpec, input_json: str | None) -> str:
        answer = await self.invoke(spec, TypedData(json=input_json if input_json is not None else "null"))
        return _json_text(answer)

    def function_maps(self, app: LoadedApp) -> FunctionMaps:
        """The engine's view of the app: orchestrator and activity invokers by durable name."""
        orchestrators = {
            name: functools.partial(self.invoke_orchestrator, spec)
            for name, spec in app.orchestrators.items()
        }
        activities = {
            name: functools.partial(self.invoke_activity, spec) for name, spec in app.activities.items()
        }
        return FunctionMaps(orchestrators=orchestrators, activities=activities)


def _json_text(answer: TypedData | None) -> str:
    """Orchestrator and activity results come back as JSON text; nothing returned is JSON null."""
    if answer is None:
        return "null"
    kind = answer.WhichOneof("data")
    if kind in ("json", "string"):
        return answer.json if kind == "json" else answer.string
    return "null" if kind is None else str(getattr(answer, kind))


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
