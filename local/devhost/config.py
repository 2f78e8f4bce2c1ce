"""Everything the devhost reads from the command line, host.json, local.settings.json and the environment.

Configuration is read here and nowhere else, so the rest of the host takes plain values.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DEFAULT_HUB_NAME = "TestHubName"
DEVELOPMENT_STORAGE = "UseDevelopmentStorage=true"
STORAGE_SETTING = "AzureWebJobsStorage"


class ConfigError(Exception):
    """host.json or local.settings.json cannot be used; the message names the file and the fix."""


@dataclass(frozen=True)
class HostOptions:
    """What the command line chooses."""

    app_dir: Path
    app_module: str = "function_app"
    host: str = "127.0.0.1"
    port: int = 7071
    state_dir: Path = Path(".state/devhost")
    timers_enabled: bool = True
    settings_file: Path | None = None
    """Defaults to `local.settings.json` in the app folder; a missing file means no settings."""
    shared_activities: bool = False
    """Run activities of every devhost on this hub, as instances of one app share them on Azure."""


@dataclass(frozen=True)
class DurableOptions:
    """`extensions.durableTask` of host.json, with the defaults of the Durable extension."""

    hub_name: str = DEFAULT_HUB_NAME
    max_concurrent_activities: int = 10
    max_concurrent_orchestrations: int = 5
    overridable_existing_instance_states: str = "NonRunningStates"


@dataclass(frozen=True)
class HostJson:
    route_prefix: str
    durable: DurableOptions


@dataclass(frozen=True)
class HostConfig:
    options: HostOptions
    host_json: HostJson
    settings: dict[str, str]
    """The `Values` of local.settings.json, already applied to the environment."""
    storage_connection: str


def read_host_json(app_dir: Path) -> HostJson:
    """Route prefix and durableTask settings; a missing host.json gets the Functions defaults."""
    path = app_dir / "host.json"
    data = _read_json(path) if path.exists() else {}
    extensions = data.get("extensions", {})
    prefix = extensions.get("http", {}).get("routePrefix", "api")
    task = extensions.get("durableTask", {})
    states = task.get("overridableExistingInstanceStates", "NonRunningStates")
    if states not in ("NonRunningStates", "AnyState"):
        raise ConfigError(f"{path}: overridableExistingInstanceStates must be NonRunningStates or AnyState")
    durable = DurableOptions(
        hub_name=task.get("hubName", DEFAULT_HUB_NAME),
        max_concurrent_activities=int(task.get("maxConcurrentActivityFunctions", 10)),
        max_concurrent_orchestrations=int(task.get("maxConcurrentOrchestratorFunctions", 5)),
        overridable_existing_instance_states=states,
    )
    return HostJson(route_prefix=str(prefix).strip("/"), durable=durable)


def read_settings(path: Path) -> dict[str, str]:
    """The `Values` of local.settings.json as strings, as the Functions host passes them to the worker."""
    if not path.exists():
        return {}
    values = _read_json(path).get("Values", {})
    if not isinstance(values, dict):
        raise ConfigError(f"{path}: `Values` must be an object of setting names to values")
    return {str(name): str(value) for name, value in values.items()}


def load_config(options: HostOptions) -> HostConfig:
    """Read host.json and the settings, and put the settings into the environment before the app is imported.

    Variables already set in the environment win, as with Core Tools.
    """
    host_json = read_host_json(options.app_dir)
    settings_path = options.settings_file or options.app_dir / "local.settings.json"
    settings = read_settings(settings_path)
    for name, value in settings.items():
        os.environ.setdefault(name, value)
    storage = os.environ.get(STORAGE_SETTING, "")
    if not storage:
        raise ConfigError(
            f"{STORAGE_SETTING} is not set: add it to `Values` in {settings_path} "
            f"(`{DEVELOPMENT_STORAGE}` starts a local Azurite) or export it."
        )
    return HostConfig(options, host_json, settings, storage)


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except json.JSONDecodeError as error:
        raise ConfigError(f"{path} is not valid JSON: {error}") from error
    if not isinstance(data, dict):
        raise ConfigError(f"{path} must hold a JSON object")
    return data
