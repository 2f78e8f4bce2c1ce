"""A simulator tenant of a test's own, registered in the app with one principal's role on it, so a test
that starts many runs (contract fuzzing, a CLI backing up every tenant) disturbs no other test's tenant."""

from __future__ import annotations

from collections.abc import Mapping

from local.apptesting import App
from local.stack import GRAPHSIM_CREDENTIAL_REF
from shared.auth.memberships import MembershipStore
from shared.auth.roles import Role
from shared.tenants import TenantRegistry


def register_own_tenant(
    app: App, name: str, grants: Mapping[str, Role], seed: str | Mapping[str, int] = "defaults"
) -> str:
    """A new simulator tenant (consented to the app's Graph credential) registered as `name`;
    `grants` maps demo principal names to their role on it."""
    tenant_id = app.graphsim.admin.create_tenant(name=name, seed=seed)
    for sim_app in app.graphsim.apps:
        app.graphsim.admin.consent(tenant_id, sim_app.client_id, sim_app.roles)
    registry = TenantRegistry(app.storage)
    registry.add(tenant_id, name, "public", GRAPHSIM_CREDENTIAL_REF)
    memberships = MembershipStore(app.storage, registry)
    for principal, role in grants.items():
        memberships.grant(app.principal_key(principal), tenant_id, role, "e2e")
    return tenant_id
