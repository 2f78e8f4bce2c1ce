"""The registry of managed tenants, in Table Storage.

Tenants live in one partition (an MSP manages hundreds, not millions: listing them is one
query). A tenant record holds a *reference* to its Graph credential, never the secret, and the
outcome of its last verification (`TenantHealth`: consent, permissions, a Graph probe).
Who holds which role on a tenant is auth's (`shared.auth.memberships`): this module imports
nothing of `shared.auth`, so auth can build on the registry without a cycle.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

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


class HealthStatus(StrEnum):
    """What the last verification found (`shared.onboarding.verify`)."""

    UNVERIFIED = "unverified"
    """Never verified (registered before verification existed, or just added)."""
    HEALTHY = "healthy"
    CONSENT_MISSING = "consent_missing"
    """The app is not consented in the tenant (AADSTS700016): send the admin consent link."""
    PERMISSIONS_MISSING = "permissions_missing"
    """Consented, but without some application permissions a capability needs."""
    UNREACHABLE = "unreachable"
    """No token (other than missing consent), or Graph did not answer."""
    DISABLED = "disabled"


@dataclass(frozen=True)
class TenantHealth:
    status: HealthStatus = HealthStatus.UNVERIFIED
    checked_at: datetime | None = None
    missing_permissions: tuple[str, ...] = ()
    detail: str | None = None
    """What was found, e.g. the AADSTS code or Graph's answer; redacted, never a secret."""
    capabilities: dict[str, bool] = field(default_factory=dict)
    """Per capability (backup, restore, ...), whether the consented permissions allow it."""

    def to_api(self) -> dict[str, Any]:
        return {
            "status": str(self.status),
            "checkedAt": self.checked_at.isoformat() if self.checked_at else None,
            "missingPermissions": list(self.missing_permissions),
            "capabilities": dict(self.capabilities),
            "detail": self.detail,
        }


class TenantNotReady(ProblemError):
    status = 409
    code = "tenant.not_ready"
    title = "The tenant's last verification found that it cannot do this."


_BLOCKING = frozenset({HealthStatus.CONSENT_MISSING, HealthStatus.UNREACHABLE})


def require_ready(tenant: Tenant, capability: str) -> None:
    """Fail fast with the reason the last verification recorded: consent missing, unreachable, or the
    permissions `capability` needs missing. A tenant never verified (or healthy) passes: the job itself
    will say what fails."""
    health = tenant.health
    blocked = health.status in _BLOCKING or (
        health.status is HealthStatus.PERMISSIONS_MISSING and not health.capabilities.get(capability, False)
    )
    if not blocked:
        return
    when = health.checked_at.isoformat() if health.checked_at else "earlier"
    raise TenantNotReady(
        f"Tenant {tenant.tenant_id} was verified {when} as {health.status}"
        + (f" (missing: {', '.join(health.missing_permissions)})" if health.missing_permissions else "")
        + f"; fix that, then POST /api/tenants/{tenant.tenant_id}/verify.",
        health=health.to_api(),
    )


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
    health: TenantHealth = field(default_factory=TenantHealth)
    etag: str | None = None

    def to_api(self) -> dict[str, Any]:
        return {
            "tenantId": self.tenant_id,
            "displayName": self.display_name,
            "cloud": self.cloud,
            "credentialRef": self.credential_ref,
            "status": str(self.status),
            "createdAt": self.created_at.isoformat(),
            "health": self.health.to_api(),
        }


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
            check_display_name(display_name),
            check_cloud(cloud),
            check_credential_ref(credential_ref),
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
        return self.update(tenant_id, status=status)

    def update(
        self, tenant_id: str, *, display_name: str | None = None, status: TenantStatus | None = None
    ) -> Tenant:
        """Rename, disable or enable; every value is checked before anything is written."""
        tenant = self.require(tenant_id)
        changes: dict[str, Any] = {}
        if display_name is not None:
            changes["DisplayName"] = check_display_name(display_name)
        if status is not None:
            changes["Status"] = str(TenantStatus(status))
        if changes:
            entity = {"PartitionKey": _TENANTS_PARTITION, "RowKey": tenant.tenant_id, **changes}
            self._table.update_entity(entity, mode=UpdateMode.MERGE)
        return self.require(tenant_id)

    def record_health(self, tenant_id: str, health: TenantHealth) -> Tenant:
        """Store a verification's outcome (a tenant removed meanwhile stays removed: TenantNotFound)."""
        tenant = self.require(tenant_id)
        entity = {"PartitionKey": _TENANTS_PARTITION, "RowKey": tenant.tenant_id, **_health_columns(health)}
        try:
            self._table.update_entity(entity, mode=UpdateMode.MERGE)
        except ResourceNotFoundError:
            raise TenantNotFound(f"Tenant {tenant.tenant_id} is not registered.") from None
        return replace(tenant, health=health)

    def delete(self, tenant_id: str) -> None:
        """Remove the record (its runs, backups and audit trail are other tables and stay)."""
        tenant = self.require(tenant_id)
        try:
            self._table.delete_entity(_TENANTS_PARTITION, tenant.tenant_id)
        except ResourceNotFoundError:
            raise TenantNotFound(f"Tenant {tenant.tenant_id} is not registered.") from None

    def list(self) -> list[Tenant]:
        entities = self._table.query_entities("PartitionKey eq @pk", parameters={"pk": _TENANTS_PARTITION})
        return [_tenant_from(e) for e in entities]


def check_display_name(value: str) -> str:
    value = value.strip()
    if not value or len(value) > _MAX_DISPLAY_NAME:
        raise InvalidTenant(f"The display name needs 1 to {_MAX_DISPLAY_NAME} characters.")
    return value


def check_cloud(value: str) -> str:
    if value not in CLOUDS:
        raise InvalidTenant(f"Unknown cloud {value!r}; use one of {', '.join(CLOUDS)}.")
    return value


def check_credential_ref(value: str) -> str:
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


def _health_columns(health: TenantHealth) -> dict[str, Any]:
    return {
        "HealthStatus": str(health.status),
        "HealthCheckedAt": health.checked_at,
        "HealthMissing": json.dumps(list(health.missing_permissions)),
        "HealthCapabilities": json.dumps(health.capabilities, sort_keys=True),
        "HealthDetail": health.detail or "",
    }


def _health_from(entity: TableEntity) -> TenantHealth:
    """Records written before verification existed have no health columns: unverified."""
    if "HealthStatus" not in entity:
        return TenantHealth()
    return TenantHealth(
        HealthStatus(entity["HealthStatus"]),
        entity.get("HealthCheckedAt"),
        tuple(json.loads(entity.get("HealthMissing") or "[]")),
        entity.get("HealthDetail") or None,
        dict(json.loads(entity.get("HealthCapabilities") or "{}")),
    )


def _tenant_from(entity: TableEntity) -> Tenant:
    return Tenant(
        entity["RowKey"],
        entity["DisplayName"],
        entity["Cloud"],
        entity["CredentialRef"],
        TenantStatus(entity["Status"]),
        entity["CreatedAt"],
        _health_from(entity),
        entity.metadata.get("etag"),
    )
