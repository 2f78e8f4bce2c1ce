"""Tenant registry and memberships against Azurite."""

from __future__ import annotations

import pytest

from shared.auth.memberships import InvalidPrincipal, MembershipStore, tenants_of
from shared.auth.roles import Role
from shared.storage import StorageAccount, names
from shared.tenants import (
    InvalidTenant,
    InvalidTenantId,
    TenantExists,
    TenantNotFound,
    TenantRegistry,
    TenantStatus,
)

CONTOSO = "8f1c2d3e-4b5a-4c6d-8e7f-9a0b1c2d3e4f"
FABRIKAM = "1a2b3c4d-5e6f-4a8b-9c0d-1e2f3a4b5c6d"
ALICE = "user:0b6f1c9e-2a3d-4e5f-8a7b-6c5d4e3f2a1b"


@pytest.fixture
def registry(storage: StorageAccount) -> TenantRegistry:
    return TenantRegistry(storage)


@pytest.fixture
def memberships(storage: StorageAccount, registry: TenantRegistry) -> MembershipStore:
    return MembershipStore(storage, registry)


def test_add_and_read_a_tenant_with_a_credential_reference(registry: TenantRegistry) -> None:
    added = registry.add(CONTOSO.upper(), " Contoso ", "usgov", "msp-app")
    assert added.tenant_id == CONTOSO, "stored in canonical form"
    found = registry.get(CONTOSO)
    assert found is not None
    assert (found.display_name, found.cloud, found.credential_ref, found.status) == (
        "Contoso",
        "usgov",
        "msp-app",
        TenantStatus.ACTIVE,
    )
    assert registry.get(FABRIKAM) is None


def test_a_tenant_is_never_overwritten(registry: TenantRegistry) -> None:
    registry.add(CONTOSO, "Contoso", "public", "msp-app")
    with pytest.raises(TenantExists):
        registry.add(CONTOSO, "Someone else", "public", "other")
    tenant = registry.get(CONTOSO)
    assert tenant is not None and tenant.display_name == "Contoso"


@pytest.mark.parametrize(
    ("tenant_id", "cloud", "ref", "error"),
    [
        ("contoso.onmicrosoft.com", "public", "msp-app", InvalidTenantId),
        (CONTOSO, "mars", "msp-app", InvalidTenant),
        (CONTOSO, "public", "abc8Q~this-looks-like-a-secret", InvalidTenant),
        (CONTOSO, "public", "Has Spaces", InvalidTenant),
    ],
)
def test_invalid_tenant_records_are_refused(
    registry: TenantRegistry, tenant_id: str, cloud: str, ref: str, error: type[Exception]
) -> None:
    with pytest.raises(error):
        registry.add(tenant_id, "Contoso", cloud, ref)


def test_disable_a_tenant(registry: TenantRegistry) -> None:
    registry.add(CONTOSO, "Contoso", "public", "msp-app")
    assert registry.set_status(CONTOSO, TenantStatus.DISABLED).status is TenantStatus.DISABLED
    with pytest.raises(TenantNotFound):
        registry.set_status(FABRIKAM, TenantStatus.DISABLED)


def test_grant_replace_and_revoke_roles(registry: TenantRegistry, memberships: MembershipStore) -> None:
    registry.add(CONTOSO, "Contoso", "public", "msp-app")
    memberships.grant(ALICE, CONTOSO, Role.READER, "user:admin")
    memberships.grant(ALICE.upper().replace("USER", "user"), CONTOSO, "operator", "user:admin")
    membership = memberships.get(ALICE, CONTOSO)
    assert membership is not None and membership.role is Role.OPERATOR
    assert membership.granted_by == "user:admin"
    memberships.revoke(ALICE, CONTOSO)
    assert memberships.get(ALICE, CONTOSO) is None


def test_grant_needs_a_registered_tenant_and_a_principal_key(
    registry: TenantRegistry, memberships: MembershipStore
) -> None:
    with pytest.raises(TenantNotFound):
        memberships.grant(ALICE, CONTOSO, Role.ADMIN, "user:admin")
    registry.add(CONTOSO, "Contoso", "public", "msp-app")
    with pytest.raises(InvalidPrincipal):
        memberships.grant("alice@contoso.com", CONTOSO, Role.ADMIN, "user:admin")
    with pytest.raises(ValueError, match="superuser"):
        memberships.grant(ALICE, CONTOSO, "superuser", "user:admin")


def test_tenants_of_a_principal_is_one_partition(
    registry: TenantRegistry, memberships: MembershipStore, storage: StorageAccount
) -> None:
    registry.add(CONTOSO, "Contoso", "public", "msp-app")
    registry.add(FABRIKAM, "fabrikam", "public", "msp-app")
    registry.add("99999999-8888-4777-8666-555555555555", "Not mine", "public", "msp-app")
    memberships.grant(ALICE, FABRIKAM, Role.ADMIN, "user:admin")
    memberships.grant(ALICE, CONTOSO, Role.READER, "user:admin")
    memberships.grant("app:3c1e5b7a-9d2f-4e6a-8b0c-1d2e3f4a5b6c", CONTOSO, Role.OPERATOR, "user:admin")
    mine = tenants_of(ALICE, registry, memberships)
    assert [(t.display_name, r) for t, r in mine] == [("Contoso", Role.READER), ("fabrikam", Role.ADMIN)]
    table = storage.table(names.MEMBERSHIPS)
    rows = list(table.query_entities("PartitionKey eq @p", parameters={"p": ALICE}))
    assert {row["RowKey"] for row in rows} == {CONTOSO, FABRIKAM}
    assert tenants_of("user:00000000-0000-0000-0000-000000000000", registry, memberships) == []


def test_role_order() -> None:
    assert Role.ADMIN.includes(Role.OPERATOR) and Role.OPERATOR.includes(Role.READER)
    assert not Role.READER.includes(Role.OPERATOR) and not Role.OPERATOR.includes(Role.ADMIN)
