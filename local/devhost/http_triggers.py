"""Serve the app's HTTP triggers: route matching, auth levels, and conversion between aiohttp and the
protocol's RpcHttp, which the worker turns into `func.HttpRequest` and back from `func.HttpResponse`.

A function that raises answers 500 with an empty body; the worker's message and stack go to the log only.
"""

from __future__ import annotations

import logging

from aiohttp import web

from local.devhost.app_loader import HttpRoute
from local.devhost.invocation import FunctionFailedError, FunctionInvoker
from local.devhost.keys import HostKeys, is_authorized
from local.devhost.rpc.function_rpc_pb2 import RpcHttp, TypedData

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
        try:
            rpc_request = await to_rpc_http(request, params)
        except ValueError:  # yarl cannot build the URL: a Host header that names no host and port
            return web.Response(status=400, text="Bad Request: invalid Host header")
        try:
            answer = await self._invoker.invoke_http(route.spec, rpc_request)
        except FunctionFailedError as error:
            log.error("Function %s raised; answering 500: %s\n%s", route.spec.name, error, error.stack_trace)
            return web.Response(status=500)
        return to_aiohttp_response(answer)


async def to_rpc_http(request: web.Request, route_params: dict[str, str]) -> RpcHttp:
    """What the host sends: repeated headers joined with ", ", the first value of each query parameter,
    the route values as `params`, and the body as bytes (the worker declared RawHttpBodyBytes)."""
    headers = {name: ", ".join(request.headers.getall(name)) for name in request.headers}
    return RpcHttp(
        method=request.method.upper(),
        url=str(request.url),
        headers={header_text(name): header_text(value) for name, value in headers.items()},
        params=route_params,
        query={name: request.query[name] for name in request.query},
        body=TypedData(bytes=await request.read()),
    )


def header_text(text: str) -> str:
    """Header bytes that are not UTF-8 (aiohttp keeps them as surrogate escapes, which the protocol's
    strings cannot carry) reach the worker widened byte by byte, as Kestrel's Latin-1 header decoding
    does; Kestrel's default refuses such a request with 400 instead. Either way the app sees text."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", "surrogateescape").decode("latin-1")
    return text


def to_aiohttp_response(answer: TypedData | None) -> web.Response:
    """An HttpResponse comes back as RpcHttp with its status, headers and body; a returned string is a 200
    text answer; nothing returned is 204."""
    kind = answer.WhichOneof("data") if answer is not None else None
    if answer is None or kind is None:
        return web.Response(status=204)
    if kind != "http":
        return web.Response(status=200, body=_bytes_of(answer), content_type="text/plain")
    http = answer.http
    status = int(http.status_code or 200)
    return web.Response(status=status, headers=dict(http.headers), body=_bytes_of(http.body))


def _bytes_of(data: TypedData) -> bytes:
    kind = data.WhichOneof("data")
    if kind is None:
        return b""
    if kind in ("bytes", "stream"):
        return bytes(getattr(data, kind))
    return str(getattr(data, kind)).encode()
