"""The OpenAPI 3.1 document of the API, built from the app's HTTP functions and their declarations.

Paths and methods come from each function's HTTP trigger (what `@bp.route` registered, as the worker
indexes it); everything else from the handler's `@operation(...)`, its gate, the parameters of
`shared.api.params` and the models of `shared.api.models`. An HTTP function without a declaration, or
a path parameter without a description, is an `UndescribedRoute`: the document cannot leave a route out.

Problems are grouped by status; each status lists the `code`s a caller can meet there: those of the
gate (every bearer-token error; on tenant routes also a bad tenant ID and the 403s), of the parameters
(an unknown run, a bad page size, ...) and those the route declares.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import azure.functions as func
from pydantic import BaseModel, TypeAdapter
from pydantic.json_schema import JsonSchemaMode

from shared.api import models
from shared.api.operations import (
    JSON,
    Answer,
    Operation,
    UndescribedRoute,
    gate_of,
    operation_id,
    operation_of,
)
from shared.api.params import PATH_PARAMS, Param
from shared.auth.errors import AuthError, Forbidden, PlatformAdminRequired
from shared.auth.gate import RouteGate, ServiceMisconfigured
from shared.http.body import BodyTooDeep, BodyTooLarge
from shared.http.problems import PROBLEM_CONTENT_TYPE, ProblemError
from shared.runs.status import RunFailed
from shared.tenants import InvalidTenantId

OPENAPI_VERSION = "3.1.0"
ROUTE_PREFIX = "/api"
"""What every API route's own template starts with (host.json's `routePrefix` is empty so that the console
answers at `/`); the document's paths are relative to it. A route outside it (the console's page) is
no API route and not in the document."""
TITLE = "TenantAtlas API"
SECURITY_SCHEME = "entraBearer"
_COMPONENT_REF = "#/components/schemas/{model}"
_PATH_PARAM = re.compile(r"\{(\w+)(?::[^}?]*)?\??\}")
BODY_PROBLEMS: tuple[type[ProblemError], ...] = (BodyTooLarge, BodyTooDeep)
"""What every route that takes a body can answer before it reads it (`shared.http.body`)."""
_PROBLEM_MODELS: dict[type[ProblemError], type[models.Problem]] = {RunFailed: models.RunProblem}
"""Problems with members of their own (a failed run's `run`), by the class that raises them."""


@dataclass(frozen=True)
class HttpRoute:
    """One HTTP function as the host serves it: the path under the route prefix, its methods."""

    function_name: str
    template: str
    methods: tuple[str, ...]
    handler: Callable[..., Any]

    @property
    def path(self) -> str:
        """The OpenAPI path: `/tenants/{tenantId}/runs` (route constraints and `?` dropped)."""
        relative = self.template.strip("/").removeprefix(ROUTE_PREFIX.strip("/") + "/")
        return "/" + _PATH_PARAM.sub(lambda m: "{" + m.group(1) + "}", relative).strip("/")

    @property
    def path_params(self) -> list[str]:
        return [m.group(1) for m in _PATH_PARAM.finditer(self.template)]


def app_functions(blueprints: Iterable[Any]) -> list[func.Function]:
    """The functions of the blueprints, built by a throwaway app so the real one stays untouched (the SDK
    refuses a second `get_functions()` of one app: it sees every name as a duplicate)."""
    app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)
    for blueprint in blueprints:
        app.register_functions(blueprint)
    return app.get_functions()


def http_routes(functions: Iterable[func.Function]) -> list[HttpRoute]:
    routes = []
    for function in functions:
        trigger = function.get_trigger()
        if trigger is None or trigger.get_binding_name() != "httpTrigger":
            continue
        raw_methods = getattr(trigger, "methods", None) or ["GET", "POST", "PUT", "PATCH", "DELETE"]
        methods = tuple(str(getattr(m, "value", m)).upper() for m in raw_methods)
        template = str(getattr(trigger, "route", None) or function.get_function_name())
        if not template.startswith(ROUTE_PREFIX.strip("/") + "/"):
            continue
        routes.append(
            HttpRoute(str(function.get_function_name()), template, methods, function.get_user_function())
        )
    return routes


