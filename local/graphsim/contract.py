"""The seam between graphsim's HTTP server and its Intune object model.

The server (TLS, Entra tokens, auth, throttling, faults, `$batch`, admin API, request log)
turns each Graph request, top-level or inside a `$batch`, into a `GraphRequest` and hands it
to the model, which owns the objects, their semantics, queries and validation.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Caller:
    """Who is calling: the token's tenant (`tid`), app (`appid`) and application permissions (`roles`)."""

    tenant_id: str
    app_id: str
    roles: frozenset[str]


@dataclass(frozen=True)
class GraphRequest:
    method: str
    """Upper-case HTTP method."""
    version: str
    """`beta` or `v1.0`."""
    path: str
    """The path after the version, starting with `/`, percent-decoded.

    E.g. `/deviceManagement/deviceConfigurations/{id}`.
    """
    query: Mapping[str, str]
    """Query parameters as sent (on beta the `$` of system query options is optional)."""
    body: Any
    """Parsed JSON body, or None."""
    headers: Mapping[str, str]
    caller: Caller
    base_url: str
    """Scheme, host and port the client used, e.g. `https://127.0.0.1:8443`, for `@odata.nextLink`."""
    request_id: str
    """The request-id the server answers with; errors carry it in `innerError`."""


@dataclass
class GraphResponse:
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


def graph_error(status: int, code: str, message: str, request: GraphRequest | None = None) -> GraphResponse:
    """An error in Graph's shape: `{"error": {"code", "message", "innerError": {...}}}`."""
    inner: dict[str, Any] = {"date": _utc_now()}
    if request is not None:
        inner["request-id"] = request.request_id
        inner["client-request-id"] = request.headers.get("client-request-id", request.request_id)
    return GraphResponse(status, {"error": {"code": code, "message": message, "innerError": inner}})


def _utc_now() -> str:
    from datetime import UTC, datetime

    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S")
