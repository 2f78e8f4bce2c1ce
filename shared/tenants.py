"""The registry of managed tenants, in Table Storage.

Tenants live in one partition (an MSP manages hundreds, not millions: listing them is one
query). A tenant record holds a *reference* to its Graph credential, never the secret.
Who holds which role on a tenant is auth's (`shared.auth.memberships`): this module imports
nothing of `shared.auth`, so auth can build on the registry without a cycle.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from azure.core.exceptions import ResourceExistsError, ResourceNotFoundError
from azure.data.tables import TableEntity, UpdateMode

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


@dataclass(frozen=True)
class Tenant:
    tenant_id: str
    display_name: str
    cloud: str
    credential_ref: str
    """Names the Graph credential (Key Vault secrets in Azure, GRAPH_CREDENTIAL__* locally)."""
    status: TenantStatus
    created_at: datetime


def normalize_tenant_id(value: str) -> str:
    """The canonical (lower-case, hyphenated) form of a tenant GUID; raises InvalidTenantId."""
    try:
        return str(uuid.UUID(value))
    except (ValueError, AttributeError, TypeError):
        raise InvalidTenantId(f"{str(value)[:64]!r} is not a GUID.") from None


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
