"""The newer types' semantics and the 400s Intune and Entra answer on their writes: settings catalog
compliance, reusable settings, conditional access companions, role assignments, Windows 365, the
tenant-wide settings, Apple enrollment profiles and app assignments."""

from __future__ import annotations

from typing import Any

import pytest

from local.graphsim.intune import GraphModel
from local.graphsim.intune.seed.builtin import stable_id
from local.graphsim.intune.testing import ModelClient

G = "#microsoft.graph."
DM = "/deviceManagement"
CA = "/identity/conditionalAccess"
STRENGTHS = "/policies/authenticationStrengthPolicies"
GROUP = "33333333-3333-4333-8333-333333333333"
CHOICE = {
    "@odata.type": G + "deviceManagementConfigurationChoiceSettingInstance",
    "settingDefinitionId": "linux_distribution_alloweddistros",
    "choiceSettingValue": {"value": "linux_distribution_alloweddistros_ubuntu", "children": []},
}
BLOCK_ACTION: dict[str, Any] = {"actionType": "block", "gracePeriodHours": 0}
BLOCK = [{"ruleName": None, "scheduledActionConfigurations": [BLOCK_ACTION]}]
REFERENCE = G + "deviceManagementConfigurationReferenceSettingValue"
MFA = "00000000-0000-0000-0000-000000000002"
ACTIONS = "scheduledActionsForRule($expand=scheduledActionConfigurations)"


@pytest.fixture
def model() -> GraphModel:
    model = GraphModel()
    model.populate_defaults("tenant-a")
    model.put_raw("tenant-a", "groups", {"id": GROUP, "displayName": "SG-Intune-Admins"})
    return model


@pytest.fixture
def client(model: GraphModel) -> ModelClient:
    return ModelClient(model, "tenant-a")


def created(client: ModelClient, path: str, body: dict[str, Any], version: str = "beta") -> dict[str, Any]:
    answer = client.post(path, body, version=version)
    assert answer.status == 201, answer.body
    return dict(answer.body)


def refused(answer: Any, status: int, text: str) -> None:
    assert answer.status == status, answer.body
    assert text in answer.body["error"]["message"]


def compliance(settings: list[dict[str, Any]], actions: Any = BLOCK) -> dict[str, Any]:
    body = {
        "name": "LNX - Compliance",
        "platforms": "linux",
        "technologies": "linuxMdm",
        "settings": settings,
    }
    return body | ({"scheduledActionsForRule": actions} if actions is not None else {})


def reference_setting(reusable_id: str) -> dict[str, Any]:
    return {
        "settingInstance": {
            "@odata.type": G + "deviceManagementConfigurationSimpleSettingCollectionInstance",
            "settingDefinitionId": "vendor_msft_firewall_mdmstore_firewallrules_remoteaddresses",
            "simpleSettingCollectionValue": [{"@odata.type": REFERENCE, "value": reusable_id}],
        }
    }


def test_settings_compliance_needs_one_block_action_and_keeps_actions_apart(client: ModelClient) -> None:
    refused(
        client.post(f"{DM}/compliancePolicies", compliance([{"settingInstance": CHOICE}], None)),
        400,
        "one block",
    )
    policy = created(client, f"{DM}/compliancePolicies", compliance([{"settingInstance": CHOICE}]))
    path = f"{DM}/compliancePolicies/{policy['id']}"
    refused(client.request("PATCH", path, {"settings": []}), 400, "PUT the whole policy")
    refused(client.request("PUT", path, compliance([], BLOCK)), 400, "setScheduledActions")
    assert client.request("PUT", path, compliance([], None)).status == 204
    read = client.get(path, query={"$expand": f"settings,{ACTIONS}"}).body
    assert read["settings"] == [] and read["settingCount"] == 0
    assert read["scheduledActionsForRule"][0]["scheduledActionConfigurations"][0]["actionType"] == "block"
    two_blocks = [{"scheduledActionConfigurations": [BLOCK_ACTION, BLOCK_ACTION]}]
    refused(client.post(f"{path}/setScheduledActions", {"scheduledActions": two_blocks}), 400, "one block")
    wipe = [
        {
            "scheduledActionConfigurations": [
                BLOCK_ACTION,
                {"actionType": "retire"},
            ]
        }
    ]
    assert client.post(f"{path}/setScheduledActions", {"scheduledActions": wipe}).status == 200
    actions = client.get(path, query={"$expand": ACTIONS}).body["scheduledActionsForRule"]
    assert [a["actionType"] for a in actions[0]["scheduledActionConfigurations"]] == ["block", "retire"]


