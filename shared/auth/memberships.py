"""Who holds which role on which managed tenant: the grants the authorizer reads, in Table Storage.

Memberships are keyed principal / tenant, so "the tenants I have a role on" is one partition
query and the check on every request is one point read. A grant names a registered tenant
(`shared.tenants`); the registry knows nothing of roles or principals. "The members of a tenant"
is a query on the RowKey across partitions: a scan, fine for the thousands of rows an MSP's
engineers times its tenants make, and only run by the members routes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from azure.core.exceptions import ResourceNotFoundError
from azure.data.tables import TableEntity, UpdateMode

from shared.auth.principal import parse_principal_key
from shared.auth.roles import Role
from shared.http.problems import ProblemError
from shared.storage import StorageAccount, names
from shared.tenants import Tenant, TenantRegistry, normalize_tenant_id


class InvalidPrincipal(ProblemError):
    status = 400
    code = "membership.invalid_principal"
    title = "A principal is named `user:<object id>` or `app:<client id>`."


@dataclass(frozen=True)
class Membership:
    principal: str
    """A principal key, `user:<oid>` or `app:<client id>`."""
    tenant_id: str
    role: Role
    granted_by: str
    granted_at: datetime

    def to_api(self) -> dict[str, str]:
        return {
            "principal": self.principal,
            "tenantId": self.tenant_id,
            "role": str(self.role),
            "grantedBy": self.granted_by,
            "grantedAt": self.granted_at.isoformat(),
        }


def normalize_principal(value: str) -> str:
    try:
        kind, ident = parse_principal_key(value)
    except ValueError:
        raise InvalidPrincipal(f"{value[:80]!r} is not a principal key.") from None
    return f"{kind}:{ident}"


class MembershipStore:
    def __init__(self, account: StorageAccount, registry: TenantRegistry) -> None:
        self._table = account.table(names.MEMBERSHIPS)
        self._registry = registry

    def grant(self, principal: str, tenant_id: str, role: Role | str, granted_by: str) -> Membership:
        """Give `principal` `role` on a registered tenant, replacing any role it had there."""
        tenant = self._registry.require(tenant_id)
        membership = Membership(
            normalize_principal(principal), tenant.tenant_id, Role(role), granted_by, datetime.now(UTC)
        )
        self._table.upsert_entity(
            {
                "PartitionKey": membership.principal,
                "RowKey": membership.tenant_id,
                "Role": str(membership.role),
                "GrantedBy": granted_by,
                "GrantedAt": membership.granted_at,
            },
            mode=UpdateMode.REPLACE,
        )
        return membership

    def revoke(self, principal: str, tenant_id: str) -> None:
        self._table.delete_entity(normalize_principal(principal), normalize_tenant_id(tenant_id))

    def get(self, principal: str, tenant_id: str) -> Membership | None:
        try:
            entity = self._table.get_entity(normalize_principal(principal), normalize_tenant_id(tenant_id))
        except ResourceNotFoundError:
            return None
        return _membership_from(entity)

    def members_of(self, tenant_id: str) -> list[Membership]:
        """Every direct membership on the tenant, by principal key."""
        entities = self._table.query_entities(
            "RowKey eq @tenant", parameters={"tenant": normalize_tenant_id(tenant_id)}
        )
        return sorted((_membership_from(e) for e in entities), key=lambda m: m.principal)

    def remove_tenant(self, tenant_id: str) -> int:
        """Drop every membership of an off-boarded tenant; how many there were."""
        members = self.members_of(tenant_id)
        for member in members:
            self._table.delete_entity(member.principal, member.tenant_id)
        return len(members)

    def for_principal(self, principal: str) -> list[Membership]:
        entities = self._table.query_entities(
            "PartitionKey eq @pk", parameters={"pk": normalize_principal(principal)}
        )
        return [_membership_from(e) for e in entities]


def tenants_of(
    principal: str, registry: TenantRegistry, memberships: MembershipStore
) -> list[tuple[Tenant, Role]]:
    """The registered tenants `principal` has a role on, with that role, by display name."""
    roles = {m.tenant_id: m.role for m in memberships.for_principal(principal)}
    if not roles:
        return []
    found = [(t, roles[t.tenant_id]) for t in registry.list() if t.tenant_id in roles]
    return sorted(found, key=lambda pair: (pair[0].display_name.lower(), pair[0].tenant_id))


def _membership_from(entity: TableEntity) -> Membership:
    return Membership(
        entity["PartitionKey"],
        entity["RowKey"],
        Role(entity["Role"]),
        entity["GrantedBy"],
        entity["GrantedAt"],
    )
