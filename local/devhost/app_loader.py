"""Import the Function App module and index its functions, as the Python worker does with worker indexing.

The app's `FunctionApp` / `DFApp` is found among the module's globals; `get_functions()` gives each
function's bindings in their function.json form, which is what the Functions host reads, so the devhost
reads the same thing.
"""

from __future__ import annotations

import importlib
import inspect
import json
import logging
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from azure.functions import FunctionRegister

from local.devhost.routes import RouteTemplate

log = logging.getLogger("devhost.loader")

HTTP = "httpTrigger"
TIMER = "timerTrigger"
ORCHESTRATION = "orchestrationTrigger"
ACTIVITY = "activityTrigger"
DURABLE_CLIENT = "durableClient"
SUPPORTED_TRIGGERS = (HTTP, TIMER, ORCHESTRATION, ACTIVITY)


class AppLoadError(Exception):
    """The app module cannot be imported or indexed; the message says what to change."""


@dataclass(frozen=True)
class FunctionSpec:
    """One indexed function: its name, trigger, other bindings and the callable the worker would invoke."""

    name: str
    trigger: dict[str, Any]
    bindings: tuple[dict[str, Any], ...]
    func: Callable[..., Any]

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
    def is_async(self) -> bool:
        return inspect.iscoroutinefunction(self.func)

    @property
    def takes_context(self) -> bool:
        """The worker passes a `Context` to a parameter named `context` that no binding claims."""
        names = {b["name"] for b in self.bindings}
        return "context" not in names and "context" in inspect.signature(self.func).parameters

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


def import_app(app_dir: Path, module_name: str) -> FunctionRegister:
    """Import the module from app_dir (first on sys.path, as the worker does) and return its app object."""
    sys.path.insert(0, str(app_dir.resolve()))
    try:
        module = importlib.import_module(module_name)
    except ImportError as error:
        raise AppLoadError(f"cannot import `{module_name}` from {app_dir}: {error}") from error
    apps = [value for value in vars(module).values() if isinstance(value, FunctionRegister)]
    if len(apps) != 1:
        raise AppLoadError(
            f"`{module_name}` must define exactly one FunctionApp or DFApp at module level "
            f"(e.g. `app = df.DFApp()`); found {len(apps)}."
        )
    return apps[0]


def index_app(app: FunctionRegister) -> LoadedApp:
    """Group the app's functions by trigger; functions the devhost cannot run are logged and left out."""
    loaded = LoadedApp()
    try:
        functions = app.get_functions()
    except ValueError as error:
        raise AppLoadError(f"the app's functions cannot be indexed: {error}") from error
    for function in functions:
        bindings = tuple(json.loads(function.get_function_json())["bindings"])
        trigger = next(b for b in bindings if b["type"].endswith("Trigger"))
        spec = FunctionSpec(
            function.get_function_name() or "", trigger, bindings, function.get_user_function()
        )
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


def load_app(app_dir: Path, module_name: str) -> LoadedApp:
    return index_app(import_app(app_dir, module_name))