def test_policies_may_name_only_existing_reusable_settings(client: ModelClient) -> None:
    gone = "77777777-7777-4777-8777-777777777777"
    body = {"name": "WIN - Firewall", "platforms": "windows10", "technologies": "mdm"}
    refused(
        client.post(f"{DM}/configurationPolicies", body | {"settings": [reference_setting(gone)]}), 400, gone
    )
    refused(client.post(f"{DM}/compliancePolicies", compliance([reference_setting(gone)])), 400, gone)
    addresses = {"displayName": "Datacenter", "settingDefinitionId": "x_addresses"}
    refused(
        client.post(f"{DM}/reusablePolicySettings", addresses | {"settingInstance": CHOICE}),
        400,
        "must equal settingDefinitionId",
    )
    reusable = created(
        client,
        f"{DM}/reusablePolicySettings",
        addresses | {"settingInstance": CHOICE | {"settingDefinitionId": "x_addresses"}},
    )
    created(client, f"{DM}/configurationPolicies", body | {"settings": [reference_setting(reusable["id"])]})
    refused(client.request("DELETE", f"{DM}/reusablePolicySettings/{reusable['id']}"), 400, "referenced by 1")


def test_conditional_access_names_only_existing_locations_strengths_and_contexts(client: ModelClient) -> None:
    location = created(
        client,
        f"{CA}/namedLocations",
        {
            "@odata.type": G + "ipNamedLocation",
            "displayName": "HQ",
            "ipRanges": [{"@odata.type": G + "iPv4CidrRange", "cidrAddress": "203.0.113.0/24"}],
        },
        "v1.0",
    )
    context = created(
        client, f"{CA}/authenticationContextClassReferences", {"id": "c2", "displayName": "Admin"}, "v1.0"
    )
    conditions: dict[str, Any] = {
        "applications": {
            "includeApplications": [],
            "includeAuthenticationContextClassReferences": ["c2"],
        },
        "users": {"includeUsers": ["All"]},
        "locations": {"includeLocations": ["All"], "excludeLocations": [location["id"]]},
    }
    policy: dict[str, Any] = {
        "displayName": "CA - Admins",
        "state": "enabled",
        "conditions": conditions,
        "grantControls": {"operator": "OR", "builtInControls": [], "authenticationStrength": {"id": MFA}},
    }
    made = created(client, f"{CA}/policies", policy, "v1.0")
    strength = client.get(f"{CA}/policies/{made['id']}", version="v1.0").body["grantControls"][
        "authenticationStrength"
    ]
    assert strength["displayName"] == "Multifactor authentication" and strength["policyType"] == "builtIn"
    assert context["id"] == "c2"
    unknown = {
        **policy,
        "conditions": {**conditions, "locations": {"includeLocations": ["nowhere"]}},
    }
    refused(client.post(f"{CA}/policies", unknown, version="v1.0"), 400, "invalid named location")
    with_mfa = {
        **policy,
        "grantControls": {"builtInControls": ["mfa"], "authenticationStrength": {"id": MFA}},
    }
    refused(client.post(f"{CA}/policies", with_mfa, version="v1.0"), 400, "cannot be used together")
    no_strength = {**policy, "grantControls": {"authenticationStrength": {"id": "nope"}}}
    refused(client.post(f"{CA}/policies", no_strength, version="v1.0"), 400, "strength")
    apps = {"includeAuthenticationContextClassReferences": ["c9"]}
    no_context = {**policy, "conditions": {**conditions, "applications": apps}}
    refused(client.post(f"{CA}/policies", no_context, version="v1.0"), 400, "c9")
    refused(
        client.request("DELETE", f"{CA}/namedLocations/{location['id']}", version="v1.0"), 400, "CA - Admins"
    )


