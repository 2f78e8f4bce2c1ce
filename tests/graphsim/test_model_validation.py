"""Every restore-time 400 Intune gives, in Intune's wrapped error shape."""

from __future__ import annotations

import json
from typing import Any

import pytest

from local.graphsim.intune import GraphModel
from local.graphsim.intune.testing import ModelClient

G = "#microsoft.graph."
DC = "/deviceManagement/deviceConfigurations"
COMPLIANCE = "/deviceManagement/deviceCompliancePolicies"
PROFILE = {
    "@odata.type": G + "windows10GeneralConfiguration",
    "displayName": "WIN - Configuration - Restrictions",
}


def action(kind: str) -> dict[str, Any]:
    return {
        "actionType": kind,
        "gracePeriodHours": 0,
        "notificationTemplateId": "",
        "notificationMessageCCList": [],
    }


def compliance(*kinds: str) -> dict[str, Any]:
    return {
        "@odata.type": G + "iosCompliancePolicy",
        "displayName": "iOS - Compliance - Corporate",
        "scheduledActionsForRule": [
            {
                "ruleName": "PasswordRequired",
                "scheduledActionConfigurations": [action(kind) for kind in kinds],
            }
        ],
    }


@pytest.fixture
def client() -> ModelClient:
    model = GraphModel()
    model.populate_defaults("tenant-a")
    return ModelClient(model, "tenant-a")


def intune_message(body: dict[str, Any]) -> str:
    """Intune's message is a JSON document; its `Message` holds the text plus Operation and Activity IDs."""
    document = json.loads(body["error"]["message"])
    assert set(document) == {
        "_version",
        "Message",
        "CustomApiErrorPhrase",
        "RetryAfter",
        "ErrorSourceService",
        "HttpHeaders",
    }
    assert " - Operation ID (for customer support): " in document["Message"]
    assert " - Activity ID: " in document["Message"]
    message: str = document["Message"]
    return message


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("id", "5f2d8c57-0000-4000-8000-000000000001"),
        ("createdDateTime", "2024-01-01T00:00:00Z"),
        ("lastModifiedDateTime", "2024-01-01T00:00:00Z"),
        ("version", 3),
    ],
)
def test_read_only_fields_on_create_are_a_400(client: ModelClient, field: str, value: Any) -> None:
    response = client.post(DC, {**PROFILE, field: value})
    assert response.status == 400
    assert response.body["error"]["code"] == "BadRequest"
    assert f"Property '{field}' is read-only" in intune_message(response.body)


def test_supports_scope_tags_true_is_a_400(client: ModelClient) -> None:
    response = client.post(DC, {**PROFILE, "supportsScopeTags": True})
    assert response.status == 400
    assert "supportsScopeTags" in intune_message(response.body)


def test_empty_role_scope_tag_ids_is_a_400(client: ModelClient) -> None:
    response = client.post(DC, {**PROFILE, "roleScopeTagIds": []})
    assert response.status == 400
    assert 'use ["0"]' in intune_message(response.body)


def test_missing_odata_type_on_a_polymorphic_collection_is_a_model_validation_failure(
    client: ModelClient,
) -> None:
    response = client.post(DC, {"displayName": "no type"})
    assert (response.status, response.body["error"]["code"]) == (400, "ModelValidationFailure")
    assert "could not be resolved by the model" in intune_message(response.body)


def test_wrong_odata_type_is_a_model_validation_failure(client: ModelClient) -> None:
    response = client.post(DC, {**PROFILE, "@odata.type": G + "windows10CompliancePolicy"})
    assert (response.status, response.body["error"]["code"]) == (400, "ModelValidationFailure")
    assert "A type named 'microsoft.graph.windows10CompliancePolicy' could not be resolved by the model" in (
        intune_message(response.body)
    )


