"""Who may do what on a tenant, over the API: direct memberships (`members/{principal}`, a principal is
`user:<object id>` or `app:<client id>`) and Entra groups mapped to a role (`group-roles/{groupId}`).
A tenant admin manages their tenant's; a platform admin (`msp.admin`) every tenant's. Every change
is audited with the actor and the role before and after."""

from __future__ import annotations

import azure.functions as func

from shared.api import models
from shared.api.operations import operation
from shared.auth.authorize import TenantAccess
from shared.auth.gate import tenant_route
from shared.auth.group_roles import GroupRole, normalize_group_id
from shared.auth.memberships import Membership, normalize_principal
from shared.auth.roles import Role
from shared.http.response import json_response
from shared.onboarding import bodies, changes
from shared.onboarding.bodies import InvalidOnboardingRequest
from shared.onboarding.changes import GroupRoleNotFound, MembershipNotFound
from shared.services import services
from shared.tenants import TenantNotFound

bp = func.Blueprint()

MEMBERS_ROUTE = "api/tenants/{tenantId}/members"
GROUP_ROLES_ROUTE = "api/tenants/{tenantId}/group-roles"


@bp.route(route=MEMBERS_ROUTE, methods=["GET"])
@operation("List a tenant's members", response=models.Memberships, problems=(TenantNotFound,),
           visibility="advanced")
@tenant_route(Role.ADMIN, action="membership.list", platform_admin=True)
def list_members(req: func.HttpRequest, access: TenantAccess) -> func.HttpResponse:
    svc = services()
    svc.tenants.require(access.tenant_id)
    return json_response({"items": [m.to_api() for m in svc.memberships.members_of(access.tenant_id)]})


@bp.route(route=MEMBERS_ROUTE + "/{principal}", methods=["GET"])
@operation("Get a member's role", response=models.Membership, problems=(MembershipNotFound,),
           visibility="advanced")
@tenant_route(Role.ADMIN, action="membership.view", platform_admin=True)
def view_member(req: func.HttpRequest, access: TenantAccess) -> func.HttpResponse:
    key = normalize_principal(req.route_params.get("principal", ""))
    membership: Membership | None = services().memberships.get(key, access.tenant_id)
    if membership is None:
        raise changes.MembershipNotFound(f"{key} has no role on tenant {access.tenant_id}.")
    return json_response(membership.to_api())


@bp.route(route=MEMBERS_ROUTE + "/{principal}", methods=["PUT"])
@operation("Grant a member a role", response=models.Membership, body=models.RoleGrant,
           problems=(InvalidOnboardingRequest, TenantNotFound), visibility="advanced")
@tenant_route(Role.ADMIN, action="membership.grant", platform_admin=True)
def put_member(req: func.HttpRequest, access: TenantAccess) -> func.HttpResponse:
    """`{"role": "reader" | "operator" | "admin"}`: grant or change the principal's role."""
    role = bodies.role_grant(req.get_body())
    granted = changes.set_member(
        services(), access.principal, access.tenant_id, req.route_params.get("principal", ""), role
    )
    return json_response(granted.to_api())


@bp.route(route=MEMBERS_ROUTE + "/{principal}", methods=["DELETE"])
@operation("Revoke a member's role", status=204, problems=(TenantNotFound, MembershipNotFound),
           visibility="advanced")
@tenant_route(Role.ADMIN, action="membership.revoke", platform_admin=True)
def delete_member(req: func.HttpRequest, access: TenantAccess) -> func.HttpResponse:
    changes.remove_member(
        services(), access.principal, access.tenant_id, req.route_params.get("principal", "")
    )
    return func.HttpResponse(status_code=204)


@bp.route(route=GROUP_ROLES_ROUTE, methods=["GET"])
@operation("List a tenant's group roles", response=models.GroupRoles, problems=(TenantNotFound,),
           visibility="advanced")
@tenant_route(Role.ADMIN, action="group_role.list", platform_admin=True)
def list_group_roles(req: func.HttpRequest, access: TenantAccess) -> func.HttpResponse:
    svc = services()
    svc.tenants.require(access.tenant_id)
    return json_response({"items": [g.to_api() for g in svc.group_roles.for_tenant(access.tenant_id)]})


@bp.route(route=GROUP_ROLES_ROUTE + "/{groupId}", methods=["PUT"])
@operation("Give an Entra group a role", response=models.GroupRole, body=models.RoleGrant,
           problems=(InvalidOnboardingRequest, TenantNotFound), visibility="advanced")
@tenant_route(Role.ADMIN, action="group_role.grant", platform_admin=True)
def put_group_role(req: func.HttpRequest, access: TenantAccess) -> func.HttpResponse:
    """`{"role": ...}`: members of the Entra group (by object ID) hold the role on the tenant."""
    normalize_group_id(req.route_params.get("groupId", ""))
    role = bodies.role_grant(req.get_body())
    granted: GroupRole = changes.set_group_role(
        services(), access.principal, access.tenant_id, req.route_params.get("groupId", ""), role
    )
    return json_response(granted.to_api())


@bp.route(route=GROUP_ROLES_ROUTE + "/{groupId}", methods=["DELETE"])
@operation("Take an Entra group's role away", status=204, problems=(TenantNotFound, GroupRoleNotFound),
           visibility="advanced")
@tenant_route(Role.ADMIN, action="group_role.revoke", platform_admin=True)
def delete_group_role(req: func.HttpRequest, access: TenantAccess) -> func.HttpResponse:
    changes.remove_group_role(
        services(), access.principal, access.tenant_id, req.route_params.get("groupId", "")
    )
    return func.HttpResponse(status_code=204)
