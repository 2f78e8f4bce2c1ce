"""The seed generator: deterministic, realistic, the promised mix, and small in memory."""

from __future__ import annotations

import json
import tracemalloc

import pytest

from local.graphsim.intune import GraphModel
from local.graphsim.intune.testing import ModelClient

DM = "deviceManagement/"
G = "#microsoft.graph."


@pytest.fixture(scope="module")
def seeded() -> GraphModel:
    model = GraphModel()
    model.populate_tenant("tenant-a", 300, 7)
    return model


def canonical(model: GraphModel, tenant: str) -> str:
    return json.dumps(model.dump_tenant(tenant), sort_keys=True)


def test_same_seed_gives_the_same_dump_and_another_seed_does_not(seeded: GraphModel) -> None:
    again = GraphModel()
    again.populate_tenant("tenant-a", 300, 7)
    assert canonical(again, "tenant-a") == canonical(seeded, "tenant-a")
    other = GraphModel()
    other.populate_tenant("tenant-a", 300, 8)
    assert canonical(other, "tenant-a") != canonical(seeded, "tenant-a")


def test_size_and_mix(seeded: GraphModel) -> None:
    dump = seeded.dump_tenant("tenant-a")
    assert sum(len(items) for items in dump.values()) == 300
    assert 50 <= len(dump[DM + "configurationPolicies"]) <= 75
    empty = {collection for collection, items in dump.items() if not items}
    assert empty <= {
        "deviceAppManagement/androidManagedAppProtections",
        "deviceAppManagement/windowsInformationProtectionPolicies",
        "deviceAppManagement/mdmWindowsInformationProtectionPolicies",
        DM + "windowsAutopilotDeviceIdentities",
        DM + "managedDevices",
    }
    apple_token = dump[DM + "depOnboardingSettings"][0]
    assert {profile["@odata.type"] for profile in apple_token["enrollmentProfiles"]} == {
        G + "depIOSEnrollmentProfile",
        G + "depMacOSEnrollmentProfile",
    }


def test_references_of_the_newer_kinds_point_at_seeded_objects(seeded: GraphModel) -> None:
    """Settings name reusable settings, CA policies named locations, strengths and contexts, role
    assignments roles and groups: all of this tenant."""
    dump = seeded.dump_tenant("tenant-a")
    reusable = {item["id"] for item in dump[DM + "reusablePolicySettings"]}
    referenced = {
        value["value"]
        for collection in (DM + "configurationPolicies", DM + "compliancePolicies")
        for policy in dump[collection]
        for setting in policy["settings"]
        for value in setting["settingInstance"].get("simpleSettingCollectionValue") or []
        if value["@odata.type"] == G + "deviceManagementConfigurationReferenceSettingValue"
    }
    assert referenced and referenced <= reusable
    locations = {item["id"] for item in dump["identity/conditionalAccess/namedLocations"]}
    strengths = {item["id"] for item in dump["policies/authenticationStrengthPolicies"]}
    contexts = {
        item["id"] for item in dump["identity/conditionalAccess/authenticationContextClassReferences"]
    }
    policies = dump["identity/conditionalAccess/policies"]
    named = [p for p in policies if (p["conditions"].get("locations") or {}).get("excludeLocations")]
    assert named and all(
        set(p["conditions"]["locations"]["excludeLocations"]) <= locations
        and p["grantControls"]["authenticationStrength"]["id"] in strengths
        for p in named
    )
    with_context = [
        p
        for p in policies
        if p["conditions"]["applications"].get("includeAuthenticationContextClassReferences")
    ]
    assert with_context and all(
        set(p["conditions"]["applications"]["includeAuthenticationContextClassReferences"]) <= contexts
        for p in with_context
    )
    roles = {item["id"] for item in dump[DM + "roleDefinitions"]}
    groups = {item["id"] for item in dump["groups"]}
    for assignment in dump[DM + "roleAssignments"]:
        assert assignment["roleDefinition"]["id"] in roles
        assert set(assignment["members"]) | set(assignment["resourceScopes"]) <= groups


