"""The catalog as data: every type of docs/graph-intune.md#object-types, sane restore order, the facts
per type, and the payload normalisation that makes hashes stable."""

from __future__ import annotations

import random
import re
from pathlib import Path
from typing import Any

import pytest

from local.graphsim.intune.catalog import TYPES as SIM_TYPES
from shared.intune import (
    BY_NAME,
    SECRETS_MARKER,
    TYPES,
    UnknownPolicyType,
    WriteStrategy,
    object_type,
    restore_sequence,
)
from shared.intune.model import ObjectType, nested_id
from shared.intune.normalize import normalize
from shared.storage import canonical_json

REFERENCE_TYPES = {
    "deviceConfigurations",
    "deviceCompliancePolicies",
    "configurationPolicies",
    "groupPolicyConfigurations",
    "intents",
    "deviceManagementScripts",
    "deviceHealthScripts",
    "deviceShellScripts",
    "deviceCustomAttributeShellScripts",
    "deviceComplianceScripts",
    "windowsAutopilotDeploymentProfiles",
    "deviceEnrollmentConfigurations",
    "assignmentFilters",
    "roleScopeTags",
    "roleDefinitions",
    "notificationMessageTemplates",
    "windowsFeatureUpdateProfiles",
    "windowsQualityUpdateProfiles",
    "windowsDriverUpdateProfiles",
    "termsAndConditions",
    "managedAppPolicies",
    "mobileAppConfigurations",
    "conditionalAccessPolicies",
    "compliancePolicies",
    "reusablePolicySettings",
    "deviceCategories",
    "roleAssignments",
    "deviceManagementSettings",
    "appleEnrollmentProfiles",
    "cloudPcProvisioningPolicies",
    "cloudPcUserSettings",
    "mobileAppAssignments",
    "namedLocations",
    "authenticationStrengthPolicies",
    "authenticationContextClassReferences",
    "mobileApps",
    "applePushNotificationCertificate",
    "depOnboardingSettings",
    "vppTokens",
    "deviceManagementPartners",
    "androidManagedStoreAccountEnterpriseSettings",
    "complianceManagementPartners",
    "remoteAssistancePartners",
}
"""One key per row of the object-type table in docs/graph-intune.md#object-types."""

CAPTURE_ONLY = {
    "mobileApps",
    "applePushNotificationCertificate",
    "depOnboardingSettings",
    "vppTokens",
    "deviceManagementPartners",
    "androidManagedStoreAccountEnterpriseSettings",
    "complianceManagementPartners",
    "remoteAssistancePartners",
}
NEVER_CREATED = {"deviceManagementSettings", "mobileAppAssignments"}
"""Restorable types written only into an object the target already has."""


def test_every_reference_type_has_exactly_one_entry() -> None:
    names = [entry.name for entry in TYPES]
    assert len(names) == len(set(names))
    assert set(names) == REFERENCE_TYPES


def test_at_least_40_types_are_captured_and_32_restored() -> None:
    assert len(TYPES) >= 40
    assert len(restore_sequence()) >= 32
    assert len(TYPES) - len(restore_sequence()) == len(CAPTURE_ONLY)


def test_every_catalog_collection_is_one_the_simulator_serves() -> None:
    """The simulator models every catalog type (and more); our paths must be among its collections."""
    served = {spec.collection for spec in SIM_TYPES}
    for entry in TYPES:
        assert entry.collection.lstrip("/") in served, entry.name
    for typed in BY_NAME["managedAppPolicies"].typed_collections.values():
        assert typed.lstrip("/") in served
    for entry in TYPES:
        if entry.parent is not None:
            assert entry.parent.collection.lstrip("/") in served


def test_unknown_type_is_a_404_problem_naming_the_known_types() -> None:
    with pytest.raises(UnknownPolicyType) as caught:
        object_type("deviceConfiguration")
    problem = caught.value.to_problem().to_dict()
    assert problem["status"] == 404
    assert problem["code"] == "policy.unknown_type"
    assert "deviceConfigurations" in problem["detail"]


def test_restore_order_writes_every_dependency_first() -> None:
    order = {entry.name: position for position, entry in enumerate(restore_sequence())}
    for entry in restore_sequence():
        for dependency in entry.depends_on:
            assert dependency in BY_NAME, f"{entry.name} depends on unknown {dependency}"
            if BY_NAME[dependency].restorable:
                assert order[dependency] < order[entry.name], f"{dependency} must come before {entry.name}"
    names = [entry.name for entry in restore_sequence()]
    assert names[:4] == [
        "roleScopeTags",
        "deviceCategories",
        "assignmentFilters",
        "notificationMessageTemplates",
    ]
    assert order["namedLocations"] < order["conditionalAccessPolicies"]
    assert order["reusablePolicySettings"] < order["configurationPolicies"]
    assert order["roleDefinitions"] < order["roleAssignments"]


