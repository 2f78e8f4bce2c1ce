"""The authorization decision for tenant-scoped work: one membership point read, one rule.

No role on the tenant is a 403 whether the tenant exists or not (a caller cannot probe which
tenants are managed). Every denial is audited in the tenant's trail.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from shared.audit import ANONYMOUS, AuditLog, AuditOutcome
from shared.auth.errors import Forbidden, InsufficientRole, MissingToken
from shared.auth.memberships import Membership, MembershipStore
from shared.auth.principal import Principal
from shared.auth.roles import Role
from shared.tenants import normalize_tenant_id

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


class Authorizer:
    def __init__(self, memberships: MembershipStore, audit: AuditLog) -> None:
        self._memberships = memberships
        self._audit = audit

    def authorize(
        self,
        principal: Principal | None,
        tenant_id: str,
        required_role: Role,
        *,
        action: str = "tenant.access",
        context: Mapping[str, Any] | None = None,
    ) -> Membership:
        """The caller's membership if its role includes `required_role`; else Forbidden, audited.

        `action` names what was attempted (`runs.start`); `context` adds audit details (method, route).
        """
        if principal is None:
            raise MissingToken("Send `Authorization: Bearer <token>` with a token for this API.")
        tenant_id = normalize_tenant_id(tenant_id)
        membership = self._memberships.get(principal.key, tenant_id)
        if membership is None:
            error: Forbidden = Forbidden("Ask an admin of this tenant for a role.")
        elif not membership.role.includes(required_role):
            error = InsufficientRole(
                f"This needs role {required_role}; the caller has {membership.role}.",
                required_role=str(required_role),
            )
        else:
            return membership
        self.audit_denial(tenant_id, principal.key, action, error.code, context)
        raise error

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
