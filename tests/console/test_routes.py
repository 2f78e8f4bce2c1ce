"""With host.json's route prefix empty (the console is served at `/`), every API route carries `api/` in its
own template, and only the console's function answers other paths. A route added without `api/` fails here
with its name, before it ships at the wrong URL."""

from __future__ import annotations

import json
from pathlib import Path

import function_app

REPO_ROOT = Path(__file__).resolve().parents[2]


def _http_routes() -> dict[str, str]:
    routes = {}
    for function in function_app.app.get_functions():
        trigger = function.get_trigger()
        if trigger.get_binding_name() == "httpTrigger":
            routes[function.get_function_name()] = trigger.route
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
