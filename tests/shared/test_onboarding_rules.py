"""Pure rules of onboarding and roles: what each capability needs, the token claims behind group and
platform roles, and the request bodies (no servers)."""

from __future__ import annotations

import uuid

import pytest

from local.graphsim.intune.permissions import AREAS
from local.graphsim.profiles import ALL_INTUNE_PERMISSIONS
from shared.auth.authorize import is_platform_admin
from shared.auth.principal import principal_from_claims
from shared.onboarding import bodies
from shared.onboarding.permissions import ALL_PERMISSIONS, CAPABILITIES, assess, missing_for

OID = "0b6f1c9e-2a3d-4e5f-8a7b-6c5d4e3f2a1b"


def test_a_full_consent_allows_every_capability_and_read_only_allows_backup_alone() -> None:
    assert assess(ALL_INTUNE_PERMISSIONS) == ({name: True for name in CAPABILITIES}, ())
    read_only = frozenset(r.permission for r in CAPABILITIES["backup"])
    capabilities, missing = assess(read_only)
    assert capabilities == {"backup": True, "restore": False, "scripts": False, "apps": False}
    assert "DeviceManagementConfiguration.ReadWrite.All" in missing
    assert missing_for("backup", frozenset()) == tuple(sorted(read_only))


def test_every_permission_a_capability_names_opens_a_graph_area_as_graph_decides() -> None:
    """A capability never asks for a permission Graph would not accept for reading or writing something."""
    accepted = {scope for area in AREAS.values() for scope in (*area.read, *area.write)}
    assert accepted >= ALL_PERMISSIONS


def test_roles_groups_and_the_overage_claim_come_from_the_token() -> None:
    group = str(uuid.uuid4()).upper()
    principal = principal_from_claims(
        {"oid": OID, "scp": "access_as_user", "roles": ["msp.admin", 7], "groups": [group, "not-a-guid"]}
    )
    assert is_platform_admin(principal)
    assert principal.groups == frozenset({group.lower()})
    overage = principal_from_claims({"oid": OID, "scp": "x", "_claim_names": {"groups": "src1"}})
    assert overage.groups_overage and not overage.groups and not is_platform_admin(overage)
    assert principal_from_claims({"oid": OID, "scp": "x", "hasgroups": True}).groups_overage


@pytest.mark.parametrize(
    "raw",
    [b"", b"[]", b'{"role": "reader", "extra": 1}', b'{"role": 1}', b'{"role": "owner"}', b"x" * 20_000],
)
def test_a_bad_role_body_is_refused_before_anything_is_read(raw: bytes) -> None:
    with pytest.raises(bodies.InvalidOnboardingRequest):
        bodies.role_grant(raw)


def test_a_tenant_body_is_parsed_strictly() -> None:
    parsed = bodies.new_tenant(b'{"tenant": " contoso.com ", "displayName": "C", "credentialRef": "msp-app"}')
    assert (parsed.tenant, parsed.cloud) == ("contoso.com", "public")
    with pytest.raises(bodies.InvalidOnboardingRequest):
        bodies.tenant_changes(b"{}")
    assert bodies.tenant_changes(b'{"status": "disabled"}').status == "disabled"