def test_capture_only_types_say_why_and_have_no_writes() -> None:
    for entry in TYPES:
        if entry.name in CAPTURE_ONLY:
            assert entry.not_restorable_reason
            assert not entry.create and not entry.update and entry.assign is None
            assert entry.name not in {restorable.name for restorable in restore_sequence()}
        elif entry.name in NEVER_CREATED:
            assert entry.restorable and entry.target_must_exist and not entry.create, entry.name
            assert entry.update or entry.assign, entry.name
        else:
            assert entry.restorable and entry.create and entry.update and not entry.target_must_exist, (
                entry.name
            )


@pytest.mark.parametrize(
    ("name", "body_key"),
    [
        ("deviceConfigurations", "assignments"),
        ("deviceManagementScripts", "deviceManagementScriptAssignments"),
        ("deviceShellScripts", "deviceManagementScriptAssignments"),
        ("deviceHealthScripts", "deviceHealthScriptAssignments"),
        ("deviceEnrollmentConfigurations", "enrollmentConfigurationAssignments"),
        ("mobileAppAssignments", "mobileAppAssignments"),
        ("cloudPcProvisioningPolicies", "assignments"),
        ("compliancePolicies", "assignments"),
    ],
)
def test_assign_body_keys_follow_the_reference(name: str, body_key: str) -> None:
    assign = BY_NAME[name].assign
    assert assign is not None and assign.body_key == body_key and not assign.per_target


def test_per_target_and_unassignable_types() -> None:
    for name in ("windowsAutopilotDeploymentProfiles", "termsAndConditions"):
        assign = BY_NAME[name].assign
        assert assign is not None and assign.per_target
    for name in (
        "assignmentFilters",
        "notificationMessageTemplates",
        "conditionalAccessPolicies",
        "namedLocations",
        "roleAssignments",
    ):
        assert BY_NAME[name].assign is None


def test_write_strategies_are_declared_per_type() -> None:
    """The restore engine dispatches on these; every other type is written generically."""
    generic = WriteStrategy.GENERIC
    declared = {entry.name: entry.write_strategy for entry in TYPES if entry.write_strategy is not generic}
    assert declared == {
        "deviceConfigurations": WriteStrategy.KEEP_TARGET_SECRETS,
        "deviceCompliancePolicies": WriteStrategy.COMPLIANCE_ACTIONS,
        "configurationPolicies": WriteStrategy.PUT_WHOLE,
        "groupPolicyConfigurations": WriteStrategy.DEFINITION_VALUES,
        "intents": WriteStrategy.FROM_TEMPLATE,
        "deviceEnrollmentConfigurations": WriteStrategy.SET_PRIORITY,
        "notificationMessageTemplates": WriteStrategy.LOCALIZED_MESSAGES,
        "managedAppPolicies": WriteStrategy.TARGET_APPS,
        "compliancePolicies": WriteStrategy.SETTINGS_COMPLIANCE,
        "deviceManagementSettings": WriteStrategy.PARENT_PROPERTY,
        "mobileAppAssignments": WriteStrategy.ASSIGN_ONLY,
        "appleEnrollmentProfiles": WriteStrategy.IN_PARENT,
        "authenticationContextClassReferences": WriteStrategy.CHOSEN_ID,
        "authenticationStrengthPolicies": WriteStrategy.ALLOWED_COMBINATIONS,
        "roleAssignments": WriteStrategy.ROLE_BINDING,
    }


STRATEGY_REQUESTS = {
    "PUT /{id}": {WriteStrategy.PUT_WHOLE, WriteStrategy.SETTINGS_COMPLIANCE},
    "POST /{id}/setPriority": {WriteStrategy.SET_PRIORITY},
    "POST /{id}/scheduleActionsForRules": {WriteStrategy.COMPLIANCE_ACTIONS},
    "POST /{id}/setScheduledActions": {WriteStrategy.SETTINGS_COMPLIANCE},
    "POST /{id}/updateDefinitionValues": {WriteStrategy.DEFINITION_VALUES},
    "POST /{id}/localizedNotificationMessages": {WriteStrategy.LOCALIZED_MESSAGES},
    "POST /deviceManagement/templates/{templateId}/createInstance": {WriteStrategy.FROM_TEMPLATE},
    "POST {typed_collection}/{id}/targetApps": {WriteStrategy.TARGET_APPS},
    "PATCH /deviceManagement": {WriteStrategy.PARENT_PROPERTY},
    "POST {parent}": {WriteStrategy.IN_PARENT},
    "POST /{id}/updateAllowedCombinations": {WriteStrategy.ALLOWED_COMBINATIONS},
}
"""The requests a strategy's writer makes, and the strategies that make each."""


