"""With host.json's route prefix empty (the console is served at `/`), every API route carries `api/` in its
own template, and only the console's function answers other paths. A route added without `api/` fails here
with its name, before it ships at the wrong URL."""

from __future__ import annotations

import importlib
import json
import pkgutil
from pathlib import Path
from typing import Any

from azure.functions.decorators.function_app import FunctionBuilder

import triggers

REPO_ROOT = Path(__file__).resolve().parents[2]


def _http_routes() -> dict[str, str]:
    """Function name -> route of every HTTP function of the triggers modules (where every route lives),
    from their builders: the app's own `get_functions()` refuses to run twice in a process."""
    routes: dict[str, str] = {}
    for module_info in pkgutil.iter_modules(triggers.__path__):
        module = importlib.import_module(f"triggers.{module_info.name}")
        for builder in vars(module).values():
            if isinstance(builder, FunctionBuilder) and (function := builder.build()).is_http_function():
                trigger: Any = function.get_trigger()
                routes[str(function.get_function_name())] = trigger.route
    return routes


def test_the_host_adds_no_prefix_so_the_console_can_answer_at_the_root() -> None:
    host = json.loads((REPO_ROOT / "host.json").read_text(encoding="utf-8"))
    assert host["extensions"]["http"]["routePrefix"] == ""


def test_every_route_but_the_console_page_is_under_api() -> None:
    routes = _http_routes()
    assert routes.pop("console_page") == "{*path}"
    outside = {name: route for name, route in routes.items() if not route.startswith("api/")}
    assert outside == {}, f"prefix these routes with api/: {outside}"
    assert routes["console_dev_token"] == "api/console/dev-token"
    assert {"api/health", "api/tenants", "api/tenants/{tenantId}/runs/{runId}/status"} <= set(routes.values())
