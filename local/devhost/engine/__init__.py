"""The devhost's durable engine (see `engine_api` for the seam the host calls).

`create_engine(functions, settings)` builds an `Engine`, which implements `engine_api.DurableEngine` and
adds `wait_for_completion(instance_id, timeout)` for tests and the demo.

Layout: `history` (events as the extension writes them), `actions` (the SDK's answer and its numbering),
`episode` (one replay, no I/O), `model` (an instance in memory, ID rules), `store` (Azurite), `work`
(activity pool, timers), `shared_work` (activities shared by the devhosts of a hub through queues),
`queries` (status, query, purge), `engine` (the orchestration of all that).
"""

from __future__ import annotations

from local.devhost.engine.engine import Engine
from local.devhost.engine_api import EngineSettings, FunctionMaps


def create_engine(functions: FunctionMaps, settings: EngineSettings) -> Engine:
    """The `engine_api.EngineFactory` the host uses."""
    return Engine(
        settings.storage_connection_string, settings.hub_name, functions,
        max_concurrent_activities=settings.max_concurrent_activities,
        max_concurrent_orchestrations=settings.max_concurrent_orchestrations,
        overridable_states=settings.overridable_existing_instance_states,
        shared_activities=settings.shared_activities,
    )


__all__ = ["Engine", "create_engine"]
