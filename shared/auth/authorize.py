"""The authorization decision for tenant-scoped work: one membership point read, one rule.

A caller holds a role on a tenant directly (a membership) or through an Entra group mapped to a
role there (`shared.auth.group_roles`, read only when the direct role does not suffice); the
higher of the two counts. Management routes also let the platform role through
(`PLATFORM_ADMIN_ROLE`, from the token). No role on the tenant is a 403 whether the tenant exists
or not (a caller cannot probe which tenants are managed). Every denial is audited in the tenant's
trail.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from shared.audit import ANONYMOUS, AuditLog, AuditOutcome
from shared.auth.errors import Forbidden, GroupsOverage, InsufficientRole, MissingToken
from shared.auth.group_roles import GroupRoleStore
from shared.auth.memberships import Membership, MembershipStore
from shared.auth.principal import Principal
from shared.auth.roles import PLATFORM_ADMIN_ROLE, Role
from shared.tenants import normalize_tenant_id

PLATFORM_GRANT = "app-role:" + PLATFORM_ADMIN_ROLE
"""`granted_by` of the access a platform admin has on a management route."""


def is_platform_admin(principal: Principal) -> bool:
    return PLATFORM_ADMIN_ROLE in principal.app_roles

DENIED_ACTION = "auth.denied"


@dataclass(frozen=True)
class TenantAccess:
    """What a tenant-scoped handler is given once the caller passed: who, on which tenant, as what."""

    principal: Principal
    membership: Membership

    @property
    def tenant_id(self) -> str:
        return self.membership.tenant_id

    @property
    def role(self) -> Role:
        return self.membership.role

    @property
    def actor(self) -> dict[str, str | None]:
        """Who acted, as the audit of a change records it: object ID (principal key) and display name."""
        return {"id": self.principal.key, "name": self.principal.display_name}


class Authorizer:
    def __init__(
        self, memberships: MembershipStore, audit: AuditLog, groups: GroupRoleStore | None = None
    ) -> None:
        self._memberships = memberships
        self._audit = audit
        self._groups = groups

    def authorize(
        self,
        principal: Principal | None,
        tenant_id: str,
        required_role: Role,
        *,
        action: str = "tenant.access",
        context: Mapping[str, Any] | None = None,
        platform_admin: bool = False,
    ) -> Membership:
        """The caller's membership if its role includes `required_role`; else Forbidden, audited.

        `action` names what was attempted (`runs.start`); `context` adds audit details (method, route);
        `platform_admin` lets the platform role through as a tenant admin (management routes).
        """
        if principal is None:
            raise MissingToken("Send `Authorization: Bearer <token>` with a token for this API.")
        tenant_id = normalize_tenant_id(tenant_id)
        membership = self._memberships.get(principal.key, tenant_id)
        if membership is None or not membership.role.includes(required_role):
            membership = self._through_group(principal, tenant_id, membership)
        short = membership is None or not membership.role.includes(required_role)
        if short and platform_admin and is_platform_admin(principal):
            membership = Membership(principal.key, tenant_id, Role.ADMIN, PLATFORM_GRANT, datetime.now(UTC))
        if membership is None and principal.groups_overage and self._groups is not None:
            error: Forbidden = GroupsOverage(
                "The caller has no direct role on this tenant, and the token lists no groups (too many to "
                "fit: an overage claim), so group roles cannot be checked. Ask for a direct membership, or "
                "have the API's app registration emit only the groups assigned to it."
            )
        elif membership is None:
            error = Forbidden("Ask an admin of this tenant for a role.")
        elif not membership.role.includes(required_role):
            error = InsufficientRole(
                f"This needs role {required_role}; the caller has {membership.role}.",
                required_role=str(required_role),
            )
        else:
            return membership
        self.audit_denial(tenant_id, principal.key, action, error.code, context)
        raise error

    def _through_group(
        self, principal: Principal, tenant_id: str, direct: Membership | None
    ) -> Membership | None:
        """The direct membership, or the role a group of the caller holds when that is higher."""
        if self._groups is None or not principal.groups:
            return direct
        mapping = self._groups.best_for(tenant_id, principal.groups)
        if mapping is None or (direct is not None and direct.role.rank >= mapping.role.rank):
            return direct
        granted_by = f"group:{mapping.group_id}"
        return Membership(principal.key, tenant_id, mapping.role, granted_by, mapping.granted_at)

    def audit_denial(
        self,
        tenant_id: str,
        actor: str | None,
        action: str,
        code: str,
        context: Mapping[str, Any] | None = None,
    ) -> None:
        """Record a refused attempt in the tenant's trail (also used for 401s on registered tenants)."""
        details = {"attempted": action, "code": code, **(context or {})}
        self._audit.record(tenant_id, DENIED_ACTION, actor or ANONYMOUS, AuditOutcome.DENIED, details=details)