@pytest.mark.parametrize("entry", TYPES, ids=lambda entry: entry.name)
def test_a_write_strategy_goes_with_the_requests_its_entry_lists(entry: ObjectType) -> None:
    """The requests an entry lists (`create`, `update`) and the strategy that makes them agree."""
    requests = {f"{op.method} {op.path}" for op in (*entry.create, *entry.update)}
    for request, strategies in STRATEGY_REQUESTS.items():
        assert (request in requests) == (entry.write_strategy in strategies), request


def test_list_queries_and_reads_follow_the_reference() -> None:
    assert BY_NAME["roleDefinitions"].list_params["$filter"] == "isBuiltIn eq false"
    assert BY_NAME["deviceManagementScripts"].list_omits == ("scriptContent",)
    assert not BY_NAME["deviceManagementScripts"].list_is_complete
    assert BY_NAME["deviceConfigurations"].list_is_complete
    assert BY_NAME["configurationPolicies"].expanded_pages == ("settings",)
    assert BY_NAME["conditionalAccessPolicies"].version == "v1.0"
    compliance = BY_NAME["deviceCompliancePolicies"]
    assert "scheduledActionsForRule($expand=scheduledActionConfigurations)" in compliance.expand


def test_default_enrollment_configurations_and_builtins_are_skipped() -> None:
    enrollment = BY_NAME["deviceEnrollmentConfigurations"].skip
    assert enrollment is not None
    assert enrollment.applies_to({"id": "abc_DefaultLimit", "priority": 0})
    assert enrollment.applies_to({"id": "abc_DefaultPlatformRestrictions"})
    assert not enrollment.applies_to({"id": "abc_Limit", "priority": 2})
    tags = BY_NAME["roleScopeTags"].skip
    assert tags is not None and tags.applies_to({"id": "0"}) and not tags.applies_to({"id": "3"})


def test_volatile_fields_and_read_only_ids_are_stripped() -> None:
    raw = {
        "@odata.context": "https://graph/$metadata#x",
        "@odata.type": "#microsoft.graph.windows10CompliancePolicy",
        "id": "p1",
        "displayName": "Baseline",
        "version": 7,
        "createdDateTime": "2022-01-01T00:00:00Z",
        "lastModifiedDateTime": "2023-01-01T00:00:00Z",
        "assignments@odata.context": "https://graph/$metadata#y",
        "scheduledActionsForRule": [
            {
                "id": "r1",
                "ruleName": "PasswordRequired",
                "scheduledActionConfigurations": [{"id": "c1", "actionType": "block"}],
            }
        ],
        "assignments": [{"id": "p1_g1", "sourceId": "p1", "target": {"@odata.type": "#g", "groupId": "g1"}}],
    }
    payload, secrets = normalize(BY_NAME["deviceCompliancePolicies"], raw)
    assert payload == {
        "@odata.type": "#microsoft.graph.windows10CompliancePolicy",
        "displayName": "Baseline",
        "scheduledActionsForRule": [
            {"ruleName": "PasswordRequired", "scheduledActionConfigurations": [{"actionType": "block"}]}
        ],
        "assignments": [{"target": {"@odata.type": "#g", "groupId": "g1"}}],
    }
    assert secrets == []


def _settings_policy(count: int) -> dict[str, Any]:
    return {
        "id": "p",
        "name": "Settings",
        "settings": [
            {"id": str(index), "settingInstance": {"settingDefinitionId": f"def_{index:03d}", "value": index}}
            for index in range(count)
        ],
        "assignments": [
            {
                "id": f"p_{group}",
                "target": {"@odata.type": "#microsoft.graph.groupAssignmentTarget", "groupId": group},
            }
            for group in ("g3", "g1", "g2")
        ],
    }


def test_sub_collection_order_does_not_change_the_hash() -> None:
    entry = BY_NAME["configurationPolicies"]
    original = _settings_policy(40)
    shuffled = _settings_policy(40)
    random.Random(7).shuffle(shuffled["settings"])
    shuffled["assignments"].reverse()
    for position, setting in enumerate(shuffled["settings"]):
        setting["id"] = str(position)
    first, _ = normalize(entry, original)
    second, _ = normalize(entry, shuffled)
    assert canonical_json(first) == canonical_json(second)
    assert [s["settingInstance"]["settingDefinitionId"] for s in first["settings"]][:2] == [
        "def_000",
        "def_001",
    ]


