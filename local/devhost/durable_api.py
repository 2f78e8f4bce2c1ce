"""The Durable Functions HTTP API the real `DurableOrchestrationClient` calls, and the status URLs that
`create_check_status_response` hands to callers (Logic Apps, Power Automate, the portal).

Answer codes follow the extension (HttpApiHandler): start 202 (400 for an unknown orchestrator or a bad
ID, 500 with `ExceptionMessage` for a protected duplicate); status 202 while running, 200 when done, 200
or 500 for Failed, 404 unknown; raise event 202/404/410; terminate 202/404/410; purge 200/404.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from local.devhost.durable_urls import RPC_PATH, WEBHOOK_PATH, DurableUrls
from local.devhost.engine_api import (
    DurableEngine,
    InstanceExistsError,
    InstanceNotFoundError,
    InstanceNotRunningError,
    InvalidInstanceIdError,
    UnknownFunctionError,
)
from local.devhost.keys import HostKeys, is_durable_caller

log = logging.getLogger("devhost.durable")

RUNNING_STATES = ("Pending", "Running", "ContinuedAsNew", "Suspended")
RETRY_AFTER_SECONDS = "10"
"""What the extension sends; Logic Apps wait this long between polls."""

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _flag(request: web.Request, name: str, default: bool) -> bool:
    value = request.query.get(name)
    return default if value is None else value.lower() == "true"


def _error(
    status: int, message: str, exception_type: str = "System.InvalidOperationException"
) -> web.Response:
    """The extension's error body; the Python client raises its `ExceptionMessage`."""
    body = {
        "Message": "Something went wrong while processing your request",
        "ExceptionMessage": message,
        "ExceptionType": exception_type,
    }
    return web.json_response(body, status=status)


async def _json_text_body(request: web.Request) -> str | None:
    """The payload as JSON text. The Python client sends JSON text encoded again as a JSON string; other
    callers send plain JSON, which is taken as it is."""
    raw = await request.text()
    if not raw.strip():
        return None
    try:
        value = json.loads(raw)
    except json.JSONDecodeError as error:
        raise web.HTTPBadRequest(text="the request body must be JSON") from error
    if isinstance(value, str):
        try:
            json.loads(value)
        except json.JSONDecodeError:
            return json.dumps(value)
        return value
    return raw


async def _answer_errors(handler: Handler, request: web.Request) -> web.StreamResponse:
    """An engine failure is a 500 in the extension's JSON shape, which the client can read; it is logged."""
    try:
        return await handler(request)
    except web.HTTPException:
        raise
    except Exception as error:
        log.exception("Durable API %s %s failed", request.method, request.path)
        return _error(500, f"The devhost's durable engine failed: {type(error).__name__}")


