"""Graph's HTTP surface: `/beta/...` and `/v1.0/...`, bearer-token auth, JSON in and out.

This is the hot path of every benchmark, so it does the minimum per request: a cached token
lookup, one JSON encode, no access log.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from aiohttp import web

from local.graphsim.batch import run_batch
from local.graphsim.contract import Caller, GraphRequest, GraphResponse, graph_error
from local.graphsim.requestlog import LogEntry, now
from local.graphsim.simulator import Simulator, new_request_id
from local.graphsim.tokens import InvalidToken

JSON_CONTENT_TYPE = (
    "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8"
)
_WWW_AUTHENTICATE = (
    'Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", '
    'client_id="00000003-0000-0000-c000-000000000000"'
)
_BAD_JSON = (
    "Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid "
    "JSON format."
)


class GraphHandler:
    """aiohttp handler for every method under `/{version}/...`."""

    def __init__(self, sim: Simulator) -> None:
        self.sim = sim

    async def __call__(self, request: web.Request) -> web.StreamResponse:
        version = request.match_info["version"]
        path = request.path[len(version) + 1 :] or "/"
        request_id = new_request_id()
        client_request_id = request.headers.get("client-request-id", request_id)
        caller = self._authenticate(request)
        if isinstance(caller, GraphResponse):
            return self._reply_unauthenticated(request, caller, request_id, client_request_id)
        body: Any = None
        if request.body_exists:
            raw = await request.read()
            if raw.strip():
                try:
                    body = json.loads(raw)
                except ValueError:
                    failure = graph_error(400, "BadRequest", _BAD_JSON)
                    return to_http(failure, request_id, client_request_id)
        graph_request = GraphRequest(
            method=request.method,
            version=version,
            path=path,
            query=request.query,
            body=body,
            headers=request.headers,
            caller=caller,
            base_url=f"https://{request.host}",
            request_id=request_id,
        )
        delay = self.sim.latency_seconds()
        if delay:
            await asyncio.sleep(delay)
        if path == "/$batch" and request.method == "POST":
            outcome = run_batch(self.sim, graph_request)
        else:
            outcome = self.sim.execute(graph_request, in_batch=False)
        if outcome.drop:
            return abort_connection(request)
        return to_http(outcome.response, request_id, client_request_id)

    def _authenticate(self, request: web.Request) -> Caller | GraphResponse:
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        if not token.strip() or scheme.lower() != "bearer":
            return _unauthorized("Access token is empty.")
        try:
            caller = self.sim.tokens.validate(token.strip(), f"https://{request.host}")
        except InvalidToken as exc:
            return _unauthorized(str(exc))
        if caller.tenant_id not in self.sim.directory.tenants:
            return _unauthorized("Access token validation failure. The tenant of the token does not exist.")
        return caller

    def _reply_unauthenticated(
        self, request: web.Request, failure: GraphResponse, request_id: str, client_request_id: str
    ) -> web.Response:
        inner = failure.body["error"]["innerError"]
        inner.update({"request-id": request_id, "client-request-id": client_request_id})
        self.sim.log.record(
            LogEntry(
                now(), "graph", None, None, request.method, request.path, 401, False, None, False, request_id
            )
        )
        return to_http(failure, request_id, client_request_id)


def to_http(response: GraphResponse, request_id: str, client_request_id: str) -> web.Response:
    headers = {"request-id": request_id, "client-request-id": client_request_id, **response.headers}
    if response.body is None:
        return web.Response(status=response.status, headers=headers)
    headers["Content-Type"] = JSON_CONTENT_TYPE
    return web.Response(status=response.status, body=encode_json(response.body), headers=headers)


def encode_json(body: Any) -> bytes:
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()


def _unauthorized(message: str) -> GraphResponse:
    failure = graph_error(401, "InvalidAuthenticationToken", message)
    failure.headers["WWW-Authenticate"] = _WWW_AUTHENTICATE
    return failure


def abort_connection(request: web.Request) -> web.Response:
    """Cut the TCP connection without a TLS close_notify or an HTTP answer.

    aiohttp then fails to write the returned response, takes it as a client disconnect and
    closes quietly; raising instead would make it log a 500.
    """
    transport = request.transport
    if transport is not None:
        transport.abort()
    return web.Response(status=204)
