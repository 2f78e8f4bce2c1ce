"""Fixtures for the Intune catalog and capture: the session graphsim reset per test, a real Graph
client (MSAL, requests, the graphsim CA), and an Azurite storage account with its own name prefix."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from local.graphsim.testing import GraphSim
from shared.graph import ClientSecret, GraphClient, GraphClientConfig, RetryPolicy


@pytest.fixture
def tenant_id(sim: GraphSim) -> str:
    return sim.tenants[0].id


@pytest.fixture
def client(sim: GraphSim, tenant_id: str) -> GraphClient:
    """The production Graph client for the first demo tenant, as the secret app."""
    app = sim.secret_app
    assert app.client_secret is not None
    config = GraphClientConfig(
        graph_base_url=sim.base_url,
        login_base_url=sim.base_url,
        tenant_id=tenant_id,
        client_id=app.client_id,
        credential=ClientSecret(app.client_secret),
        ca_bundle=sim.ca_file,
        retry=RetryPolicy(base_delay=0.05, max_delay=1.0, max_total_wait=10.0),
    )
    return GraphClient(config)


@pytest.fixture
def sim_objects(sim: GraphSim, tenant_id: str) -> Callable[[str], list[dict[str, Any]]]:
    """What graphsim holds for a collection (`deviceManagement/deviceConfigurations`), via its admin API."""

    def objects(collection: str) -> list[dict[str, Any]]:
        state = sim.admin.tenant_state(tenant_id)
        found: list[dict[str, Any]] = state["collections"][collection]
        return found

    return objects


@pytest.fixture
def graph_requests(sim: GraphSim, tenant_id: str) -> Callable[[], list[dict[str, Any]]]:
    """Graph requests graphsim logged for the tenant since the test began, inner `$batch` ones included."""
    sim.admin.clear_log()

    def logged() -> list[dict[str, Any]]:
        entries: list[dict[str, Any]] = sim.admin.log(tenant=tenant_id, kind="graph")
        return entries

    return logged


@pytest.fixture
def settings_policy() -> Callable[[int], dict[str, Any]]:
    """Builds a settings catalog policy as graphsim stores it, with `count` distinct settings."""

    def build(count: int) -> dict[str, Any]:
        return {
            "name": f"WIN - {count} settings",
            "description": "",
            "platforms": "windows10",
            "technologies": "mdm",
            "roleScopeTagIds": ["0"],
            "settings": [
                {
                    "id": str(index),
                    "settingInstance": {
                        "@odata.type": "#microsoft.graph.deviceManagementConfigurationChoiceSettingInstance",
                        "settingDefinitionId": f"device_vendor_msft_policy_config_test_setting{index:03d}",
                        "choiceSettingValue": {
                            "value": f"device_vendor_msft_test_{index:03d}_1",
                            "children": [],
                        },
                    },
                }
                for index in range(count)
            ],
            "assignments": [],
        }

    return build