def openapi_document(routes: Iterable[HttpRoute], version: str) -> dict[str, Any]:
    """The document; raises UndescribedRoute for a route it cannot describe fully."""
    schemas = _Schemas()
    paths: dict[str, dict[str, Any]] = {}
    for route in sorted(routes, key=lambda r: (r.path, r.methods)):
        op = operation_of(route.handler)
        if op is None:
            raise UndescribedRoute(
                f"{route.function_name} ({', '.join(route.methods)} {route.template}) has no "
                "@operation(...): declare it below its @bp.route (see shared/api/operations.py)."
            )
        gate = gate_of(route.handler)
        if (gate is None) != op.anonymous:
            state = "has no gate" if gate is None else "is gated"
            raise UndescribedRoute(
                f"{route.function_name} {state}; its @operation(...) says anonymous={op.anonymous}."
            )
        for method in route.methods:
            paths.setdefault(route.path, {})[method.lower()] = _operation(route, op, gate, schemas)
    return {
        "openapi": OPENAPI_VERSION,
        "info": {
            "title": TITLE,
            "version": version,
            "description": (
                "Backup and restore of Microsoft Intune configuration across managed tenants. Every "
                "route but the health check and this document takes an Entra access token "
                "(`Authorization: Bearer ...`) for the API's app registration; errors are "
                "`application/problem+json` with a stable `code`. A start answers 202 with `Location`, "
                "the run's status URL: poll it until it stops answering 202, waiting `Retry-After` "
                "seconds; add `failOnError=true` to see a failed run as a 422."
            ),
        },
        "servers": [{"url": ROUTE_PREFIX}],
        "security": [{SECURITY_SCHEME: []}],
        "paths": paths,
        "components": {
            "schemas": schemas.components,
            "securitySchemes": {
                SECURITY_SCHEME: {
                    "type": "http",
                    "scheme": "bearer",
                    "bearerFormat": "JWT",
                    "description": "An Entra ID access token for the API's app registration.",
                }
            },
        },
    }


def _operation(
    route: HttpRoute, op: Operation, gate: RouteGate | None, schemas: _Schemas
) -> dict[str, Any]:
    path_params = []
    for name in route.path_params:
        if name not in PATH_PARAMS:
            raise UndescribedRoute(
                f"{route.function_name}: the path parameter `{name}` is not described in "
                "shared/api/params.py."
            )
        path_params.append(PATH_PARAMS[name])
    params: list[Param] = [*path_params, *op.query, *op.headers]
    document: dict[str, Any] = {
        "operationId": operation_id(op.name),
        "summary": op.summary,
        "description": _description(op, gate),
        "tags": [op.tag],
        "x-ms-visibility": op.visibility,
    }
    if params:
        document["parameters"] = [param.to_openapi() for param in params]
    if op.body is not None:
        document["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": schemas.ref(op.body, "validation")}},
        }
    responses: dict[str, Any] = {}
    for answer in op.answers:
        responses[str(answer.status)] = _answer(answer, schemas)
    for status, group in sorted(_problems(op, gate, params).items()):
        responses[str(status)] = _problem_response(status, group, schemas)
    document["responses"] = responses
    if op.anonymous:
        document["security"] = []
    return document


def _description(op: Operation, gate: RouteGate | None) -> str:
    if gate is None:
        who = "Anonymous: no token needed."
    elif gate.role is None:
        who = "Any caller with a valid token."
        if gate.platform_admin:
            who = "Platform admins only (app role `msp.admin`)."
    else:
        who = f"Role: `{gate.role.value}` (or higher) on the tenant."
        if gate.platform_admin:
            who += " Platform admins (app role `msp.admin`) too."
    return f"{op.description}\n\n{who}".strip()


