"""capture_policy against graphsim over HTTPS with the production Graph client: complete, stable,
secret-free payloads for the four snapshot types, and the Graph requests each one costs."""

from __future__ import annotations

import copy
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest

from local.graphsim.testing import GraphSim
from shared.graph import GraphClient, GraphNotFound
from shared.intune import UnknownPolicyType, capture_policy
from shared.storage import canonical_json

Objects = Callable[[str], list[dict[str, Any]]]
Requests = Callable[[], list[dict[str, Any]]]
SettingsPolicy = Callable[[int], dict[str, Any]]

DC = "deviceManagement/deviceConfigurations"
COMPLIANCE = "deviceManagement/deviceCompliancePolicies"
SETTINGS = "deviceManagement/configurationPolicies"
GPO = "deviceManagement/groupPolicyConfigurations"


def targets(assignments: list[dict[str, Any]]) -> list[str]:
    return sorted(canonical_json(item["target"]).decode() for item in assignments)


def test_device_configurations_match_what_graph_holds(client: GraphClient, sim_objects: Objects) -> None:
    for stored in sim_objects(DC):
        captured = capture_policy(client, "deviceConfigurations", stored["id"])
        assert captured.policy_id == stored["id"]
        assert captured.display_name == stored["displayName"]
        for key, value in stored.items():
            if key not in {"id", "version", "createdDateTime", "lastModifiedDateTime", "supportsScopeTags"}:
                if key == "assignments":
                    assert targets(captured.payload[key]) == targets(value)
                elif key != "omaSettings":
                    assert captured.payload[key] == value, key
        assert "id" not in captured.payload and "version" not in captured.payload


def test_compliance_scheduled_actions_are_complete(client: GraphClient, sim_objects: Objects) -> None:
    for stored in sim_objects(COMPLIANCE):
        captured = capture_policy(client, "deviceCompliancePolicies", stored["id"])

        def actions(rules: list[dict[str, Any]]) -> Counter[tuple[Any, ...]]:
            return Counter(
                (
                    rule["ruleName"],
                    item["actionType"],
                    item["gracePeriodHours"],
                    item.get("notificationTemplateId"),
                )
                for rule in rules
                for item in rule["scheduledActionConfigurations"]
            )

        assert stored["scheduledActionsForRule"]
        assert actions(captured.payload["scheduledActionsForRule"]) == actions(
            stored["scheduledActionsForRule"]
        )
        assert targets(captured.payload["assignments"]) == targets(stored["assignments"])
        for key in ("displayName", "description", "roleScopeTagIds", "@odata.type"):
            assert captured.payload[key] == stored[key]


def test_settings_catalog_policies_match_what_graph_holds(client: GraphClient, sim_objects: Objects) -> None:
    for stored in sim_objects(SETTINGS):
        captured = capture_policy(client, "configurationPolicies", stored["id"])
        assert captured.display_name == stored["name"]
        assert sorted(canonical_json(s["settingInstance"]) for s in captured.payload["settings"]) == sorted(
            canonical_json(s["settingInstance"]) for s in stored["settings"]
        )
        assert targets(captured.payload["assignments"]) == targets(stored["assignments"])
        assert "settingCount" not in captured.payload


@pytest.mark.parametrize("count", [60, 150])
def test_large_settings_catalog_policy_is_captured_whole(
    client: GraphClient, sim: GraphSim, tenant_id: str, count: int, settings_policy: SettingsPolicy
) -> None:
    created = sim.admin.put_object(tenant_id, SETTINGS, settings_policy(count))
    captured = capture_policy(client, "configurationPolicies", created["id"])
    ids = [s["settingInstance"]["settingDefinitionId"] for s in captured.payload["settings"]]
    assert len(ids) == count == len(set(ids))


def test_group_policy_definition_and_presentation_values(client: GraphClient, sim_objects: Objects) -> None:
    with_presentations = 0
    for stored in sim_objects(GPO):
        captured = capture_policy(client, "groupPolicyConfigurations", stored["id"])

        def values(definition_values: list[dict[str, Any]]) -> dict[str, tuple[bool, list[str]]]:
            return {
                value["definition"]["id"]: (
                    value["enabled"],
                    sorted(
                        canonical_json(
                            {k: v for k, v in p.items() if k in ("@odata.type", "value", "values")}
                            | {"presentation": p["presentation"]["id"]}
                        ).decode()
                        for p in value["presentationValues"]
                    ),
                )
                for value in definition_values
            }

        assert values(captured.payload["definitionValues"]) == values(stored["definitionValues"])
        assert targets(captured.payload["assignments"]) == targets(stored["assignments"])
        with_presentations += sum(bool(v["presentationValues"]) for v in captured.payload["definitionValues"])
        for value in captured.payload["definitionValues"]:
            assert set(value["definition"]) <= {
                "id",
                "displayName",
                "classType",
                "categoryPath",
                "policyType",
            }
    assert with_presentations > 0