def test_named_locations_authentication_strengths_and_contexts_validate_their_writes(
    client: ModelClient,
) -> None:
    bad_range = {
        "@odata.type": G + "ipNamedLocation",
        "displayName": "X",
        "ipRanges": [{"cidrAddress": "300.1.1.0/24"}],
    }
    refused(client.post(f"{CA}/namedLocations", bad_range, version="v1.0"), 400, "invalid CIDR")
    country = {
        "@odata.type": G + "countryNamedLocation",
        "displayName": "Blocked",
        "countriesAndRegions": ["KP"],
    }
    made = created(client, f"{CA}/namedLocations", country, "v1.0")
    path = f"{CA}/namedLocations/{made['id']}"
    refused(client.request("PATCH", path, {"displayName": "Y"}, version="v1.0"), 400, "@odata.type")
    assert (
        client.request("PATCH", path, {**country, "countriesAndRegions": ["KP", "IR"]}, version="v1.0").status
        == 204
    )

    refused(
        client.post(STRENGTHS, {"displayName": "S", "allowedCombinations": ["magic"]}, version="v1.0"),
        400,
        "magic",
    )
    strength = created(client, STRENGTHS, {"displayName": "S", "allowedCombinations": ["fido2"]}, "v1.0")
    assert strength["policyType"] == "custom"
    item = f"{STRENGTHS}/{strength['id']}"
    refused(
        client.request("PATCH", item, {"allowedCombinations": ["sms"]}, version="v1.0"),
        400,
        "updateAllowedCombinations",
    )
    changed = client.post(
        f"{item}/updateAllowedCombinations", {"allowedCombinations": ["sms"]}, version="v1.0"
    )
    assert changed.status == 200 and changed.body["currentCombinations"] == ["sms"]
    refused(
        client.request("PATCH", f"{STRENGTHS}/{MFA}", {"displayName": "Mine"}, version="v1.0"),
        400,
        "Built-in",
    )

    contexts = f"{CA}/authenticationContextClassReferences"
    refused(client.post(contexts, {"id": "c100", "displayName": "X"}, version="v1.0"), 400, "c1 to c99")
    created(client, contexts, {"id": "c1", "displayName": "X"}, "v1.0")
    refused(client.post(contexts, {"id": "c1", "displayName": "Y"}, version="v1.0"), 409, "already exists")


def test_role_assignments_bind_a_role_of_the_tenant_and_name_existing_groups(client: ModelClient) -> None:
    role = stable_id("role", "Help Desk Operator")
    bind = {
        "roleDefinition@odata.bind": f"https://graph.microsoft.com/beta/deviceManagement/roleDefinitions('{role}')"
    }
    body = {"displayName": "Helpdesk - EU", "members": [GROUP], "resourceScopes": [GROUP]}
    refused(client.post(f"{DM}/roleAssignments", body), 400, "roleDefinition@odata.bind")
    gone = "44444444-4444-4444-8444-444444444444"
    refused(client.post(f"{DM}/roleAssignments", body | bind | {"members": [gone]}), 400, gone)
    refused(client.post(f"{DM}/roleAssignments", body | bind | {"resourceScopes": []}), 400, "scope group")
    made = created(client, f"{DM}/roleAssignments", body | bind)
    read = client.get(f"{DM}/roleAssignments/{made['id']}", query={"$expand": "roleDefinition"}).body
    assert read["roleDefinition"]["displayName"] == "Help Desk Operator"
    assert "roleDefinition" not in client.get(f"{DM}/roleAssignments/{made['id']}").body


