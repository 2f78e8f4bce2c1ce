"""`@operation(...)`: what a route answers, declared where the route is.

A route wears it below `@bp.route` (and below `@bp.durable_client_input`), above its gate:

    @bp.route(route="tenants/{tenantId}/backups", methods=["POST"])
    @bp.durable_client_input(client_name="client")
    @operation("Back up a tenant", response=RunAccepted, status=202, long_running=True, problems=STARTS)
    @tenant_route(Role.OPERATOR, action=RUN_TYPE)
    async def start_backup(...): ...

The route template and methods come from `@bp.route` itself, the role from the gate, the description
from the handler's docstring, and the operation ID from its name (`start_backup` -> `startBackup`); the
declaration adds only what no other line says: the bodies, the query parameters, the problem codes a
caller can meet beyond those every gated route has. The decorator returns the handler unchanged.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel

from shared.api.params import Param
from shared.auth.gate import ROUTE_GATE, RouteGate
from shared.http.problems import ProblemError
from shared.jobs.capture_snapshot import TenantDisabled
from shared.runs.errors import RunContention
from shared.tenants import TenantNotFound

JSON = "application/json"
OPERATION = "api_operation"
"""The attribute a described handler carries its `Operation` under."""

LOCATION = "Location"
RETRY_AFTER = "Retry-After"
POLLING_HEADERS: Mapping[str, str] = {
    LOCATION: "The run's status URL: poll it with GET.",
    RETRY_AFTER: "Seconds to wait before the next poll.",
}

STARTS: tuple[type[ProblemError], ...] = (TenantNotFound, TenantDisabled, RunContention)
"""What every route that starts a run can answer beyond its gate: the tenant is not registered or is
disabled, or too many requests raced for the same run."""

Visibility = Literal["important", "advanced", "internal"]
Body = type[BaseModel] | Any
"""A model, or an annotated union of models (a discriminated union)."""


@dataclass(frozen=True)
class Answer:
    """A successful answer: its status, body model (None: no body) and headers (name -> meaning)."""

    status: int
    model: type[BaseModel] | None
    description: str
    headers: Mapping[str, str] = field(default_factory=dict)
    media_type: str = JSON
    """Another type (`text/html` for a page) with no model is described as a string body."""


@dataclass(frozen=True)
class Operation:
    """Everything the document says about one route and method, but its path."""

    summary: str
    answers: tuple[Answer, ...]
    body: Body | None = None
    query: tuple[Param, ...] = ()
    headers: tuple[Param, ...] = ()
    problems: tuple[type[ProblemError], ...] = ()
    anonymous: bool = False
    long_running: bool = False
    visibility: Visibility = "important"
    tag: str = ""
    name: str = ""
    description: str = ""


class UndescribedRoute(LookupError):
    """An HTTP function without `@operation(...)`, or a declaration that contradicts its gate."""


def operation(
    summary: str,
    *,
    response: type[BaseModel] | None = None,
    status: int = 200,
    response_headers: Mapping[str, str] | None = None,
    media_type: str = JSON,
    also: Iterable[Answer] = (),
    body: Body | None = None,
    query: Iterable[Param] = (),
    headers: Iterable[Param] = (),
    problems: Iterable[type[ProblemError]] = (),
    anonymous: bool = False,
    long_running: bool = False,
    visibility: Visibility = "important",
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Describe the handler below: `summary` is the line people see (a connector's action name);
    `response`/`status` the main answer; `also` other successful answers; `long_running` a start that
    answers 202 with `Location` and `Retry-After` to poll; `media_type` a main answer that is no JSON (a
    page: `text/html`). `anonymous` is for the routes without a gate."""
    main_headers = dict(response_headers or {})
    if long_running:
        main_headers = {**POLLING_HEADERS, **main_headers}

    def describe(handler: Callable[..., Any]) -> Callable[..., Any]:
        if not callable(handler) or not hasattr(handler, "__name__"):
            raise TypeError(
                "@operation(...) goes below @bp.route and @bp.durable_client_input, on the handler itself."
            )
        doc = inspect.getdoc(handler) or ""
        vars(handler)[OPERATION] = Operation(
            summary=summary,
            answers=(Answer(status, response, _meaning(status, summary), main_headers, media_type), *also),
            body=body,
            query=tuple(query),
            headers=tuple(headers),
            problems=tuple(problems),
            anonymous=anonymous,
            long_running=long_running,
            visibility=visibility,
            tag=handler.__module__.rsplit(".", 1)[-1],
            name=handler.__name__,
            description=doc,
        )
        return handler

    return describe


def _meaning(status: int, summary: str) -> str:
    if status == 202:
        return "Accepted: the run. Poll `Location` until it stops answering 202, `Retry-After` apart."
    return summary


def operation_of(handler: Callable[..., Any]) -> Operation | None:
    """The declaration of a registered handler, through the wrappers the SDK and the gate put around it."""
    found = _find(handler, OPERATION)
    return found if isinstance(found, Operation) else None


def gate_of(handler: Callable[..., Any]) -> RouteGate | None:
    found = _find(handler, ROUTE_GATE)
    return found if isinstance(found, RouteGate) else None


def _find(handler: Callable[..., Any], attribute: str) -> Any:
    current: Any = handler
    while current is not None:
        found = vars(current).get(attribute) if hasattr(current, "__dict__") else None
        if found is not None:
            return found
        current = getattr(current, "__wrapped__", None)
    return None


def operation_id(name: str) -> str:
    """`start_backup` -> `startBackup`: the handler's name, as connectors and clients call it."""
    head, *rest = name.split("_")
    return head + "".join(part.capitalize() for part in rest)