def test_settings_catalog_policies_hold_10_to_150_settings_of_every_shape(seeded: GraphModel) -> None:
    policies = seeded.dump_tenant("tenant-a")[DM + "configurationPolicies"]
    counts = [len(policy["settings"]) for policy in policies]
    assert min(counts) >= 10 and max(counts) <= 150
    assert all(policy["settingCount"] == len(policy["settings"]) for policy in policies)
    shapes = {s["settingInstance"]["@odata.type"].rsplit(".", 1)[-1] for p in policies for s in p["settings"]}
    assert {
        "deviceManagementConfigurationChoiceSettingInstance",
        "deviceManagementConfigurationSimpleSettingInstance",
        "deviceManagementConfigurationGroupSettingCollectionInstance",
    } <= shapes


def test_assignments_refer_to_existing_groups_filters_and_scope_tags(seeded: GraphModel) -> None:
    dump = seeded.dump_tenant("tenant-a")
    groups = {group["id"] for group in dump["groups"]}
    filters = {item["id"] for item in dump[DM + "assignmentFilters"]}
    tags = {tag["id"] for tag in dump[DM + "roleScopeTags"]}
    kinds = set()
    for items in dump.values():
        for obj in items:
            assert set(obj.get("roleScopeTagIds", ["0"])) <= tags
            for assignment in obj.get("assignments", []):
                target = assignment["target"]
                kinds.add(target["@odata.type"])
                assert target.get("groupId", next(iter(groups))) in groups
                assert target.get("deviceAndAppManagementAssignmentFilterId") in filters | {None}
    assert "#microsoft.graph.exclusionGroupAssignmentTarget" in kinds
    assert any(item.get("roleScopeTagIds", ["0"]) != ["0"] for items in dump.values() for item in items)


def test_seeded_data_reads_back_through_graph_routes(seeded: GraphModel) -> None:
    client = ModelClient(seeded, "tenant-a")
    admx = client.get_all("/deviceManagement/groupPolicyConfigurations")[0]
    values = client.get_all(
        f"/deviceManagement/groupPolicyConfigurations/{admx['id']}/definitionValues",
        query={"$expand": "definition"},
    )
    assert values and all(value["definition"]["policyType"] == "admxBacked" for value in values)
    custom = client.get_all(
        "/deviceManagement/deviceConfigurations",
        query={"$filter": "startswith(displayName,'WIN - Configuration - Custom OMA-URI')"},
    )
    secret = next(s for s in custom[0]["omaSettings"] if s["isEncrypted"])
    plain = client.get(
        f"/deviceManagement/deviceConfigurations/{custom[0]['id']}/getOmaSettingPlainTextValue"
        f"(secretReferenceValueId='{secret['secretReferenceValueId']}')"
    )
    assert plain.body["value"].startswith("wifi-psk-")
    script = client.get_all("/deviceManagement/deviceManagementScripts")[0]
    assert "scriptContent" in client.get(f"/deviceManagement/deviceManagementScripts/{script['id']}").body
    expand = {"$expand": "scheduledActionsForRule($expand=scheduledActionConfigurations)"}
    for policy in client.get_all("/deviceManagement/deviceCompliancePolicies", query=expand):
        actions = policy["scheduledActionsForRule"][0]["scheduledActionConfigurations"]
        assert [action["actionType"] for action in actions].count("block") == 1


def test_empty_profile_holds_only_built_in_defaults() -> None:
    model = GraphModel()
    model.populate_defaults("tenant-a")
    dump = model.dump_tenant("tenant-a")
    assert {collection: len(items) for collection, items in dump.items() if items} == {
        DM + "deviceEnrollmentConfigurations": 4,
        DM + "roleScopeTags": 1,
        DM + "roleDefinitions": 7,
        DM + "settings": 1,
        DM + "androidManagedStoreAccountEnterpriseSettings": 1,
        "policies/authenticationStrengthPolicies": 3,
    }


@pytest.mark.slow
def test_fifty_tenants_of_300_objects_stay_far_below_one_gib() -> None:
    tracemalloc.start()
    try:
        model = GraphModel()
        for index in range(50):
            model.populate_tenant(f"tenant-{index:02d}", 300, 7)
        current, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert current < 256 * 2**20, f"{current / 2**20:.0f} MiB"