def test_encrypted_and_masked_values_are_recorded_not_stored() -> None:
    raw = {
        "id": "c1",
        "displayName": "Wi-Fi",
        "omaSettings": [
            {"omaUri": "./A", "value": 1, "isEncrypted": False, "secretReferenceValueId": None},
            {"omaUri": "./WiFi/Key", "value": "****", "isEncrypted": True, "secretReferenceValueId": "s-1"},
        ],
        "wiFiPreSharedKey": "********",
    }
    payload, secrets = normalize(BY_NAME["deviceConfigurations"], raw)
    text = canonical_json(payload).decode()
    assert "****" not in text and "s-1" not in text and "secretReferenceValueId" not in text
    assert payload["omaSettings"][1] == {"omaUri": "./WiFi/Key", "isEncrypted": True}
    assert secrets == ["omaSettings[omaUri='./WiFi/Key'].value", "wiFiPreSharedKey"]
    assert payload[SECRETS_MARKER] == secrets


def test_token_properties_of_capture_only_types_are_never_kept() -> None:
    payload, secrets = normalize(BY_NAME["vppTokens"], {"id": "v", "displayName": "VPP", "token": "c2VjcmV0"})
    assert "token" not in payload and secrets == ["token"]


def test_expanded_references_keep_only_what_identifies_them() -> None:
    """A CA policy's strength and a role assignment's role change with the referenced object, not
    with the policy: only their ID (and a role's name) is kept, so the hash changes only with it."""
    strength = {"id": "s1", "displayName": "MFA", "modifiedDateTime": "2024-01-01T00:00:00Z"}
    policy = {
        "id": "p",
        "displayName": "CA",
        "grantControls": {"operator": "OR", "authenticationStrength": strength},
    }
    payload, _ = normalize(BY_NAME["conditionalAccessPolicies"], policy)
    assert payload["grantControls"] == {"operator": "OR", "authenticationStrength": {"id": "s1"}}
    role = {"id": "r1", "displayName": "Helpdesk", "rolePermissions": [{"resourceActions": []}]}
    payload, _ = normalize(
        BY_NAME["roleAssignments"], {"id": "a", "displayName": "A", "roleDefinition": role}
    )
    assert payload["roleDefinition"] == {"id": "r1", "displayName": "Helpdesk"}


def test_an_apps_assignments_are_captured_without_the_app() -> None:
    app = {
        "@odata.type": "#microsoft.graph.win32LobApp",
        "id": "a1",
        "displayName": "7-Zip",
        "publisher": "Igor Pavlov",
        "installCommandLine": "msiexec /i 7z.msi /qn",
        "assignments": [{"id": "x", "intent": "required", "target": {"@odata.type": "#g", "groupId": "g1"}}],
    }
    payload, _ = normalize(BY_NAME["mobileAppAssignments"], app)
    assert payload == {
        "displayName": "7-Zip",
        "publisher": "Igor Pavlov",
        "assignments": [{"intent": "required", "target": {"@odata.type": "#g", "groupId": "g1"}}],
    }


def test_a_nested_object_is_read_at_its_path_under_its_parent() -> None:
    entry = BY_NAME["appleEnrollmentProfiles"]
    object_id = nested_id("token-1", "profile-2")
    assert object_id == "token-1_profile-2"
    assert (
        entry.item_path(object_id)
        == "/deviceManagement/depOnboardingSettings/token-1/enrollmentProfiles/profile-2"
    )
    with pytest.raises(ValueError, match="parent ID"):
        entry.item_path("profile-2")


def test_the_readme_lists_every_type_and_why_a_capture_only_one_is_not_restored() -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n## What is backed up and restored\n", 1)[1].split("\n## ", 1)[0]
    rows = {
        name: row
        for row in section.splitlines()
        if row.startswith("| `")
        for name in re.findall(r"`(\w+)`", row.split(" | ")[0])
    }
    assert set(rows) == set(BY_NAME)
    assert f"{len(TYPES)} object types are backed up" in section
    assert f"{len(restore_sequence())} of them are restored" in section
    for entry in TYPES:
        restored = rows[entry.name].rstrip(" |").rsplit(" | ", 1)[1]
        if entry.restorable:
            assert restored.startswith("yes"), entry.name
        else:
            assert restored == f"no: {entry.not_restorable_reason}", entry.name
