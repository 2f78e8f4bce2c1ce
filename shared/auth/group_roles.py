"""Entra groups mapped to tenant roles: a member of the group holds the role on the tenant.

Keyed tenant / group object ID, so the check of a caller without a direct membership is one
partition query (a tenant has a handful of mappings) intersected with the token's `groups` claim,
and "the tenants my groups reach" is one query of a small table.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from azure.core.exceptions import ResourceNotFoundError
from azure.data.tables import TableEntity, UpdateMode

from shared.auth.roles import Role
from shared.http.problems import ProblemError
from shared.storage import StorageAccount, names
from shared.tenants import TenantRegistry, normalize_tenant_id


class InvalidGroupId(ProblemError):
    status = 400
    code = "group_role.invalid_group"
    title = "A group is named by its Entra object ID (a GUID)."


@dataclass(frozen=True)
class GroupRole:
    tenant_id: str
    group_id: str
    role: Role
    granted_by: str
    granted_at: datetime

    def to_api(self) -> dict[str, str]:
        return {
            "tenantId": self.tenant_id,
            "groupId": self.group_id,
            "role": str(self.role),
            "grantedBy": self.granted_by,
            "grantedAt": self.granted_at.isoformat(),
        }


def normalize_group_id(value: str) -> str:
    try:
        return str(uuid.UUID(value))
    except (ValueError, AttributeError, TypeError):
        raise InvalidGroupId(f"{str(value)[:64]!r} is not a GUID.") from None


class GroupRoleStore:
    def __init__(self, account: StorageAccount, registry: TenantRegistry) -> None:
        self._table = account.table(names.GROUP_ROLES)
        self._registry = registry

    def grant(self, tenant_id: str, group_id: str, role: Role, granted_by: str) -> GroupRole:
        """Map the group to `role` on a registered tenant, replacing any role it had there."""
        tenant = self._registry.require(tenant_id)
        mapping = GroupRole(
            tenant.tenant_id, normalize_group_id(group_id), Role(role), granted_by, datetime.now(UTC)
        )
        self._table.upsert_entity(
            {
                "PartitionKey": mapping.tenant_id,
                "RowKey": mapping.group_id,
                "Role": str(mapping.role),
                "GrantedBy": granted_by,
                "GrantedAt": mapping.granted_at,
            },
            mode=UpdateMode.REPLACE,
        )
        return mapping

    def get(self, tenant_id: str, group_id: str) -> GroupRole | None:
        try:
            entity = self._table.get_entity(normalize_tenant_id(tenant_id), normalize_group_id(group_id))
        except ResourceNotFoundError:
            return None
        return _from(entity)

    def revoke(self, tenant_id: str, group_id: str) -> None:
        self._table.delete_entity(normalize_tenant_id(tenant_id), normalize_group_id(group_id))

    def for_tenant(self, tenant_id: str) -> list[GroupRole]:
        entities = self._table.query_entities(
            "PartitionKey eq @pk", parameters={"pk": normalize_tenant_id(tenant_id)}
        )
        return sorted((_from(e) for e in entities), key=lambda mapping: mapping.group_id)

    def best_for(self, tenant_id: str, groups: frozenset[str]) -> GroupRole | None:
        """The highest role any of `groups` holds on the tenant."""
        if not groups:
            return None
        held = [mapping for mapping in self.for_tenant(tenant_id) if mapping.group_id in groups]
        return max(held, key=lambda mapping: mapping.role.rank, default=None)

    def tenants_of(self, groups: frozenset[str]) -> dict[str, Role]:
        """The highest role per tenant that any of `groups` holds."""
        if not groups:
            return {}
        best: dict[str, Role] = {}
        for entity in self._table.list_entities():
            mapping = _from(entity)
            if mapping.group_id not in groups:
                continue
            current = best.get(mapping.tenant_id)
            if current is None or mapping.role.rank > current.rank:
                best[mapping.tenant_id] = mapping.role
        return best

    def remove_tenant(self, tenant_id: str) -> int:
        """Drop every mapping of an off-boarded tenant; how many there were."""
        mappings = self.for_tenant(tenant_id)
        for mapping in mappings:
            self._table.delete_entity(mapping.tenant_id, mapping.group_id)
        return len(mappings)


def _from(entity: TableEntity) -> GroupRole:
    return GroupRole(
        entity["PartitionKey"],
        entity["RowKey"],
        Role(entity["Role"]),
        entity["GrantedBy"],
        entity["GrantedAt"],
    )
