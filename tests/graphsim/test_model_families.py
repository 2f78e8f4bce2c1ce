"""Special operations of the Intune families, each checked by reading back what Graph returns."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from local.graphsim.intune import GraphModel
from local.graphsim.intune.testing import ModelClient

G = "#microsoft.graph."
DM = "/deviceManagement"
GROUP_A = "11111111-1111-4111-8111-111111111111"
GROUP_B = "22222222-2222-4222-8222-222222222222"


def group_target(group: str, kind: str = "groupAssignmentTarget") -> dict[str, Any]:
    return {"target": {"@odata.type": G + kind, "groupId": group}}


@pytest.fixture
def model() -> GraphModel:
    model = GraphModel()
    model.populate_defaults("tenant-a")
    return model


@pytest.fixture
def client(model: GraphModel) -> ModelClient:
    return ModelClient(model, "tenant-a")


def definition_with(client: ModelClient, kind: str) -> dict[str, Any]:
    definitions = client.get_all(f"{DM}/groupPolicyDefinitions", query={"$expand": "presentations"})
    return next(
        d for d in definitions if d["presentations"] and d["presentations"][0]["@odata.type"] == G + kind
    )


def test_update_definition_values_applies_and_reads_back_with_expansions(client: ModelClient) -> None:
    config_id = client.post(f"{DM}/groupPolicyConfigurations", {"displayName": "WIN - ADMX - Edge"}).body[
        "id"
    ]
    definition = definition_with(client, "groupPolicyPresentationTextBox")
    presentation = definition["presentations"][0]
    base = "https://graph.microsoft.com/beta/deviceManagement/groupPolicyDefinitions"
    bind = f"{base}('{definition['id']}')"
    added = {
        "enabled": True,
        "definition@odata.bind": bind,
        "presentationValues": [
            {
                "@odata.type": G + "groupPolicyPresentationValueText",
                "value": "https://intranet.contoso.com",
                "presentation@odata.bind": f"{bind}/presentations('{presentation['id']}')",
            }
        ],
    }
    apply = client.post(
        f"{DM}/groupPolicyConfigurations/{config_id}/updateDefinitionValues",
        {"added": [added], "updated": [], "deletedIds": []},
    )
    assert apply.status == 204
    values = client.get_all(
        f"{DM}/groupPolicyConfigurations/{config_id}/definitionValues", query={"$expand": "definition"}
    )
    assert len(values) == 1 and values[0]["enabled"] is True
    assert values[0]["definition"]["displayName"] == definition["displayName"]
    assert "presentations" not in values[0]["definition"]
    presentation_values = client.get_all(
        f"{DM}/groupPolicyConfigurations/{config_id}/definitionValues/{values[0]['id']}/presentationValues",
        query={"$expand": "presentation"},
    )
    assert presentation_values[0]["value"] == "https://intranet.contoso.com"
    assert presentation_values[0]["presentation"]["id"] == presentation["id"]

    update = {"id": values[0]["id"], "enabled": False, "presentationValues": []}
    client.post(f"{DM}/groupPolicyConfigurations/{config_id}/updateDefinitionValues", {"updated": [update]})
    assert (
        client.get_all(f"{DM}/groupPolicyConfigurations/{config_id}/definitionValues")[0]["enabled"] is False
    )
    client.post(
        f"{DM}/groupPolicyConfigurations/{config_id}/updateDefinitionValues",
        {"deletedIds": [values[0]["id"]]},
    )
    assert client.get_all(f"{DM}/groupPolicyConfigurations/{config_id}/definitionValues") == []


def test_update_definition_values_rejects_unknown_binds_and_wrong_value_types(client: ModelClient) -> None:
    config_id = client.post(f"{DM}/groupPolicyConfigurations", {"displayName": "WIN - ADMX"}).body["id"]
    path = f"{DM}/groupPolicyConfigurations/{config_id}/updateDefinitionValues"
    unknown = {"enabled": True, "definition@odata.bind": "groupPolicyDefinitions('not-a-definition')"}
    assert client.post(path, {"added": [unknown]}).status == 400
    definition = definition_with(client, "groupPolicyPresentationCheckBox")
    bind = f"groupPolicyDefinitions('{definition['id']}')"
    wrong = {
        "enabled": True,
        "definition@odata.bind": bind,
        "presentationValues": [
            {
                "@odata.type": G + "groupPolicyPresentationValueText",
                "value": "yes",
                "presentation@odata.bind": f"{bind}/presentations('{definition['presentations'][0]['id']}')",
            }
        ],
    }
    assert client.post(path, {"added": [wrong]}).status == 400
    assert client.get_all(f"{DM}/groupPolicyConfigurations/{config_id}/definitionValues") == []


def test_compliance_actions_expand_and_change_only_through_schedule_actions(client: ModelClient) -> None:
    block = {"actionType": "block", "gracePeriodHours": 0, "notificationTemplateId": ""}
    body = {
        "@odata.type": G + "windows10CompliancePolicy",
        "displayName": "WIN - Compliance",
        "scheduledActionsForRule": [
            {"ruleName": "PasswordRequired", "scheduledActionConfigurations": [block]}
        ],
    }
    policy_id = client.post(f"{DM}/deviceCompliancePolicies", body).body["id"]
    expand = {"$expand": "scheduledActionsForRule($expand=scheduledActionConfigurations)"}
    fetched = client.get(f"{DM}/deviceCompliancePolicies/{policy_id}", query=expand).body
    assert fetched["scheduledActionsForRule"][0]["scheduledActionConfigurations"][0]["actionType"] == "block"
    shallow = client.get(
        f"{DM}/deviceCompliancePolicies/{policy_id}", query={"$expand": "scheduledActionsForRule"}
    )
    assert "scheduledActionConfigurations" not in shallow.body["scheduledActionsForRule"][0]
    patch = client.request(
        "PATCH",
        f"{DM}/deviceCompliancePolicies/{policy_id}",
        {"scheduledActionsForRule": body["scheduledActionsForRule"]},
    )
    assert patch.status == 400
    template_id = client.post(f"{DM}/notificationMessageTemplates", {"displayName": "NOTIFY"}).body["id"]
    notify = {"actionType": "notification", "gracePeriodHours": 24, "notificationTemplateId": template_id}
    rules = [{"ruleName": "PasswordRequired", "scheduledActionConfigurations": [block, notify]}]
    response = client.post(
        f"{DM}/deviceCompliancePolicies/{policy_id}/scheduleActionsForRules",
        {"deviceComplianceScheduledActionForRules": rules},
    )
    assert response.status == 204
    after = client.get(f"{DM}/deviceCompliancePolicies/{policy_id}", query=expand).body
    kinds = [
        item["actionType"] for item in after["scheduledActionsForRule"][0]["scheduledActionConfigurations"]
    ]
    assert kinds == ["block", "notification"] and after["version"] == 2
    unmapped = {**notify, "notificationTemplateId": "33333333-3333-4333-8333-333333333333"}
    rules = [{"ruleName": "PasswordRequired", "scheduledActionConfigurations": [block, unmapped]}]
    assert (
        client.post(
            f"{DM}/deviceCompliancePolicies/{policy_id}/scheduleActionsForRules",
            {"deviceComplianceScheduledActionForRules": rules},
        ).status
        == 400
    )


def test_intents_come_from_templates_and_change_through_update_settings(client: ModelClient) -> None:
    template = client.get_all(
        f"{DM}/templates", query={"$filter": "templateType eq 'endpointSecurityAntivirus'"}
    )[0]
    template_settings = client.get_all(f"{DM}/templates/{template['id']}/settings")
    changed = {**template_settings[0], "value": False, "valueJson": "false"}
    created = client.post(
        f"{DM}/templates/{template['id']}/createInstance",
        {"displayName": "WIN - AV", "description": "", "settingsDelta": [changed], "roleScopeTagIds": ["0"]},
    )
    assert created.status == 201 and created.body["templateId"] == template["id"]
    intent_id = created.body["id"]
    settings = client.get_all(f"{DM}/intents/{intent_id}/settings")
    assert len(settings) == len(template_settings)
    assert settings[0]["valueJson"] == "false"
    update = {**settings[1], "valueJson": '"full"', "value": "full"}
    assert client.post(f"{DM}/intents/{intent_id}/updateSettings", {"settings": [update]}).status == 204
    assert client.get_all(f"{DM}/intents/{intent_id}/settings")[1]["value"] == "full"
    unknown = {**update, "definitionId": "deviceConfiguration--nothing"}
    assert client.post(f"{DM}/intents/{intent_id}/updateSettings", {"settings": [unknown]}).status == 400


@pytest.mark.parametrize(
    ("collection", "field"),
    [
        ("deviceManagementScripts", "scriptContent"),
        ("deviceShellScripts", "scriptContent"),
        ("deviceHealthScripts", "detectionScriptContent"),
    ],
)
def test_script_lists_omit_content_that_get_returns(client: ModelClient, collection: str, field: str) -> None:
    content = base64.b64encode(b"Write-Output 'hello'").decode()
    body = {
        "displayName": "Script",
        "fileName": "x.ps1",
        "publisher": "MSP",
        "scriptContent": content,
        "detectionScriptContent": content,
    }
    if collection == "deviceHealthScripts":
        body = {key: value for key, value in body.items() if key not in ("fileName", "scriptContent")}
    else:
        del body["publisher"], body["detectionScriptContent"]
    script_id = client.post(f"{DM}/{collection}", body).body["id"]
    listed = client.get_all(f"{DM}/{collection}")[0]
    assert field not in listed and listed["id"] == script_id
    assert client.get(f"{DM}/{collection}/{script_id}").body[field] == content


def test_oma_string_values_are_masked_and_readable_only_through_the_function(client: ModelClient) -> None:
    oma = {
        "@odata.type": G + "omaSettingString",
        "displayName": "PSK",
        "omaUri": "./Vendor/MSFT/WiFi/X",
        "value": "s3cret",
    }
    body = {
        "@odata.type": G + "windows10CustomConfiguration",
        "displayName": "WIN - Custom",
        "omaSettings": [oma],
    }
    profile_id = client.post(f"{DM}/deviceConfigurations", body).body["id"]
    stored = client.get(f"{DM}/deviceConfigurations/{profile_id}").body["omaSettings"][0]
    assert stored["value"] == "****" and stored["isEncrypted"] is True
    secret_id = stored["secretReferenceValueId"]
    plain = client.get(
        f"{DM}/deviceConfigurations/{profile_id}/getOmaSettingPlainTextValue"
        f"(secretReferenceValueId='{secret_id}')"
    )
    assert plain.status == 200 and plain.body["value"] == "s3cret"
    other = client.post(f"{DM}/deviceConfigurations", {**body, "omaSettings": [{**oma, "value": "x"}]}).body[
        "id"
    ]
    foreign = client.get(
        f"{DM}/deviceConfigurations/{other}/getOmaSettingPlainTextValue(secretReferenceValueId='{secret_id}')"
    )
    assert foreign.status == 404


def test_assign_replaces_the_whole_set(client: ModelClient) -> None:
    body = {"@odata.type": G + "iosGeneralDeviceConfiguration", "displayName": "iOS - Restrictions"}
    profile_id = client.post(f"{DM}/deviceConfigurations", body).body["id"]
    path = f"{DM}/deviceConfigurations/{profile_id}"
    client.post(f"{path}/assign", {"assignments": [group_target(GROUP_A), group_target(GROUP_B)]})
    assert len(client.get_all(f"{path}/assignments")) == 2
    excluded = group_target(GROUP_A, "exclusionGroupAssignmentTarget")
    assert client.post(f"{path}/assign", {"assignments": [excluded]}).status == 200
    expanded = client.get(path, query={"$expand": "assignments"}).body["assignments"]
    assert [item["target"]["@odata.type"] for item in expanded] == [G + "exclusionGroupAssignmentTarget"]


def test_per_type_assign_keys(client: ModelClient) -> None:
    content = base64.b64encode(b"exit 0").decode()
    script = {"displayName": "S", "publisher": "MSP", "detectionScriptContent": content}
    script_id = client.post(f"{DM}/deviceHealthScripts", script).body["id"]
    schedule = {"@odata.type": G + "deviceHealthScriptDailySchedule", "interval": 1, "time": "09:00:00"}
    item = {**group_target(GROUP_A), "runRemediationScript": True, "runSchedule": schedule}
    assert client.post(f"{DM}/deviceHealthScripts/{script_id}/assign", {"assignments": [item]}).status == 400
    response = client.post(
        f"{DM}/deviceHealthScripts/{script_id}/assign", {"deviceHealthScriptAssignments": [item]}
    )
    assert response.status == 200
    assigned = client.get_all(f"{DM}/deviceHealthScripts/{script_id}/assignments")
    assert assigned[0]["runSchedule"] == schedule
    defaults = client.get_all(f"{DM}/deviceEnrollmentConfigurations")
    esp = {"@odata.type": G + "windows10EnrollmentCompletionPageConfiguration", "displayName": "ENR - ESP"}
    esp_id = client.post(f"{DM}/deviceEnrollmentConfigurations", esp).body["id"]
    key = "enrollmentConfigurationAssignments"
    assert (
        client.post(
            f"{DM}/deviceEnrollmentConfigurations/{esp_id}/assign", {key: [group_target(GROUP_B)]}
        ).status
        == 200
    )
    assert len(defaults) == 4


def test_autopilot_and_terms_assign_one_target_at_a_time(client: ModelClient) -> None:
    body = {"@odata.type": G + "azureADWindowsAutopilotDeploymentProfile", "displayName": "WIN - Autopilot"}
    profile_id = client.post(f"{DM}/windowsAutopilotDeploymentProfiles", body).body["id"]
    path = f"{DM}/windowsAutopilotDeploymentProfiles/{profile_id}/assignments"
    first = client.post(path, group_target(GROUP_A))
    assert first.status == 201
    client.post(path, group_target(GROUP_B))
    assert {item["target"]["groupId"] for item in client.get_all(path)} == {GROUP_A, GROUP_B}
    assert client.request("DELETE", f"{path}/{first.body['id']}").status == 204
    assert [item["target"]["groupId"] for item in client.get_all(path)] == [GROUP_B]
    assert (
        client.post(
            f"{DM}/windowsAutopilotDeploymentProfiles/{profile_id}/assign", {"assignments": []}
        ).status
        == 400
    )


def test_default_enrollment_configurations_cannot_be_deleted(client: ModelClient) -> None:
    defaults = client.get_all(f"{DM}/deviceEnrollmentConfigurations", query={"$filter": "priority eq 0"})
    assert len(defaults) == 4 and any(item["id"].endswith("_DefaultLimit") for item in defaults)
    for item in defaults:
        assert client.request("DELETE", f"{DM}/deviceEnrollmentConfigurations/{item['id']}").status == 400
    limit = {
        "@odata.type": G + "deviceEnrollmentLimitConfiguration",
        "displayName": "ENR - Limit",
        "limit": 5,
    }
    created = client.post(f"{DM}/deviceEnrollmentConfigurations", limit).body
    assert created["priority"] == 1 and created["id"].endswith("_Limit")
    assert (
        client.post(
            f"{DM}/deviceEnrollmentConfigurations/{created['id']}/setPriority", {"priority": 3}
        ).status
        == 204
    )
    assert client.get(f"{DM}/deviceEnrollmentConfigurations/{created['id']}").body["priority"] == 3
    assert client.request("DELETE", f"{DM}/deviceEnrollmentConfigurations/{created['id']}").status == 204


def test_role_definitions_filter_out_built_ins_and_built_ins_are_read_only(client: ModelClient) -> None:
    body = {"displayName": "MSP - L1", "rolePermissions": [{"resourceActions": []}]}
    custom_id = client.post(f"{DM}/roleDefinitions", body).body["id"]
    custom = client.get_all(f"{DM}/roleDefinitions", query={"$filter": "isBuiltIn eq false"})
    assert [item["id"] for item in custom] == [custom_id]
    built_in = client.get_all(f"{DM}/roleDefinitions", query={"$filter": "isBuiltIn eq true"})
    assert len(built_in) == 7
    assert client.request("DELETE", f"{DM}/roleDefinitions/{built_in[0]['id']}").status == 400
    assert client.request("DELETE", f"{DM}/roleScopeTags/0").status == 400


def test_notification_templates_take_one_localized_message_per_locale(client: ModelClient) -> None:
    template_id = client.post(f"{DM}/notificationMessageTemplates", {"displayName": "NOTIFY"}).body["id"]
    for locale in ("en-us", "de-de"):
        message = {
            "locale": locale,
            "subject": "Device not compliant",
            "messageTemplate": "Fix it",
            "isDefault": locale == "en-us",
        }
        path = f"{DM}/notificationMessageTemplates/{template_id}/localizedNotificationMessages"
        assert client.post(path, message).status == 201
    expanded = client.get_all(
        f"{DM}/notificationMessageTemplates", query={"$expand": "localizedNotificationMessages"}
    )
    assert [item["locale"] for item in expanded[0]["localizedNotificationMessages"]] == ["en-us", "de-de"]


def test_app_protection_is_listed_mixed_and_written_typed(client: ModelClient) -> None:
    ios = client.post(
        "/deviceAppManagement/iosManagedAppProtections", {"displayName": "iOS - APP", "pinRequired": True}
    ).body
    android = client.post(
        "/deviceAppManagement/androidManagedAppProtections", {"displayName": "AND - APP"}
    ).body
    mixed = client.get_all("/deviceAppManagement/managedAppPolicies")
    assert {item["@odata.type"] for item in mixed} == {
        G + "iosManagedAppProtection",
        G + "androidManagedAppProtection",
    }
    assert all("assignments" not in item for item in mixed)
    wrong = client.post(
        "/deviceAppManagement/iosManagedAppProtections",
        {"@odata.type": G + "androidManagedAppProtection", "displayName": "x"},
    )
    assert wrong.status == 400
    assert client.post("/deviceAppManagement/managedAppPolicies", {"displayName": "x"}).status == 405
    apps = {
        "apps": [
            {
                "mobileAppIdentifier": {
                    "@odata.type": G + "iosMobileAppIdentifier",
                    "bundleId": "com.microsoft.office.outlook",
                }
            }
        ]
    }
    assert (
        client.post(f"/deviceAppManagement/iosManagedAppProtections/{ios['id']}/targetApps", apps).status
        == 204
    )
    typed = client.get(
        f"/deviceAppManagement/iosManagedAppProtections/{ios['id']}", query={"$expand": "apps"}
    )
    assert typed.body["apps"][0]["mobileAppIdentifier"]["bundleId"] == "com.microsoft.office.outlook"
    assign = client.post(
        f"/deviceAppManagement/androidManagedAppProtections/{android['id']}/assign",
        {"assignments": [group_target(GROUP_A)]},
    )
    assert assign.status == 200


def test_app_configuration_assigns_through_the_type_cast_segment(client: ModelClient) -> None:
    body = {
        "@odata.type": G + "iosMobileAppConfiguration",
        "displayName": "iOS - Outlook",
        "targetedMobileApps": ["44444444-4444-4444-8444-444444444444"],
    }
    config_id = client.post("/deviceAppManagement/mobileAppConfigurations", body).body["id"]
    cast = (
        f"/deviceAppManagement/mobileAppConfigurations/{config_id}"
        "/microsoft.graph.managedDeviceMobileAppConfiguration"
    )
    assert client.post(f"{cast}/assign", {"assignments": [group_target(GROUP_A)]}).status == 200
    assert len(client.get_all(f"/deviceAppManagement/mobileAppConfigurations/{config_id}/assignments")) == 1


def test_conditional_access_and_groups_answer_on_v1(model: GraphModel, client: ModelClient) -> None:
    body = {"displayName": "CA001", "state": "disabled", "conditions": {"users": {"includeUsers": ["All"]}}}
    created = client.post("/identity/conditionalAccess/policies", body, version="v1.0")
    assert created.status == 201 and "modifiedDateTime" in created.body
    group = model.put_raw("tenant-a", "groups", {"displayName": "SG-Intune-Pilot"})
    assert client.get(f"/groups/{group['id']}", version="v1.0").body["displayName"] == "SG-Intune-Pilot"
    assert client.request("PATCH", f"/groups/{group['id']}", {"displayName": "x"}).status == 405
    no_directory = ModelClient(model, "tenant-a", roles={"DeviceManagementConfiguration.Read.All"})
    denied = no_directory.get("/groups")
    assert (denied.status, denied.body["error"]["code"]) == (403, "Authorization_RequestDenied")
    reader = ModelClient(model, "tenant-a", roles={"Policy.Read.All"})
    assert reader.get("/identity/conditionalAccess/policies").status == 200
    assert reader.post("/identity/conditionalAccess/policies", body).status == 403


def test_intent_settings_read_by_category_as_backup_tools_do(client: ModelClient) -> None:
    template = client.get_all(f"{DM}/templates")[0]
    intent_id = client.post(
        f"{DM}/templates/{template['id']}/createInstance", {"displayName": "WIN - SB"}
    ).body["id"]
    [category] = client.get_all(f"{DM}/templates/{template['id']}/categories")
    settings = client.get_all(f"{DM}/intents/{intent_id}/categories/{category['id']}/settings")
    assert [item["definitionId"] for item in settings] == [
        item["definitionId"] for item in client.get_all(f"{DM}/intents/{intent_id}/settings")
    ]
    expanded = client.get(f"{DM}/intents/{intent_id}", query={"$expand": "categories"}).body
    assert expanded["categories"][0]["id"] == category["id"]
