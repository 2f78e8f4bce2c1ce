"""Group the app's functions as the host serves them, from the metadata the worker indexed.

The worker (`azure_functions_runtime`) imports the app and answers FunctionsMetadataRequest with one
RpcFunctionMetadata per function; each carries its bindings in their function.json form (`raw_bindings`),
which is what the Functions host reads, so the devhost reads the same thing.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from local.devhost.routes import RouteTemplate
from local.devhost.rpc.function_rpc_pb2 import RpcFunctionMetadata

log = logging.getLogger("devhost.loader")

HTTP = "httpTrigger"
TIMER = "timerTrigger"
ORCHESTRATION = "orchestrationTrigger"
ACTIVITY = "activityTrigger"
DURABLE_CLIENT = "durableClient"
SUPPORTED_TRIGGERS = (HTTP, TIMER, ORCHESTRATION, ACTIVITY)


class AppLoadError(Exception):
    """The worker cannot index or load the app; the message is the worker's own."""


@dataclass(frozen=True)
class FunctionSpec:
    """One indexed function: its name, the ID the worker gave it, its trigger and its other bindings."""

    name: str
    function_id: str
    trigger: dict[str, Any]
    bindings: tuple[dict[str, Any], ...]

    @property
    def trigger_type(self) -> str:
        return str(self.trigger["type"])

    @property
    def trigger_param(self) -> str:
        return str(self.trigger["name"])

    @property
    def client_params(self) -> tuple[str, ...]:
        return tuple(b["name"] for b in self.bindings if b["type"] == DURABLE_CLIENT)

    @property
    def durable_name(self) -> str:
        """Orchestrations and activities may be renamed in their trigger; else the function name counts."""
        return str(self.trigger.get("orchestration") or self.trigger.get("activity") or self.name)


@dataclass(frozen=True)
class HttpRoute:
    spec: FunctionSpec
    template: RouteTemplate
    methods: frozenset[str]
    """Empty means every method."""
    auth_level: str


@dataclass
class LoadedApp:
    """The indexed app, grouped the way the host serves it."""

    functions: dict[str, FunctionSpec] = field(default_factory=dict)
    http_routes: list[HttpRoute] = field(default_factory=list)
    timers: list[FunctionSpec] = field(default_factory=list)
    orchestrators: dict[str, FunctionSpec] = field(default_factory=dict)
    activities: dict[str, FunctionSpec] = field(default_factory=dict)

    @property
    def uses_durable(self) -> bool:
        """Orchestrators, activities or a durable client: the app needs the durable engine."""
        return bool(
            self.orchestrators or self.activities or any(s.client_params for s in self.functions.values())
        )


def index_app(functions: Iterable[RpcFunctionMetadata]) -> LoadedApp:
    """Group the worker's functions by trigger; functions the devhost cannot run are logged and left out."""
    loaded = LoadedApp()
    for function in functions:
        bindings = tuple(json.loads(raw) for raw in function.raw_bindings)
        trigger = next(b for b in bindings if b["type"].endswith("Trigger"))
        spec = FunctionSpec(function.name, function.function_id, trigger, bindings)
        unsupported = [b["type"] for b in bindings if not _is_supported(b)]
        if spec.trigger_type not in SUPPORTED_TRIGGERS or unsupported:
            log.warning(
                "Function %s is not served: the devhost runs %s triggers with durableClient inputs "
                "and HTTP outputs, not %s.",
                spec.name,
                ", ".join(SUPPORTED_TRIGGERS),
                ", ".join(unsupported or [spec.trigger_type]),
            )
            continue
        loaded.functions[spec.name] = spec
        _group(loaded, spec)
    loaded.http_routes.sort(key=lambda route: route.template.precedence)
    return loaded


def _is_supported(binding: dict[str, Any]) -> bool:
    return binding["type"] in (*SUPPORTED_TRIGGERS, DURABLE_CLIENT) or (
        binding["type"] == "http" and binding.get("direction", "").upper() == "OUT"
    )


def _group(loaded: LoadedApp, spec: FunctionSpec) -> None:
    if spec.trigger_type == HTTP:
        methods = frozenset(str(m).upper() for m in spec.trigger.get("methods") or [])
        level = str(spec.trigger.get("authLevel", "FUNCTION"))
        loaded.http_routes.append(HttpRoute(spec, RouteTemplate(spec.trigger["route"]), methods, level))
    elif spec.trigger_type == TIMER:
        loaded.timers.append(spec)
    elif spec.trigger_type == ORCHESTRATION:
        loaded.orchestrators[spec.durable_name] = spec
    else:
        loaded.activities[spec.durable_name] = spec
