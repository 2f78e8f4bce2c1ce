"""Tenant routes: the caller's tenants, and onboarding (register, rename, disable, remove, consent link,
verification). Registering, changing and removing tenants needs the platform role `msp.admin`; the
consent link and verification also a tenant admin. Every change is audited in the tenant's trail
(`shared.onboarding.changes`)."""

from __future__ import annotations

import azure.functions as func

from shared.api import models
from shared.api.operations import operation
from shared.api.params import REDIRECT_URI
from shared.auth.authorize import TenantAccess, is_platform_admin
from shared.auth.gate import authenticated_route, platform_route, tenant_route
from shared.auth.principal import Principal
from shared.auth.roles import Role
from shared.http.response import json_response
from shared.onboarding import bodies, changes
from shared.onboarding.bodies import InvalidOnboardingRequest
from shared.onboarding.changes import TenantNotDisabled, UnknownCredentialRef
from shared.onboarding.resolve import DomainNotFound, InvalidTenantName, ResolutionUnavailable
from shared.services import Services, services
from shared.tenants import (
    InvalidTenant,
    InvalidTenantId,
    Tenant,
    TenantExists,
    TenantNotFound,
    normalize_tenant_id,
)

bp = func.Blueprint()

TENANT_ROUTE = "api/tenants/{tenantId}"
ONBOARDING_PROBLEMS = (
    InvalidOnboardingRequest,
    InvalidTenant,
    InvalidTenantName,
    UnknownCredentialRef,
    TenantExists,
    DomainNotFound,
    ResolutionUnavailable,
)
"""A registration's refusals: the body, the name or domain, the credential, a tenant already there."""


@bp.route(route="api/tenants", methods=["GET"])
@operation("List my tenants", response=models.MyTenants)
@authenticated_route()
def list_my_tenants(req: func.HttpRequest, principal: Principal) -> func.HttpResponse:
    """The tenants the caller holds a role on (directly or through a group), with that role; a platform
    admin sees every tenant (`role` null where they hold none)."""
    svc = services()
    roles = _roles_of(svc, principal)
    platform = is_platform_admin(principal)
    tenants = [t for t in svc.tenants.list() if platform or t.tenant_id in roles]
    tenants.sort(key=lambda t: (t.display_name.lower(), t.tenant_id))
    items = [
        {**t.to_api(), "role": str(roles[t.tenant_id]) if t.tenant_id in roles else None} for t in tenants
    ]
    return json_response({"items": items, "platformAdmin": platform})


@bp.route(route="api/tenants", methods=["POST"])
@operation("Register a tenant", response=models.RegisteredTenant, status=201,
           response_headers={"Location": "The tenant's URL."}, body=models.NewTenantRequest,
           problems=ONBOARDING_PROBLEMS, visibility="advanced")
@platform_route()
def register_tenant(req: func.HttpRequest, principal: Principal) -> func.HttpResponse:
    """201 with the tenant (health `unverified`) and its admin consent link."""
    svc = services()
    tenant = changes.register_tenant(svc, principal, bodies.new_tenant(req.get_body()))
    location = req.url.split("?", 1)[0].rstrip("/") + "/" + tenant.tenant_id
    body = {**tenant.to_api(), "consent": changes.consent_url(svc, tenant, None)}
    return json_response(body, 201, {"Location": location})


@bp.route(route=TENANT_ROUTE, methods=["GET"])
@operation("Get a tenant", response=models.TenantView, problems=(TenantNotFound,))
@tenant_route(Role.READER, action="tenant.view", platform_admin=True)
def view_tenant(req: func.HttpRequest, access: TenantAccess) -> func.HttpResponse:
    tenant = services().tenants.require(access.tenant_id)
    return json_response({**tenant.to_api(), "role": str(access.role)})


@bp.route(route=TENANT_ROUTE, methods=["PATCH"])
@operation("Rename, disable or enable a tenant", response=models.Tenant, body=models.TenantChangesRequest,
           problems=(InvalidOnboardingRequest, InvalidTenant, InvalidTenantId, TenantNotFound),
           visibility="advanced")
@platform_route()
def update_tenant(req: func.HttpRequest, principal: Principal) -> func.HttpResponse:
    """Rename (`displayName`) or disable/enable (`status`)."""
    tenant_id = normalize_tenant_id(req.route_params.get("tenantId", ""))
    tenant = changes.update_tenant(services(), principal, tenant_id, bodies.tenant_changes(req.get_body()))
    return json_response(tenant.to_api())


@bp.route(route=TENANT_ROUTE, methods=["DELETE"])
@operation("Off-board a disabled tenant", response=models.OffboardedTenant,
           problems=(InvalidTenantId, TenantNotFound, TenantNotDisabled), visibility="advanced")
@platform_route()
def offboard_tenant(req: func.HttpRequest, principal: Principal) -> func.HttpResponse:
    """Off-board a disabled tenant (409 `tenant.not_disabled` otherwise); says what is kept."""
    tenant_id = normalize_tenant_id(req.route_params.get("tenantId", ""))
    tenant = changes.offboard_tenant(services(), principal, tenant_id)
    return json_response({"tenantId": tenant.tenant_id, "deleted": True, "note": changes.OFFBOARDING_NOTE})


@bp.route(route=TENANT_ROUTE + "/consent", methods=["GET"])
@operation("Get the admin consent link", response=models.ConsentLink, query=(REDIRECT_URI,),
           problems=(TenantNotFound, UnknownCredentialRef), visibility="advanced")
@tenant_route(Role.ADMIN, action="tenant.consent", platform_admin=True)
def consent_link(req: func.HttpRequest, access: TenantAccess) -> func.HttpResponse:
    """The admin consent URL to send the customer's Global Administrator; `redirectUri` is optional."""
    svc = services()
    tenant = svc.tenants.require(access.tenant_id)
    return json_response(changes.consent_url(svc, tenant, req.params.get("redirectUri")))


@bp.route(route=TENANT_ROUTE + "/verify", methods=["POST"])
@operation("Verify a tenant's consent and permissions", response=models.Tenant, problems=(TenantNotFound,),
           visibility="advanced")
@tenant_route(Role.ADMIN, action="tenant.verify", platform_admin=True)
def verify_tenant(req: func.HttpRequest, access: TenantAccess) -> func.HttpResponse:
    """Verify consent, permissions and reachability now; the tenant with its recorded health."""
    tenant: Tenant = changes.verify_and_record(services(), access.tenant_id, access.principal)
    return json_response(tenant.to_api())


def _roles_of(svc: Services, principal: Principal) -> dict[str, Role]:
    """The caller's role per tenant: direct memberships and group mappings, the higher one."""
    roles = {m.tenant_id: m.role for m in svc.memberships.for_principal(principal.key)}
    for tenant_id, role in svc.group_roles.tenants_of(principal.groups).items():
        if tenant_id not in roles or role.rank > roles[tenant_id].rank:
            roles[tenant_id] = role
    return roles