def _answer(answer: Answer, schemas: _Schemas) -> dict[str, Any]:
    response: dict[str, Any] = {"description": answer.description}
    if answer.model is not None:
        response["content"] = {answer.media_type: {"schema": schemas.ref(answer.model, "serialization")}}
    elif answer.media_type != JSON:
        response["content"] = {answer.media_type: {"schema": {"type": "string"}}}
    if answer.headers:
        response["headers"] = {
            name: {"description": meaning, "schema": {"type": "string"}, "required": True}
            for name, meaning in answer.headers.items()
        }
    return response


def _problems(
    op: Operation, gate: RouteGate | None, params: list[Param]
) -> dict[int, list[type[ProblemError]]]:
    found: list[type[ProblemError]] = list(op.problems)
    if op.body is not None:
        found.extend(BODY_PROBLEMS)
    for param in params:
        found.extend(param.problems)
    if gate is not None:
        found.extend(_gate_problems(gate))
    by_status: dict[int, list[type[ProblemError]]] = {}
    for problem in found:
        group = by_status.setdefault(problem.status, [])
        if problem not in group:
            group.append(problem)
    return by_status


def _gate_problems(gate: RouteGate) -> list[type[ProblemError]]:
    """Every auth error (subclasses included as they are added); the 403s and a bad tenant ID on tenant
    routes, the platform role's 403 on platform routes."""
    tenant_scoped = gate.role is not None
    errors: list[type[ProblemError]] = [ServiceMisconfigured]
    todo: list[type[ProblemError]] = [AuthError]
    while todo:
        current = todo.pop()
        todo.extend(current.__subclasses__())
        if current is AuthError or current is PlatformAdminRequired:
            continue
        if tenant_scoped or not issubclass(current, Forbidden):
            errors.append(current)
    if tenant_scoped:
        errors.append(InvalidTenantId)
    elif gate.platform_admin:
        errors.append(PlatformAdminRequired)
    return errors


def _problem_response(status: int, group: list[type[ProblemError]], schemas: _Schemas) -> dict[str, Any]:
    titles = {problem.code: problem.title for problem in group}
    codes = sorted(titles)
    special = {_PROBLEM_MODELS.get(_root(problem), models.Problem) for problem in group}
    model = special.pop() if len(special) == 1 else models.Problem
    schema = {
        "allOf": [
            schemas.ref(model, "serialization"),
            {"type": "object", "properties": {"code": {"type": "string", "enum": codes}}},
        ]
    }
    response: dict[str, Any] = {
        "description": "\n".join(f"- `{code}`: {titles[code]}" for code in codes),
        "content": {PROBLEM_CONTENT_TYPE: {"schema": schema}},
    }
    if status == 401:
        response["headers"] = {
            "WWW-Authenticate": {"description": "`Bearer`, with the error.", "schema": {"type": "string"}}
        }
    return response


def _root(problem: type[ProblemError]) -> type[ProblemError]:
    """The class `_PROBLEM_MODELS` knows that `problem` is, or `problem` itself."""
    return next((known for known in _PROBLEM_MODELS if issubclass(problem, known)), problem)


class _Schemas:
    """The components/schemas section, filled as operations refer to models."""

    def __init__(self) -> None:
        self.components: dict[str, Any] = {}

    def ref(self, body: Any, mode: JsonSchemaMode) -> dict[str, Any]:
        """A `$ref` to a model's component, or the inline schema of an annotated union of models."""
        adapter: TypeAdapter[Any] = TypeAdapter(body)
        schema = adapter.json_schema(ref_template=_COMPONENT_REF, mode=mode)
        for name, definition in schema.pop("$defs", {}).items():
            self._add(name, definition)
        if isinstance(body, type) and issubclass(body, BaseModel):
            self._add(body.__name__, schema)
            return {"$ref": _COMPONENT_REF.format(model=body.__name__)}
        return schema

    def _add(self, name: str, schema: dict[str, Any]) -> None:
        known = self.components.setdefault(name, schema)
        if known != schema:
            raise UndescribedRoute(
                f"Two models are named {name} (or one differs as request and as response): rename one."
            )