def test_secret_reference_on_create_is_a_400(client: ModelClient) -> None:
    oma = {
        "@odata.type": G + "omaSettingString",
        "displayName": "key",
        "omaUri": "./Vendor/MSFT/X",
        "value": "****",
        "isEncrypted": True,
        "secretReferenceValueId": "8f5a0000-0000-4000-8000-000000000001",
    }
    body = {
        "@odata.type": G + "windows10CustomConfiguration",
        "displayName": "WIN - Custom",
        "omaSettings": [oma],
    }
    response = client.post(DC, body)
    assert response.status == 400
    assert "secretReferenceValueId" in intune_message(response.body)


@pytest.mark.parametrize(
    "kinds", [(), ("notification",), ("block", "block"), ("block", "notification", "block")]
)
def test_compliance_without_exactly_one_block_action_is_a_400(
    client: ModelClient, kinds: tuple[str, ...]
) -> None:
    response = client.post(COMPLIANCE, compliance(*kinds))
    assert response.status == 400
    assert intune_message(response.body).startswith(
        "Compliance policy must have one and only one block scheduled action"
    )


def test_compliance_without_scheduled_actions_is_a_400(client: ModelClient) -> None:
    body = {key: value for key, value in compliance("block").items() if key != "scheduledActionsForRule"}
    response = client.post(COMPLIANCE, body)
    assert response.status == 400
    assert "one and only one block" in intune_message(response.body)


def test_compliance_with_one_block_and_a_notification_is_created(client: ModelClient) -> None:
    assert client.post(COMPLIANCE, compliance("block", "pushNotification")).status == 201


def test_a_value_of_the_wrong_json_type_is_a_400(client: ModelClient) -> None:
    response = client.post(DC, {**PROFILE, "displayName": 42})
    assert response.status == 400
    assert response.body["error"]["message"] == (
        "Cannot convert the literal '42' to the expected type 'Edm.String' of property 'displayName'."
    )


def test_a_missing_required_property_is_a_400(client: ModelClient) -> None:
    response = client.post("/deviceManagement/assignmentFilters", {"displayName": "FLT", "platform": "iOS"})
    assert response.status == 400
    assert "The property 'rule' is required" in intune_message(response.body)


def test_script_content_must_be_base64(client: ModelClient) -> None:
    body = {"displayName": "WIN - Script", "scriptContent": "Write-Output 'not base64'", "fileName": "x.ps1"}
    response = client.post("/deviceManagement/deviceManagementScripts", body)
    assert response.status == 400
    assert "Edm.Binary" in response.body["error"]["message"]


def test_a_body_that_is_not_an_object_is_a_400(client: ModelClient) -> None:
    assert client.post(DC, ["not", "an", "object"]).status == 400
    assert client.post(DC, None).status == 400


def test_patch_cannot_change_the_odata_type(client: ModelClient) -> None:
    object_id = client.post(DC, PROFILE).body["id"]
    response = client.request(
        "PATCH", f"{DC}/{object_id}", {"@odata.type": G + "iosGeneralDeviceConfiguration"}
    )
    assert (response.status, response.body["error"]["code"]) == (400, "ModelValidationFailure")


def test_assignment_targets_are_validated(client: ModelClient) -> None:
    object_id = client.post(DC, PROFILE).body["id"]
    bad_type = {"assignments": [{"target": {"@odata.type": G + "userAssignmentTarget"}}]}
    assert client.post(f"{DC}/{object_id}/assign", bad_type).status == 400
    bad_group = {
        "assignments": [{"target": {"@odata.type": G + "groupAssignmentTarget", "groupId": "SG-Pilot"}}]
    }
    assert client.post(f"{DC}/{object_id}/assign", bad_group).status == 400
    wrong_key: dict[str, list[Any]] = {"deviceManagementScriptAssignments": []}
    response = client.post(f"{DC}/{object_id}/assign", wrong_key)
    assert response.status == 400
    assert "'assignments'" in intune_message(response.body)