class DurableApi:
    """Handlers over the engine; `routes` registers them on both the webhook and the RPC surface."""

    def __init__(self, engine: DurableEngine, urls: DurableUrls, keys: HostKeys) -> None:
        self._engine = engine
        self._urls = urls
        self._keys = keys

    def routes(self) -> list[web.RouteDef]:
        table: list[tuple[str, str, Handler]] = [
            ("POST", "/orchestrators/{name}", self.start_new),
            ("POST", "/orchestrators/{name}/{instance_id}", self.start_new),
            ("GET", "/instances", self.query),
            ("GET", "/instances/", self.query),
            ("GET", "/instances/{instance_id}", self.status),
            ("DELETE", "/instances/{instance_id}", self.purge),
            ("POST", "/instances/{instance_id}/raiseEvent/{event_name}", self.raise_event),
            ("POST", "/instances/{instance_id}/terminate", self.terminate),
            ("POST", "/instances/{instance_id}/{operation}", self.not_supported),
        ]
        routes = []
        for prefix, guard in ((WEBHOOK_PATH, self._require_system_key), (RPC_PATH, self._require_loopback)):
            routes += [web.route(method, prefix + path, guard(handler)) for method, path, handler in table]
        return routes

    def _require_system_key(self, handler: Handler) -> Handler:
        async def guarded(request: web.Request) -> web.StreamResponse:
            if not is_durable_caller(request, self._keys):
                return web.Response(
                    status=401, text="the durable webhooks need `code=<durabletask_extension key>`"
                )
            return await _answer_errors(handler, request)

        return guarded

    @staticmethod
    def _require_loopback(handler: Handler) -> Handler:
        async def guarded(request: web.Request) -> web.StreamResponse:
            if request.remote not in ("127.0.0.1", "::1"):
                return web.Response(status=403, text="the durable RPC endpoint answers only local callers")
            return await _answer_errors(handler, request)

        return guarded

    async def start_new(self, request: web.Request) -> web.StreamResponse:
        name = request.match_info["name"]
        try:
            instance_id = await self._engine.start_new(
                name, request.match_info.get("instance_id"), await _json_text_body(request)
            )
        except UnknownFunctionError:
            return _error(
                400,
                f"The function '{name}' doesn't exist, is disabled, or is not an orchestrator "
                "function. Additional info: no orchestrator of that name is registered.",
                "System.ArgumentException",
            )
        except InvalidInstanceIdError as error:
            return _error(400, str(error) or "The instance ID is not valid.", "System.ArgumentException")
        except InstanceExistsError as error:
            return _error(
                500, str(error) or "An Orchestration instance with the status Running already exists."
            )
        payload = self._management_payload(request, instance_id)
        return web.json_response(
            payload,
            status=202,
            headers={
                "Location": payload["statusQueryGetUri"],
                "Retry-After": RETRY_AFTER_SECONDS,
            },
        )

    def _management_payload(self, request: web.Request, instance_id: str) -> dict[str, str]:
        """The management URLs, on the origin the caller used."""
        origin = f"{request.scheme}://{request.host}"
        return {
            key: url.replace(self._urls.base_url, origin, 1)
            for key, url in self._urls.management_urls(instance_id).items()
        }

    async def status(self, request: web.Request) -> web.StreamResponse:
        status = await self._engine.get_status(
            request.match_info["instance_id"],
            show_history=_flag(request, "showHistory", False),
            show_history_output=_flag(request, "showHistoryOutput", False),
            show_input=_flag(request, "showInput", True),
        )
        if status is None:
            return web.Response(status=404)
        runtime_status = status.get("runtimeStatus")
        if runtime_status in RUNNING_STATES:
            return web.json_response(
                status,
                status=202,
                headers={
                    "Location": str(request.url),
                    "Retry-After": RETRY_AFTER_SECONDS,
                },
            )
        if runtime_status == "Failed" and _flag(request, "returnInternalServerErrorOnFailure", False):
            return web.json_response(status, status=500)
        return web.json_response(status, status=200)

    async def query(self, request: web.Request) -> web.StreamResponse:
        statuses = request.query.get("runtimeStatus")
        found = await self._engine.query(
            created_from=request.query.get("createdTimeFrom"),
            created_to=request.query.get("createdTimeTo"),
            runtime_status=statuses.split(",") if statuses else None,
            instance_id_prefix=request.query.get("instanceIdPrefix"),
        )
        return web.json_response(found)

    async def raise_event(self, request: web.Request) -> web.StreamResponse:
        try:
            await self._engine.raise_event(
                request.match_info["instance_id"],
                request.match_info["event_name"],
                await _json_text_body(request),
            )
        except InstanceNotFoundError:
            return web.Response(status=404)
        except InstanceNotRunningError:
            return web.Response(status=410)
        return web.Response(status=202)

    async def terminate(self, request: web.Request) -> web.StreamResponse:
        try:
            await self._engine.terminate(request.match_info["instance_id"], request.query.get("reason"))
        except InstanceNotFoundError:
            return web.Response(status=404)
        except InstanceNotRunningError:
            return web.Response(status=410)
        return web.Response(status=202)

    async def purge(self, request: web.Request) -> web.StreamResponse:
        try:
            deleted = await self._engine.purge(request.match_info["instance_id"])
        except InstanceNotFoundError:
            deleted = 0
        if deleted == 0:
            return web.Response(status=404)
        return web.json_response({"instancesDeleted": deleted})

    async def not_supported(self, request: web.Request) -> web.StreamResponse:
        operation: Any = request.match_info["operation"]
        return _error(
            501,
            f"The devhost does not support `{operation}` (rewind, restart, suspend, resume).",
            "System.NotSupportedException",
        )
