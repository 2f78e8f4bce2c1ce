"""Serve the app's HTTP triggers: route matching, auth levels, and conversion between aiohttp and
`azure.functions.HttpRequest` / `HttpResponse` as the worker converts them.

A function that raises answers 500 with an empty body; the traceback goes to the log only.
"""

from __future__ import annotations

import logging
from typing import Any

import azure.functions as func
from aiohttp import web

from local.devhost.app_loader import HttpRoute
from local.devhost.invocation import FunctionInvoker
from local.devhost.keys import HostKeys, is_authorized

log = logging.getLogger("devhost.http")


class HttpTriggers:
    """The catch-all handler behind `/{routePrefix}/...`."""

    def __init__(
        self, routes: list[HttpRoute], route_prefix: str, invoker: FunctionInvoker, keys: HostKeys
    ) -> None:
        self._routes = routes
        self._prefix = f"/{route_prefix}" if route_prefix else ""
        self._invoker = invoker
        self._keys = keys

    def route(self) -> web.RouteDef:
        return web.route("*", self._prefix + "/{tail:.*}", self.handle)

    def _find(self, method: str, path: str) -> tuple[HttpRoute, dict[str, str]] | None:
        for route in self._routes:
            if route.methods and method not in route.methods:
                continue
            params = route.template.match(path)
            if params is not None:
                return route, params
        return None

    async def handle(self, request: web.Request) -> web.StreamResponse:
        found = self._find(request.method.upper(), request.match_info["tail"])
        if found is None:
            return web.Response(status=404)
        route, params = found
        if not is_authorized(request, route.auth_level, self._keys):
            return web.Response(status=401)
        http_request = await to_function_request(request, params)
        try:
            result = await self._invoker.invoke(route.spec, http_request)
        except Exception:
            log.exception("Function %s raised; answering 500", route.spec.name)
            return web.Response(status=500)
        return to_aiohttp_response(result)


async def to_function_request(request: web.Request, route_params: dict[str, str]) -> func.HttpRequest:
    headers = {name: ", ".join(request.headers.getall(name)) for name in request.headers}
    return func.HttpRequest(
        method=request.method.upper(),
        url=str(request.url),
        headers=headers,
        params={name: request.query[name] for name in request.query},
        route_params=route_params,
        body=await request.read(),
    )


def to_aiohttp_response(result: Any) -> web.Response:
    """HttpResponse keeps its status, headers and body; a string is a 200 text answer; None is 204."""
    if result is None:
        return web.Response(status=204)
    if isinstance(result, str):
        return web.Response(status=200, text=result, content_type="text/plain")
    if not isinstance(result, func.HttpResponse):
        log.error("An HTTP function returned %s; return func.HttpResponse or str", type(result).__name__)
        return web.Response(status=500)
    headers = dict(result.headers.items())
    if not any(name.lower() == "content-type" for name in headers):
        mimetype = result.mimetype or "text/plain"
        headers["Content-Type"] = (
            f"{mimetype}; charset={result.charset}" if mimetype.startswith("text/") else mimetype
        )
    return web.Response(status=result.status_code, headers=headers, body=result.get_body())
