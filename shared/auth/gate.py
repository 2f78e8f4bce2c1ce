"""The one gate in front of every HTTP route: token, tenant role, audit, problem+json.

Trigger modules wrap their handlers:

    @bp.route(route="tenants/{tenantId}/runs", methods=["GET"])
    @tenant_route(Role.READER, action="runs.list")
    def list_runs(req: func.HttpRequest, access: TenantAccess) -> func.HttpResponse: ...

The wrapper hides `access` (or `principal`) from the signature the Functions host indexes,
so binding parameters (a durable client, ...) pass through untouched; sync and async
handlers both work. Any ProblemError raised by the gate or the handler becomes its problem,
and a ConfigurationError (settings or services that cannot load) a 503 `config.invalid`.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import azure.functions as func
from azure.core.exceptions import AzureError

from shared.audit import AuditLog
from shared.auth.authorize import Authorizer, TenantAccess, is_platform_admin
from shared.auth.errors import MissingToken, PlatformAdminRequired, SigningKeysUnavailable, Unauthenticated
from shared.auth.group_roles import GroupRoleStore
from shared.auth.jwks import JwksCache, jwks_fetcher
from shared.auth.memberships import MembershipStore
from shared.auth.principal import Principal
from shared.auth.roles import Role
from shared.auth.tokens import TokenValidator, bearer_token
from shared.config.errors import ConfigurationError, MissingSetting
from shared.config.settings import get_settings
from shared.http.problems import ProblemError, problem_response
from shared.storage import worker_account
from shared.tenants import InvalidTenantId, TenantRegistry, normalize_tenant_id

logger = logging.getLogger(__name__)

TENANT_ROUTE_PARAM = "tenantId"


ROUTE_GATE = "route_gate"
"""The attribute a gated handler carries its `RouteGate` under."""


@dataclass(frozen=True)
class RouteGate:
    """What the gate asks of a caller, kept on the handler so the API description (shared.api) says it:
    a bearer token always, and `role` on the route's tenant for a tenant route (None: any caller).
    `platform_admin`: the platform role passes too; with no `role`, only the platform role passes."""

    role: Role | None
    platform_admin: bool = False


class ServiceMisconfigured(ProblemError):
    """A setting the route needs is missing or invalid: the operator's to fix, not the caller's."""

    status = 503
    code = "config.invalid"
    title = "The service is misconfigured."


class RequestGuard:
    """Authenticates requests and authorizes them on the tenant named in the route."""

    def __init__(self, validator: TokenValidator, authorizer: Authorizer, registry: TenantRegistry) -> None:
        self._validator = validator
        self._authorizer = authorizer
        self._registry = registry

    def authenticate(self, req: func.HttpRequest) -> Principal:
        return self._validator.validate(bearer_token(req.headers.get("Authorization")))

    def tenant_access(
        self,
        req: func.HttpRequest,
        required_role: Role,
        *,
        action: str,
        tenant_param: str = TENANT_ROUTE_PARAM,
        platform_admin: bool = False,
    ) -> TenantAccess:
        """401 before anything else, then 400 for a malformed tenant ID, then 403 without the role."""
        context = {"method": req.method, "path": urlsplit(req.url).path}
        raw_tenant = req.route_params.get(tenant_param, "")
        try:
            principal = self.authenticate(req)
        except Unauthenticated as exc:
            self._audit_unauthenticated(raw_tenant, action, exc.code, context)
            raise
        tenant_id = normalize_tenant_id(raw_tenant)
        membership = self._authorizer.authorize(
            principal, tenant_id, required_role, action=action, context=context, platform_admin=platform_admin
        )
        return TenantAccess(principal, membership)

    def platform_admin(self, req: func.HttpRequest) -> Principal:
        """The caller, if the token carries the platform role; 401 or 403 otherwise."""
        principal = self.authenticate(req)
        if not is_platform_admin(principal):
            logger.warning("Refused %s %s: no platform role", req.method, urlsplit(req.url).path)
            raise PlatformAdminRequired("Ask for the msp.admin app role on the API's app registration.")
        return principal

    def _audit_unauthenticated(
        self, raw_tenant: str, action: str, code: str, context: Mapping[str, Any]
    ) -> None:
        """Audit 401s only on registered tenants: anonymous callers must not create audit partitions."""
        try:
            tenant_id = normalize_tenant_id(raw_tenant)
            if self._registry.get(tenant_id) is not None:
                self._authorizer.audit_denial(tenant_id, None, action, code, context)
        except InvalidTenantId:
            return
        except AzureError as exc:
            logger.warning("Could not audit a refused request (%s)", type(exc).__name__)


@functools.cache
def default_guard() -> RequestGuard:
    """The worker's guard, built once from settings (JWKS cache and table clients are reused)."""
    settings = get_settings()
    account = worker_account(settings.storage.config)
    registry = TenantRegistry(account)
    keys = JwksCache(jwks_fetcher(settings.auth.jwks_url))
    authorizer = Authorizer(
        MembershipStore(account, registry), AuditLog(account), GroupRoleStore(account, registry)
    )
    return RequestGuard(TokenValidator(settings.auth, keys), authorizer, registry)


