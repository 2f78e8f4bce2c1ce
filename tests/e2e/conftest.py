"""End-to-end fixtures: the PRODUCT app on a devhost subprocess, with Azurite and graphsim, and
callers holding real tokens signed by a dev key that only this session's devhost trusts.

Tenants A and B are graphsim tenants registered in the app's storage (a prefix of its own in the
session's Azurite). alice is operator and rita reader on A; bob is operator on B.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import pytest

from local.apptesting import OPERATOR_A, OPERATOR_B, READER_A, App
from local.azurite import AzuriteEndpoints
from local.devhost.testing import REPO_ROOT, start_devhost
from local.graphsim.testing import GraphSim
from local.stack import GRAPHSIM_CREDENTIAL_REF, graphsim_settings
from local.tokens import demo_object_id, ensure_dev_signing_key
from shared.auth.memberships import MembershipStore
from shared.auth.roles import Role
from shared.config.settings import DEV_AUDIENCE, DEV_AUTH_FOLDER, DEV_ISSUER
from shared.storage import StorageAccount, StorageConfig
from shared.tenants import TenantRegistry


@pytest.fixture(scope="session")
def app(
    azurite: AzuriteEndpoints, graphsim: GraphSim, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[App]:
    state_dir = tmp_path_factory.mktemp("e2e-app")
    key = ensure_dev_signing_key(state_dir / DEV_AUTH_FOLDER)
    prefix = "e2e" + secrets.token_hex(4)
    settings = {
        "TENANTATLAS_ENVIRONMENT": "local",
        "TENANTATLAS_AUTH_DEV_MODE": "true",
        "TENANTATLAS_AUTH_AUDIENCE": DEV_AUDIENCE,
        "TENANTATLAS_AUTH_ISSUERS": DEV_ISSUER,
        "TENANTATLAS_STATE_DIR": str(state_dir),
        "TENANTATLAS_STORAGE_PREFIX": prefix,
        **graphsim_settings(graphsim.state_dir / "credentials.json"),
        # Webhook retries a second apart (then 4 s), three attempts: tests see a delivery fail in seconds.
        "TENANTATLAS_WEBHOOK_RETRY_SECONDS": "1",
        "TENANTATLAS_WEBHOOK_MAX_ATTEMPTS": "3",
    }
    storage = StorageAccount(StorageConfig(connection_string=azurite.connection_string, name_prefix=prefix))
    tenant_a, tenant_b = graphsim.tenants[0].id, graphsim.tenants[1].id
    registry = TenantRegistry(storage)
    memberships = MembershipStore(storage, registry)
    for sim_tenant in graphsim.tenants[:2]:
        registry.add(sim_tenant.id, sim_tenant.name, "public", GRAPHSIM_CREDENTIAL_REF)
    for principal, tenant, role in (
        (OPERATOR_A, tenant_a, Role.OPERATOR),
        (READER_A, tenant_a, Role.READER),
        (OPERATOR_B, tenant_b, Role.OPERATOR),
    ):
        memberships.grant(f"user:{demo_object_id(principal)}", tenant, role, "e2e")
    devhost = start_devhost(REPO_ROOT, state_dir / "devhost", azurite.connection_string, settings=settings)
    try:
        yield App(devhost, storage, graphsim, key, tenant_a, tenant_b)
    finally:
        devhost.stop()
        storage.close()


@pytest.fixture
def clean_graph(app: App) -> Iterator[GraphSim]:
    """No faults, latency or throttling left over from another test, before and after."""
    app.graphsim.admin.set_faults(rules=[], rate_503=0, rate_504=0, rate_drop=0)
    app.graphsim.admin.set_throttle(enabled=False)
    yield app.graphsim
    app.graphsim.admin.set_latency(base_ms=0)
    app.graphsim.admin.set_faults(rules=[], rate_503=0, rate_504=0, rate_drop=0)
    app.graphsim.admin.set_throttle(enabled=True, scale=1.0, window_seconds=20)
