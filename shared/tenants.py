"""The registry of managed tenants and who holds which role on them, in Table Storage.

Tenants live in one partition (an MSP manages hundreds, not millions: listing them is one
query). Memberships are keyed principal / tenant, so "the tenants I have a role on" is one
partition query and the check on every request is one point read.
A tenant record holds a *reference* to its Graph credential, never the secret.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from azure.core.exceptions import ResourceExistsError, ResourceNotFoundError
from azure.data.tables import TableEntity, UpdateMode

from shared.auth.principal import parse_principal_key
from shared.auth.roles import Role
from shared.graph.config import CLOUDS
from shared.graph.credentials import CREDENTIAL_REF
from shared.http.problems import ProblemError
from shared.storage import StorageAccount, names

_TENANTS_PARTITION = "tenant"
_MAX_DISPLAY_NAME = 256


class TenantStatus(StrEnum):
    ACTIVE = "active"
    DISABLED = "disabled"
    """Kept with its history; no new job may start for it."""


class InvalidTenantId(ProblemError):
    status = 400
    code = "tenant.invalid_id"
    title = "The tenant ID is not an Entra tenant ID (a GUID)."


class InvalidTenant(ProblemError):
    status = 400
    code = "tenant.invalid"
    title = "The tenant record is invalid."


class TenantExists(ProblemError):
    status = 409
    code = "tenant.exists"
    title = "The tenant is registered already."


class TenantNotFound(ProblemError):
    status = 404
    code = "tenant.not_found"
    title = "No such managed tenant."


class InvalidPrincipal(ProblemError):
    status = 400
    code = "membership.invalid_principal"
    title = "A principal is named `user:<object id>` or `app:<client id>`."


@dataclass(frozen=True)
class Tenant:
    tenant_id: str
    display_name: str
    cloud: str
    credential_ref: str
    """Names the Graph credential (Key Vault secrets in Azure, GRAPH_CREDENTIAL__* locally)."""
    status: TenantStatus
    created_at: datetime


@dataclass(frozen=True)
class Membership:
    principal: str
    """A principal key, `user:<oid>` or `app:<client id>`."""
    tenant_id: str
    role: Role
    granted_by: str
    granted_at: datetime


def normalize_tenant_id(value: str) -> str:
    """The canonical (lower-case, hyphenated) form of a tenant GUID; raises InvalidTenantId."""
    try:
        return str(uuid.UUID(value))
    except (ValueError, AttributeError, TypeError):
        raise InvalidTenantId(f"{str(value)[:64]!r} is not a GUID.") from None


def normalize_principal(value: str) -> str:
    try:
        kind, ident = parse_principal_key(value)
    except ValueError:
        raise InvalidPrincipal(f"{value[:80]!r} is not a principal key.") from None
    return f"{kind}:{ident}"


class TenantRegistry:
    def __init__(self, account: StorageAccount) -> None:
        self._table = account.table(names.TENANTS)

    def add(
        self,
        tenant_id: str,
        display_name: str,
        cloud: str,
        credential_ref: str,
        *,
        status: TenantStatus = TenantStatus.ACTIVE,
    ) -> Tenant:
        """Register a tenant; raises TenantExists when it is registered already (never overwrites)."""
        tenant = Tenant(
            normalize_tenant_id(tenant_id),
            _display_name(display_name),
            _cloud(cloud),
            _credential_ref(credential_ref),
            TenantStatus(status),
            datetime.now(UTC),
        )
        try:
            self._table.create_entity(_tenant_entity(tenant))
        except ResourceExistsError:
            raise TenantExists(f"Tenant {tenant.tenant_id} is registered already.") from None
        return tenant

    def get(self, tenant_id: str) -> Tenant | None:
        try:
            entity = self._table.get_entity(_TENANTS_PARTITION, normalize_tenant_id(tenant_id))
        except ResourceNotFoundError:
            return None
        return _tenant_from(entity)

    def require(self, tenant_id: str) -> Tenant:
        tenant = self.get(tenant_id)
        if tenant is None:
            raise TenantNotFound(f"Tenant {tenant_id} is not registered.")
        return tenant

    def set_status(self, tenant_id: str, status: TenantStatus) -> Tenant:
        tenant = self.require(tenant_id)
        entity = {"PartitionKey": _TENANTS_PARTITION, "RowKey": tenant.tenant_id, "Status": str(status)}
        self._table.update_entity(entity, mode=UpdateMode.MERGE)
        return self.require(tenant_id)

    def list(self) -> list[Tenant]:
        entities = self._table.query_entities("PartitionKey eq @pk", parameters={"pk": _TENANTS_PARTITION})
        return [_tenant_from(e) for e in entities]


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


def _display_name(value: str) -> str:
    value = value.strip()
    if not value or len(value) > _MAX_DISPLAY_NAME:
        raise InvalidTenant(f"The display name needs 1 to {_MAX_DISPLAY_NAME} characters.")
    return value


def _cloud(value: str) -> str:
    if value not in CLOUDS:
        raise InvalidTenant(f"Unknown cloud {value!r}; use one of {', '.join(CLOUDS)}.")
    return value


def _credential_ref(value: str) -> str:
    if not CREDENTIAL_REF.fullmatch(value):
        raise InvalidTenant(
            "A credential reference is lower-case letters, digits and inner hyphens (up to 63), "
            "e.g. `msp-app`; it names the credential, it is never the secret."
        )
    return value


def _tenant_entity(tenant: Tenant) -> dict[str, object]:
    return {
        "PartitionKey": _TENANTS_PARTITION,
        "RowKey": tenant.tenant_id,
        "DisplayName": tenant.display_name,
        "Cloud": tenant.cloud,
        "CredentialRef": tenant.credential_ref,
        "Status": str(tenant.status),
        "CreatedAt": tenant.created_at,
    }


def _tenant_from(entity: TableEntity) -> Tenant:
    return Tenant(
        entity["RowKey"],
        entity["DisplayName"],
        entity["Cloud"],
        entity["CredentialRef"],
        TenantStatus(entity["Status"]),
        entity["CreatedAt"],
    )


def _membership_from(entity: TableEntity) -> Membership:
    return Membership(
        entity["PartitionKey"],
        entity["RowKey"],
        Role(entity["Role"]),
        entity["GrantedBy"],
        entity["GrantedAt"],
    )
