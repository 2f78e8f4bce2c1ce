"""Fixtures for the restore engine: production Graph clients (MSAL, requests, graphsim's CA) for the
`demo` tenant and for a fresh tenant holding only Intune's defaults, and a capture of a whole tenant."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import pytest

from local.graphsim.testing import GraphSim
from shared.graph import ClientSecret, GraphClient, GraphClientConfig, RetryPolicy
from shared.graph.pacing import PacingPolicy
from shared.intune import TYPES, CapturedPolicy, ObjectType, capture_policies_batched, listing

MakeClient = Callable[[str], GraphClient]
Capture = Callable[[GraphClient, list[str]], dict[str, list[CapturedPolicy]]]
_names = itertools.count(1)


@pytest.fixture
def make_client(sim: GraphSim) -> MakeClient:
    """A client for a graphsim tenant as the secret app; no client-side pacing (graphsim throttling
    is switched off by the tests that write a lot, so the run time is Graph's work, not waiting)."""

    def make(tenant_id: str) -> GraphClient:
        app = sim.secret_app
        assert app.client_secret is not None
        return GraphClient(
            GraphClientConfig(
                graph_base_url=sim.base_url,
                login_base_url=sim.base_url,
                tenant_id=tenant_id,
                client_id=app.client_id,
                credential=ClientSecret(app.client_secret),
                ca_bundle=sim.ca_file,
                retry=RetryPolicy(base_delay=0.05, max_delay=1.0, max_total_wait=10.0),
                pacing=PacingPolicy(enabled=False),
            )
        )

    return make


@pytest.fixture
def demo_tenant(sim: GraphSim) -> str:
    return sim.tenants[0].id


@pytest.fixture
def empty_tenant(sim: GraphSim) -> str:
    """A new tenant with only Intune's built-in defaults, the secret app consented as in the profile."""
    tenant_id = sim.admin.create_tenant(name=f"Empty restore target {next(_names)}", seed="defaults")
    app = sim.secret_app
    sim.admin.consent(tenant_id, app.client_id, app.roles)
    return tenant_id


@pytest.fixture
def customer_tenant(sim: GraphSim, demo_tenant: str, empty_tenant: str) -> str:
    """An empty tenant holding the demo tenant's groups under the same names and new IDs, as a
    customer's tenant has its own groups (restore never creates groups, and an item that excludes a
    group the target lacks is not written at all)."""
    for group in sim.admin.tenant_state(demo_tenant)["collections"]["groups"]:
        sim.admin.put_object(empty_tenant, "groups", {k: v for k, v in group.items() if k != "id"})
    return empty_tenant


@pytest.fixture
def no_throttle(sim: GraphSim) -> None:
    sim.admin.set_throttle(enabled=False)


@pytest.fixture
def capture() -> Capture:
    """Captures every object of the given types of a tenant, as a backup does."""
    return capture_tenant


def list_objects(client: GraphClient, entry: ObjectType) -> list[dict[str, Any]]:
    """What a backup lists for one type (all pages), the catalog's skip rules applied."""
    objects = listing.list_objects(client, entry)
    return [obj for obj in objects if entry.skip is None or not entry.skip.applies_to(obj)]


def capture_tenant(client: GraphClient, types: list[str]) -> dict[str, list[CapturedPolicy]]:
    """Every object of the given types, captured as a backup captures them."""
    captured: dict[str, list[CapturedPolicy]] = {}
    for name in types:
        entry = next(entry for entry in TYPES if entry.name == name)
        listed = {str(obj["id"]): obj for obj in list_objects(client, entry)}
        results = capture_policies_batched(client, name, list(listed), listed)
        assert all(isinstance(result, CapturedPolicy) for result in results), results
        captured[name] = [result for result in results if isinstance(result, CapturedPolicy)]
    return captured