GuardProvider = Callable[[], RequestGuard]
Decorator = Callable[[Callable[..., Any]], Callable[..., Any]]


def tenant_route(
    required_role: Role,
    *,
    action: str,
    tenant_param: str = TENANT_ROUTE_PARAM,
    guard: GuardProvider = default_guard,
    platform_admin: bool = False,
) -> Decorator:
    """Gate a tenant-scoped handler; it receives `access: TenantAccess` after the request.

    `platform_admin=True` (management routes: members, consent, verify) also lets the platform role
    through, as an admin of every tenant.
    """

    def resolve(req: func.HttpRequest) -> TenantAccess:
        return guard().tenant_access(
            req, required_role, action=action, tenant_param=tenant_param, platform_admin=platform_admin
        )

    return lambda handler: _gate(handler, "access", resolve, RouteGate(required_role, platform_admin))


def platform_route(*, guard: GuardProvider = default_guard) -> Decorator:
    """Gate a route only platform admins may call (register a tenant); it receives `principal`."""
    return lambda handler: _gate(
        handler, "principal", lambda req: guard().platform_admin(req), RouteGate(None, platform_admin=True)
    )


def authenticated_route(*, guard: GuardProvider = default_guard) -> Decorator:
    """Gate a route that is not tenant-scoped (`/api/tenants`, `/api/me/...`); it receives `principal`."""
    return lambda handler: _gate(
        handler, "principal", lambda req: guard().authenticate(req), RouteGate(None)
    )


def _gate(
    handler: Callable[..., Any],
    injected: str,
    resolve: Callable[[func.HttpRequest], Any],
    gate: RouteGate,
) -> Callable[..., Any]:
    signature = inspect.signature(handler)
    if injected not in signature.parameters:
        raise TypeError(f"{handler.__qualname__} must take a `{injected}` parameter to be gated.")
    request_name = next(iter(signature.parameters))

    def request_of(args: tuple[Any, ...], kwargs: dict[str, Any]) -> func.HttpRequest:
        req: func.HttpRequest = kwargs[request_name] if request_name in kwargs else args[0]
        return req

    if inspect.iscoroutinefunction(handler):

        @functools.wraps(handler)
        async def gated_async(*args: Any, **kwargs: Any) -> func.HttpResponse:
            req = request_of(args, kwargs)
            try:
                kwargs[injected] = await asyncio.to_thread(resolve, req)
                response: func.HttpResponse = await handler(*args, **kwargs)
            except ProblemError as exc:
                return problem_for(exc, req)
            except ConfigurationError as exc:
                return problem_for(_misconfigured(exc), req)
            return response

        wrapper: Callable[..., Any] = gated_async
    else:

        @functools.wraps(handler)
        def gated(*args: Any, **kwargs: Any) -> func.HttpResponse:
            req = request_of(args, kwargs)
            try:
                kwargs[injected] = resolve(req)
                response: func.HttpResponse = handler(*args, **kwargs)
            except ProblemError as exc:
                return problem_for(exc, req)
            except ConfigurationError as exc:
                return problem_for(_misconfigured(exc), req)
            return response

        wrapper = gated
    # The host indexes parameters as bindings: show it the handler's signature without the injected one.
    wrapper.__signature__ = signature.replace(  # type: ignore[attr-defined]
        parameters=[p for name, p in signature.parameters.items() if name != injected]
    )
    wrapper.__annotations__ = {k: v for k, v in handler.__annotations__.items() if k != injected}
    vars(wrapper)[ROUTE_GATE] = gate
    return wrapper


def _misconfigured(error: ConfigurationError) -> ServiceMisconfigured:
    """Names the setting, never its value (the error's message may quote it); so does the log line."""
    state = "missing" if isinstance(error, MissingSetting) else "invalid"
    logger.error("Refused a request: the app setting %s is %s", error.setting, state)
    return ServiceMisconfigured(
        f"The app setting {error.setting} is {state}; GET /api/health names it too.", setting=error.setting
    )


def problem_for(error: ProblemError, req: func.HttpRequest) -> func.HttpResponse:
    """The problem+json answer to an error, with the headers its status calls for."""
    instance = urlsplit(req.url).path
    headers: dict[str, str] = {}
    if isinstance(error, MissingToken):
        headers["WWW-Authenticate"] = "Bearer"
    elif isinstance(error, Unauthenticated):
        headers["WWW-Authenticate"] = f'Bearer error="invalid_token", error_description="{error.code}"'
    elif isinstance(error, SigningKeysUnavailable):
        headers["Retry-After"] = "30"
    return problem_response(error.to_problem(instance), headers)
