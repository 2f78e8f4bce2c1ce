"""The host's admin API, master key only, as the Functions host has it:

- `GET /admin/functions`: every function the worker indexed, with its bindings (`config.bindings`,
  function.json form) and, for an HTTP trigger, `invoke_url_template`; tools (and the API fuzz test)
  read the app's routes from here rather than from a list of their own.
- `POST /admin/functions/{name}`: run a non-HTTP function now, as Core Tools does. Takes a JSON body
  `{"input": ...}`; answers 202 at once and runs the function in the background. A timer gets a
  TimerRequest, an activity the input, an orchestrator a new instance.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Coroutine
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from local.devhost.app_loader import ACTIVITY, HTTP, ORCHESTRATION, TIMER, LoadedApp
from local.devhost.engine_api import DurableEngine
from local.devhost.invocation import FunctionInvoker
from local.devhost.keys import HostKeys, is_authorized
from local.devhost.timers import timer_request

log = logging.getLogger("devhost.admin")


class AdminApi:
    def __init__(
        self,
        app: LoadedApp,
        invoker: FunctionInvoker,
        engine: DurableEngine | None,
        keys: HostKeys,
        route_prefix: str = "api",
    ) -> None:
        self._app = app
        self._route_prefix = route_prefix
        self._invoker = invoker
        self._engine = engine
        self._keys = keys
        self._running: set[asyncio.Task[Any]] = set()

    def routes(self) -> list[web.RouteDef]:
        return [
            web.get("/admin/functions", self.list_functions),
            web.post("/admin/functions/{name}", self.run_function),
        ]

    async def list_functions(self, request: web.Request) -> web.StreamResponse:
        if not is_authorized(request, "admin", self._keys):
            return web.Response(status=401, text="the admin API needs the master key in x-functions-key")
        base = "/".join(part for part in (str(request.url.origin()), self._route_prefix) if part)
        listed = []
        for spec in self._app.functions.values():
            entry: dict[str, Any] = {
                "name": spec.name,
                "language": "python",
                "isDisabled": False,
                "config": {"bindings": list(spec.bindings)},
            }
            if spec.trigger_type == HTTP:
                entry["invoke_url_template"] = f"{base}/{spec.trigger['route']}"
            listed.append(entry)
        return web.json_response(listed)

    async def run_function(self, request: web.Request) -> web.StreamResponse:
        if not is_authorized(request, "admin", self._keys):
            return web.Response(status=401, text="the admin API needs the master key in x-functions-key")
        spec = self._app.functions.get(request.match_info["name"])
        if spec is None:
            return web.Response(status=404)
        if spec.trigger_type == HTTP:
            return web.Response(status=400, text=f"{spec.name} is an HTTP function; call it on its route")
        raw = await request.text()
        try:
            body = json.loads(raw) if raw.strip() else {}
        except json.JSONDecodeError:
            return web.Response(status=400, text='the body must be JSON: {"input": ...}')
        value = body.get("input") if isinstance(body, dict) else None
        if spec.trigger_type == TIMER:
            job: Coroutine[Any, Any, Any] = self._invoker.invoke(spec, timer_request(None, datetime.now(UTC)))
        elif spec.trigger_type == ACTIVITY:
            job = self._invoker.invoke_activity(spec, json.dumps(value))
        else:
            assert spec.trigger_type == ORCHESTRATION and self._engine is not None
            job = self._engine.start_new(
                spec.durable_name, None, json.dumps(value) if value is not None else None
            )
        task = asyncio.create_task(_logged(spec.name, job))
        self._running.add(task)
        task.add_done_callback(self._running.discard)
        return web.Response(status=202)


async def _logged(name: str, job: Coroutine[Any, Any, Any]) -> None:
    """Outcomes are logged by the invoker; this keeps a failing background run from going unnoticed."""
    try:
        await job
    except Exception:
        log.exception("Admin run of %s failed", name)
