"""Paging follows graphsim's `@odata.nextLink` as given: settings catalog settings come 25 per page."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from local.graphsim.testing import GraphSim
from shared.graph import GraphClient, GraphNotFound

POLICIES = "deviceManagement/configurationPolicies"


def _setting(n: int) -> dict[str, Any]:
    return {
        "id": str(n),
        "settingInstance": {
            "@odata.type": "#microsoft.graph.deviceManagementConfigurationChoiceSettingInstance",
            "settingDefinitionId": f"device_vendor_msft_policy_config_test_setting_{n}",
            "choiceSettingValue": {
                "value": f"device_vendor_msft_policy_config_test_setting_{n}_1",
                "children": [],
            },
        },
    }


def test_sixty_settings_come_back_complete_over_three_pages(
    sim: GraphSim, make_client: Callable[..., GraphClient]
) -> None:
    tenant = sim.tenants[0].id
    policy = sim.admin.put_object(
        tenant,
        POLICIES,
        {
            "name": "Sixty settings",
            "platforms": "windows10",
            "technologies": "mdm",
            "roleScopeTagIds": ["0"],
            "settings": [_setting(n) for n in range(60)],
        },
    )
    settings = make_client(tenant).get_all(f"/{POLICIES}/{policy['id']}/settings")

    assert sorted(int(setting["id"]) for setting in settings) == list(range(60))
    pages = sim.admin.log(kind="graph", path=f"{policy['id']}/settings$")
    assert [entry["status"] for entry in pages] == [200, 200, 200]


def test_a_whole_collection_across_pages_matches_what_graph_holds(
    sim: GraphSim, make_client: Callable[..., GraphClient]
) -> None:
    tenant = sim.tenants[1].id
    held = sim.admin.tenant_state(tenant)["collections"][POLICIES]
    assert len(held) > 25, "the demo profile should give more than one page of policies"

    listed = make_client(tenant).get_all(f"/{POLICIES}", params={"$select": "id,name"})

    assert sorted(item["id"] for item in listed) == sorted(item["id"] for item in held)
    assert len(sim.admin.log(kind="graph", path=f"{POLICIES}$")) == -(-len(held) // 25)


def test_not_found_keeps_graphs_code_message_and_request_id(
    sim: GraphSim, make_client: Callable[..., GraphClient]
) -> None:
    with pytest.raises(GraphNotFound) as caught:
        make_client().get("/deviceManagement/deviceConfigurations/00000000-0000-0000-0000-00000000dead")
    error = caught.value
    [logged] = sim.admin.log(kind="graph", status=404)
    assert error.request_id == logged["request_id"]
    assert error.code == "ResourceNotFound"
    assert error.message.startswith("Resource not found")
    assert "Operation ID" not in error.message
    assert error.path == "/beta/deviceManagement/deviceConfigurations/00000000-0000-0000-0000-00000000dead"
