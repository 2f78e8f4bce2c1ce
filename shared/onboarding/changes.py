"""Every change of the tenant registry, memberships and group roles that the API makes, each audited
in the tenant's trail with the actor's object ID and display name (from the token) and the state
before and after. Input is fully checked before the first write, so a refused request stores nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from shared.audit import AuditOutcome
from shared.auth.group_roles import GroupRole, GroupRoleStore, normalize_group_id
from shared.auth.memberships import Membership, normalize_principal
from shared.auth.principal import Principal
from shared.auth.roles import Role
from shared.config.errors import ConfigurationError
from shared.graph.credentials import credential_kind
from shared.graph.tenant_clients import credential_spec
from shared.http.problems import ProblemError
from shared.jobs.run_alerts import announce_health
from shared.onboarding.bodies import NewTenant, TenantChanges
from shared.onboarding.resolve import resolve_tenant_id
from shared.onboarding.verify import verify_tenant
from shared.services import Services
from shared.tenants import (
    InvalidTenant,
    Tenant,
    TenantHealth,
    TenantStatus,
    check_cloud,
    check_credential_ref,
    check_display_name,
)

OFFBOARDING_NOTE = (
    "The tenant is no longer managed: its record, memberships and group roles are removed. Its backups, "
    "policy versions, runs and audit trail are kept until retention removes them; registering the "
    "tenant again makes them visible again."
)


class UnknownCredentialRef(ProblemError):
    status = 400
    code = "tenant.unknown_credential"
    title = "No Graph credential of that name is configured."


class TenantNotDisabled(ProblemError):
    status = 409
    code = "tenant.not_disabled"
    title = "Disable the tenant before removing it."


class MembershipNotFound(ProblemError):
    status = 404
    code = "membership.not_found"
    title = "The principal has no role on this tenant."


class GroupRoleNotFound(ProblemError):
    status = 404
    code = "group_role.not_found"
    title = "The group has no role on this tenant."


def audit_change(
    svc: Services,
    tenant_id: str,
    action: str,
    principal: Principal,
    before: Mapping[str, Any] | None,
    after: Mapping[str, Any] | None,
    **details: Any,
) -> None:
    svc.audit.record(
        tenant_id,
        action,
        principal.key,
        AuditOutcome.SUCCEEDED,
        details={"actorName": principal.display_name, "before": before, "after": after, **details},
    )


def register_tenant(svc: Services, principal: Principal, request: NewTenant) -> Tenant:
    """Check every field, resolve a domain to its tenant ID, then add the record (409 if registered)."""
    check_display_name(request.display_name)
    check_cloud(request.cloud)
    check_credential_ref(request.credential_ref)
    try:
        credential_spec(svc.settings, request.credential_ref)
    except ConfigurationError:
        raise UnknownCredentialRef(
            f"No credential {request.credential_ref!r} is configured (GRAPH_CREDENTIAL__* settings); "
            f"configured: {', '.join(sorted(svc.settings.graph.credentials)) or 'none'}."
        ) from None
    tenant_id = resolve_tenant_id(svc.settings, request.cloud, request.tenant)
    tenant = svc.tenants.add(tenant_id, request.display_name, request.cloud, request.credential_ref)
    audit_change(
        svc, tenant.tenant_id, "tenant.registered", principal, None, _record(tenant), input=request.tenant
    )
    return tenant


def update_tenant(svc: Services, principal: Principal, tenant_id: str, changes: TenantChanges) -> Tenant:
    before = svc.tenants.require(tenant_id)
    if changes.display_name is not None:
        check_display_name(changes.display_name)
    after = svc.tenants.update(tenant_id, display_name=changes.display_name, status=changes.status)
    if before.status is TenantStatus.DISABLED and after.status is TenantStatus.ACTIVE:
        after = svc.tenants.record_health(after.tenant_id, TenantHealth())  # verify again after enabling
    audit_change(svc, after.tenant_id, "tenant.updated", principal, _record(before), _record(after))
    return after


def offboard_tenant(svc: Services, principal: Principal, tenant_id: str) -> Tenant:
    tenant = svc.tenants.require(tenant_id)
    if tenant.status is not TenantStatus.DISABLED:
        raise TenantNotDisabled(
            f'PATCH the tenant with {{"status": "disabled"}} first; it is {tenant.status}.'
        )
    members = svc.memberships.remove_tenant(tenant.tenant_id)
    groups = svc.group_roles.remove_tenant(tenant.tenant_id)
    svc.tenants.delete(tenant.tenant_id)
    audit_change(
        svc,
        tenant.tenant_id,
        "tenant.deleted",
        principal,
        _record(tenant),
        None,
        membershipsRemoved=members,
        groupRolesRemoved=groups,
    )
    return tenant


def verify_and_record(svc: Services, tenant_id: str, actor: Principal | None) -> Tenant:
    """Verify the tenant and store its health; audited (the timer's checks as `system`)."""
    tenant = svc.tenants.require(tenant_id)
    health = verify_tenant(svc.settings, tenant)
    verified = svc.tenants.record_health(tenant.tenant_id, health)
    details = {
        "actorName": actor.display_name if actor else None,
        "before": str(tenant.health.status),
        "after": str(health.status),
        "missingPermissions": list(health.missing_permissions),
        "detail": health.detail,
    }
    svc.audit.record(
        tenant.tenant_id,
        "tenant.verified",
        actor.key if actor else "system",
        AuditOutcome.SUCCEEDED,
        details=details,
    )
    announce_health(svc, tenant, verified)
    return verified


def consent_url(svc: Services, tenant: Tenant, redirect_uri: str | None) -> dict[str, Any]:
    """The admin consent link for the customer's Global Administrator, and what it grants."""
    try:
        spec = credential_spec(svc.settings, tenant.credential_ref)
    except ConfigurationError as exc:
        raise UnknownCredentialRef(
            f"The tenant's credential {tenant.credential_ref!r} is not configured."
        ) from exc
    login = svc.settings.graph.cloud(tenant.cloud).login_base_url
    query = {"client_id": spec.client_id}
    if redirect_uri is not None:
        if not redirect_uri.startswith("https://") or len(redirect_uri) > 1024:
            raise InvalidTenant("`redirectUri` must be an https:// URL registered on the app.")
        query["redirect_uri"] = redirect_uri
    return {
        "tenantId": tenant.tenant_id,
        "consentUrl": f"{login}/{tenant.tenant_id}/adminconsent?{urlencode(query)}",
        "clientId": spec.client_id,
        "credential": credential_kind(spec),
        "next": f"After consent: POST /api/tenants/{tenant.tenant_id}/verify",
    }


def set_member(svc: Services, principal: Principal, tenant_id: str, member: str, role: Role) -> Membership:
    key = normalize_principal(member)
    tenant = svc.tenants.require(tenant_id)
    before = svc.memberships.get(key, tenant.tenant_id)
    granted = svc.memberships.grant(key, tenant.tenant_id, role, principal.key)
    audit_change(
        svc,
        tenant.tenant_id,
        "membership.granted",
        principal,
        {"principal": key, "role": str(before.role)} if before else None,
        {"principal": key, "role": str(role)},
    )
    return granted


def remove_member(svc: Services, principal: Principal, tenant_id: str, member: str) -> Membership:
    key = normalize_principal(member)
    before = svc.memberships.get(key, tenant_id)
    if before is None:
        raise MembershipNotFound(f"{key} has no role on tenant {tenant_id}.")
    svc.memberships.revoke(key, before.tenant_id)
    audit_change(
        svc,
        before.tenant_id,
        "membership.revoked",
        principal,
        {"principal": key, "role": str(before.role)},
        None,
    )
    return before


def set_group_role(svc: Services, principal: Principal, tenant_id: str, group: str, role: Role) -> GroupRole:
    group_id = normalize_group_id(group)
    store: GroupRoleStore = svc.group_roles
    tenant = svc.tenants.require(tenant_id)
    before = store.get(tenant.tenant_id, group_id)
    granted = store.grant(tenant.tenant_id, group_id, role, principal.key)
    audit_change(
        svc,
        tenant.tenant_id,
        "group_role.granted",
        principal,
        {"groupId": group_id, "role": str(before.role)} if before else None,
        {"groupId": group_id, "role": str(role)},
    )
    return granted


def remove_group_role(svc: Services, principal: Principal, tenant_id: str, group: str) -> GroupRole:
    group_id = normalize_group_id(group)
    before = svc.group_roles.get(tenant_id, group_id)
    if before is None:
        raise GroupRoleNotFound(f"Group {group_id} has no role on tenant {tenant_id}.")
    svc.group_roles.revoke(before.tenant_id, group_id)
    audit_change(
        svc,
        before.tenant_id,
        "group_role.revoked",
        principal,
        {"groupId": group_id, "role": str(before.role)},
        None,
    )
    return before


def _record(tenant: Tenant) -> dict[str, str]:
    return {
        "displayName": tenant.display_name,
        "cloud": tenant.cloud,
        "credentialRef": tenant.credential_ref,
        "status": str(tenant.status),
    }
