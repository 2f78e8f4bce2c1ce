"""The seam between the devhost's host (HTTP, app loading, timers) and its durable engine.

The host builds the function maps from the loaded app and calls the engine through this API;
the engine persists instances in Azurite and drives orchestrations through the
azure-functions-durable SDK's own orchestrator handle.

The engine (`local.devhost.engine.create_engine`) adds, beyond `DurableEngine`:
`Engine.wait_for_completion(instance_id, timeout)` for tests and the demo. Payloads in status dicts are
JSON values; an OrchestratorInvoker raises what the SDK raises (the engine reads `$OutOfProcData$`);
an ActivityInvoker may also be a plain sync callable (the engine runs it on a thread). Per-invocation
log lines stay with the host's invokers. Not run: suspend/resume, rewind, entities, call_http.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

OrchestratorInvoker = Callable[[str], Awaitable[str]] | Callable[[str], str]
"""Takes the orchestration context JSON the host sends; returns the SDK's JSON answer (`isDone`,
`actions`, ...). The host's invoker is async (it asks the worker); a plain sync one runs on a thread."""

ActivityInvoker = Callable[[str], Awaitable[str]]
"""Takes the activity input as JSON text, returns the result as JSON text; raises if the activity failed
(an exception with a `stack_trace` attribute gives the history event its Details)."""


class EngineError(Exception):
    """Base of the engine's errors; the host maps each to an HTTP answer."""


class InstanceExistsError(EngineError):
    """Start of an instance ID that exists in a state `overridableExistingInstanceStates` protects."""


class InvalidInstanceIdError(EngineError):
    """Instance ID with a leading `@`, one of `/ \\ ? #`, control characters, or over 256 characters."""


class UnknownFunctionError(EngineError):
    """No orchestrator with that name is registered."""


class InstanceNotFoundError(EngineError):
    pass


class InstanceNotRunningError(EngineError):
    """The instance has ended (raise_event answers 410 Gone)."""


@dataclass(frozen=True)
class FunctionMaps:
    orchestrators: Mapping[str, OrchestratorInvoker]
    activities: Mapping[str, ActivityInvoker]


class DurableEngine(Protocol):
    async def start(self) -> None:
        """Open storage and resume every unfinished instance, timer and pending work item."""

    async def stop(self) -> None: ...

    async def start_new(self, name: str, instance_id: str | None, input_json: str | None) -> str:
        """Create (or overwrite, per `overridableExistingInstanceStates`) and schedule an instance.

        Returns the instance ID."""

    async def get_status(
        self, instance_id: str, show_history: bool = False, show_history_output: bool = False,
        show_input: bool = True,
    ) -> dict[str, Any] | None:
        """The status JSON of the Durable HTTP API (`name`, `instanceId`, `runtimeStatus`, `input`,
        `customStatus`, `output`, `createdTime`, `lastUpdatedTime`, `historyEvents`), or None if unknown."""

    async def query(
        self, created_from: str | None = None, created_to: str | None = None,
        runtime_status: list[str] | None = None, instance_id_prefix: str | None = None,
    ) -> list[dict[str, Any]]: ...

    async def raise_event(self, instance_id: str, event_name: str, data_json: str | None) -> None: ...

    async def terminate(self, instance_id: str, reason: str | None) -> None: ...

    async def purge(self, instance_id: str) -> int: ...


@dataclass(frozen=True)
class EngineSettings:
    """What the host reads from host.json and the app settings and hands to the engine, in one place."""

    hub_name: str
    storage_connection_string: str
    max_concurrent_activities: int = 10
    max_concurrent_orchestrations: int = 5
    overridable_existing_instance_states: str = "NonRunningStates"
    """`NonRunningStates` (default) or `AnyState`, as in host.json `durableTask`."""
    shared_activities: bool = False
    """Activities go through a queue every devhost of the hub reads (`--shared-activities`)."""


EngineFactory = Callable[[FunctionMaps, EngineSettings], DurableEngine]
"""How the host builds the engine: `local.devhost.engine.create_engine(functions, settings)`."""