def test_graph_requests_per_capture(
    client: GraphClient, sim_objects: Objects, graph_requests: Requests
) -> None:
    """One GET for the three expandable types; group policy 2 + one per definition value, all in $batch."""
    for collection, name in (
        (DC, "deviceConfigurations"),
        (COMPLIANCE, "deviceCompliancePolicies"),
        (SETTINGS, "configurationPolicies"),
    ):
        before = len(graph_requests())
        capture_policy(client, name, sim_objects(collection)[0]["id"])
        assert len(graph_requests()) - before == 1, name
    stored = sim_objects(GPO)[0]
    before = len(graph_requests())
    capture_policy(client, "groupPolicyConfigurations", stored["id"])
    logged = graph_requests()[before:]
    assert len(logged) == 2 + len(stored["definitionValues"])
    assert sum(1 for entry in logged if not entry["in_batch"]) == 0


def test_script_content_is_read_although_the_list_omits_it(client: GraphClient, sim_objects: Objects) -> None:
    listed = client.get_all("/deviceManagement/deviceManagementScripts")
    assert all("scriptContent" not in item for item in listed)
    for stored in sim_objects("deviceManagement/deviceManagementScripts"):
        captured = capture_policy(client, "deviceManagementScripts", stored["id"])
        assert captured.payload["scriptContent"] == stored["scriptContent"]


def test_encrypted_oma_value_is_never_captured(client: GraphClient, sim: GraphSim, tenant_id: str) -> None:
    plain = "Contoso-WiFi-PSK-7d1e"
    created = client.post(
        "/deviceManagement/deviceConfigurations",
        {
            "@odata.type": "#microsoft.graph.windows10CustomConfiguration",
            "displayName": "WIN - Custom - Wi-Fi",
            "omaSettings": [
                {
                    "@odata.type": "#microsoft.graph.omaSettingString",
                    "displayName": "PSK",
                    "omaUri": "./WiFi/Key",
                    "value": plain,
                },
                {
                    "@odata.type": "#microsoft.graph.omaSettingInteger",
                    "displayName": "N",
                    "omaUri": "./N",
                    "value": 3,
                },
            ],
        },
    )
    captured = capture_policy(client, "deviceConfigurations", created["id"])
    text = canonical_json(captured.payload).decode()
    assert plain not in text and "****" not in text and "secretReferenceValueId" not in text
    assert captured.secrets_not_captured == ["omaSettings[omaUri='./WiFi/Key'].value"]
    encrypted = next(s for s in captured.payload["omaSettings"] if s["omaUri"] == "./WiFi/Key")
    assert encrypted["isEncrypted"] is True and "value" not in encrypted
    assert next(s for s in captured.payload["omaSettings"] if s["omaUri"] == "./N")["value"] == 3


def test_deleted_policy_raises_graph_not_found(
    client: GraphClient, sim: GraphSim, tenant_id: str, sim_objects: Objects
) -> None:
    for collection, name in ((DC, "deviceConfigurations"), (GPO, "groupPolicyConfigurations")):
        doomed = sim_objects(collection)[0]["id"]
        sim.admin.delete_object(tenant_id, collection, doomed)
        with pytest.raises(GraphNotFound):
            capture_policy(client, name, doomed)


def test_unknown_type_fails_before_any_graph_call(client: GraphClient, graph_requests: Requests) -> None:
    with pytest.raises(UnknownPolicyType):
        capture_policy(client, "bogusPolicies", "x")
    assert graph_requests() == []


def test_unchanged_policy_hashes_the_same_and_a_change_does_not(
    client: GraphClient, sim: GraphSim, tenant_id: str, sim_objects: Objects
) -> None:
    for collection, name in ((COMPLIANCE, "deviceCompliancePolicies"), (GPO, "groupPolicyConfigurations")):
        policy_id = sim_objects(collection)[0]["id"]
        before = sim_objects(collection)[0]
        first = canonical_json(capture_policy(client, name, policy_id).payload)
        touched = sim.admin.patch_object(tenant_id, collection, policy_id, {})
        assert touched["lastModifiedDateTime"] != before["lastModifiedDateTime"]
        assert canonical_json(capture_policy(client, name, policy_id).payload) == first
        sim.admin.patch_object(tenant_id, collection, policy_id, {"description": "changed by a test"})
        assert canonical_json(capture_policy(client, name, policy_id).payload) != first


def test_sub_collection_order_in_graph_does_not_change_the_payload(
    client: GraphClient, sim: GraphSim, tenant_id: str, sim_objects: Objects
) -> None:
    original = next(p for p in sim_objects(COMPLIANCE) if len(p["assignments"]) > 1)
    reordered = copy.deepcopy(original)
    del reordered["id"]
    reordered["assignments"].reverse()
    for rule in reordered["scheduledActionsForRule"]:
        rule["scheduledActionConfigurations"].reverse()
    reordered["scheduledActionsForRule"].reverse()
    copy_id = sim.admin.put_object(tenant_id, COMPLIANCE, reordered)["id"]
    first = capture_policy(client, "deviceCompliancePolicies", original["id"]).payload
    second = capture_policy(client, "deviceCompliancePolicies", copy_id).payload
    assert canonical_json(first) == canonical_json(second)