def test_cloud_pc_policies_check_their_join_and_take_group_assignments_only(client: ModelClient) -> None:
    policies = f"{DM}/virtualEndpoint/provisioningPolicies"
    body = {"displayName": "W365", "imageId": "img", "imageType": "gallery"}
    hybrid = {"domainJoinConfigurations": [{"domainJoinType": "hybridAzureADJoin"}]}
    refused(client.post(policies, body | hybrid), 400, "onPremisesConnectionId")
    made = created(
        client,
        policies,
        body | {"domainJoinConfigurations": [{"domainJoinType": "azureADJoin", "regionName": "automatic"}]},
    )
    assign = f"{policies}/{made['id']}/assign"
    all_devices = {"assignments": [{"target": {"@odata.type": G + "allDevicesAssignmentTarget"}}]}
    refused(client.post(assign, all_devices), 400, "groups only")
    to_group = {
        "assignments": [
            {"target": {"@odata.type": G + "cloudPcManagementGroupAssignmentTarget", "groupId": GROUP}}
        ]
    }
    assert client.post(assign, to_group).status == 200
    settings = f"{DM}/virtualEndpoint/userSettings"
    refused(
        client.post(settings, {"displayName": "U", "restorePointSetting": {"frequencyInHours": 5}}),
        400,
        "frequencyInHours",
    )


def test_tenant_settings_are_patched_through_device_management(client: ModelClient) -> None:
    refused(client.request("PATCH", DM, {"settings": {"noSuchSetting": True}}), 400, "noSuchSetting")
    refused(client.request("PATCH", DM, {"settings": {"secureByDefault": "yes"}}), 400, "wrong type")
    refused(client.request("PATCH", DM, {"subscriptionState": "active"}), 400, "Only settings")
    assert client.request("PATCH", DM, {"settings": {"secureByDefault": True}}).status == 204
    assert client.get(f"{DM}/settings").body["secureByDefault"] is True
    assert client.get(DM).body["settings"]["secureByDefault"] is True
    refused(client.request("PATCH", f"{DM}/settings", {"secureByDefault": False}), 405, "PATCH")


def test_apple_enrollment_profiles_live_in_their_token(model: GraphModel, client: ModelClient) -> None:
    token = model.put_raw(
        "tenant-a", "deviceManagement/depOnboardingSettings", {"tokenName": "ABM", "enrollmentProfiles": []}
    )
    profiles = f"{DM}/depOnboardingSettings/{token['id']}/enrollmentProfiles"
    refused(client.post(profiles, {"displayName": "iOS"}), 400, "could not be resolved")
    made = created(
        client,
        profiles,
        {"@odata.type": G + "depIOSEnrollmentProfile", "displayName": "iOS", "isDefault": False},
    )
    assert [p["id"] for p in client.get_all(profiles)] == [made["id"]]
    assert client.request("PATCH", f"{profiles}/{made['id']}", {"description": "Corporate"}).status == 204
    assert client.get(f"{profiles}/{made['id']}").body["description"] == "Corporate"
    refused(client.post(f"{DM}/depOnboardingSettings", {"tokenName": "other"}), 405, "POST")


def test_app_assignments_need_an_intent(model: GraphModel, client: ModelClient) -> None:
    app = model.put_raw(
        "tenant-a", "deviceAppManagement/mobileApps", {"@odata.type": G + "webApp", "displayName": "Intranet"}
    )
    assign = f"/deviceAppManagement/mobileApps/{app['id']}/assign"
    group = {"@odata.type": G + "groupAssignmentTarget", "groupId": GROUP}
    refused(client.post(assign, {"mobileAppAssignments": [{"target": group}]}), 400, "intent")
    devices = {"@odata.type": G + "allDevicesAssignmentTarget"}
    refused(
        client.post(assign, {"mobileAppAssignments": [{"intent": "available", "target": devices}]}),
        400,
        "all devices",
    )
    assert (
        client.post(assign, {"mobileAppAssignments": [{"intent": "required", "target": group}]}).status == 200
    )
    read = client.get(f"/deviceAppManagement/mobileApps/{app['id']}", query={"$expand": "assignments"}).body
    assert [item["intent"] for item in read["assignments"]] == ["required"]
    refused(
        client.post("/deviceAppManagement/mobileApps", {"@odata.type": G + "webApp", "displayName": "X"}),
        405,
        "POST",
    )
