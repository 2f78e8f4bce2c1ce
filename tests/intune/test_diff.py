"""The field-level diff: matched by natural key, deaf to order and server-managed fields, and
never comparing secrets. Settings catalog payloads come from graphsim's seed generator."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from local.graphsim.intune.seed.catalog_settings import generate_settings
from local.graphsim.intune.seed.random_source import Source
from shared.intune.catalog import object_type
from shared.intune.diff import FieldChange, diff_policies
from shared.intune.errors import UnknownPolicyType
from shared.intune.normalize import normalize

G = "#microsoft.graph."
GROUP_A = "6f1c2a9e-3b7d-4e15-9a0c-2d4e8f6b1a01"
GROUP_B = "0b9e7d3c-5a21-4f86-8c4d-7e2f1a3b9c02"
GROUP_C = "c4d2e8f1-7a39-4b06-91e5-3f8a6d2c7b03"
FILTER_1 = "a1f3c5e7-2b4d-4c68-8e0a-1b3d5f7a9c11"
FILTER_2 = "b2e4d6f8-3c5e-4d79-9f1b-2c4e6a8b0d22"
BITLOCKER = "device_vendor_msft_bitlocker_requiredeviceencryption"
FIREWALL_RULES = "vendor_msft_firewall_mdmstore_firewallrules"


def settings_policy(count: int = 150, seed: int = 7) -> dict[str, Any]:
    """A settings catalog policy as Graph returns it with `$expand=settings,assignments`: `count`
    seeded settings, one of them BitLocker's encryption choice and one a two-row group collection."""
    seeded = generate_settings(Source(seed, "contoso"), count + 1)
    settings = [item for item in seeded if item["settingInstance"]["settingDefinitionId"] != BITLOCKER][
        : count - 2
    ]
    settings.append({"id": "bitlocker", "settingInstance": _choice(BITLOCKER, 1)})
    rules = {
        "@odata.type": G + "deviceManagementConfigurationGroupSettingCollectionInstance",
        "settingDefinitionId": FIREWALL_RULES,
        "settingInstanceTemplateReference": None,
        "groupSettingCollectionValue": [
            {
                "settingValueTemplateReference": None,
                "children": [
                    _simple(f"{FIREWALL_RULES}_name", name),
                    _choice(f"{FIREWALL_RULES}_action", action),
                ],
            }
            for name, action in (("Allow RDP", 1), ("Block SMB", 0))
        ],
    }
    settings.append({"id": "rules", "settingInstance": rules})
    return {
        "@odata.context": "https://graph.microsoft.com/beta/$metadata#deviceManagement/configurationPolicies/$entity",
        "id": "5f0c9a3e-1d2b-4c7a-8e6f-9b0a1c2d3e4f",
        "name": "WIN - Baseline - BitLocker",
        "description": "Disk encryption managed by the MSP baseline",
        "platforms": "windows10",
        "technologies": "mdm",
        "roleScopeTagIds": ["0", "3", "7"],
        "settingCount": len(settings),
        "createdDateTime": "2024-03-01T10:00:00.0000000Z",
        "lastModifiedDateTime": "2024-05-01T10:00:00.0000000Z",
        "templateReference": {"templateId": "", "templateFamily": "none"},
        "settings": settings,
        "assignments": [
            _assignment("a1", _group(GROUP_A, FILTER_1, "include")),
            _assignment("a2", {"@odata.type": G + "exclusionGroupAssignmentTarget", "groupId": GROUP_B}),
            _assignment(
                "a3",
                {
                    "@odata.type": G + "allDevicesAssignmentTarget",
                    "deviceAndAppManagementAssignmentFilterId": None,
                    "deviceAndAppManagementAssignmentFilterType": "none",
                },
            ),
        ],
    }


def _choice(definition_id: str, option: int) -> dict[str, Any]:
    return {
        "@odata.type": G + "deviceManagementConfigurationChoiceSettingInstance",
        "settingDefinitionId": definition_id,
        "settingInstanceTemplateReference": None,
        "choiceSettingValue": {
            "settingValueTemplateReference": None,
            "value": f"{definition_id}_{option}",
            "children": [],
        },
    }


def _simple(definition_id: str, value: str) -> dict[str, Any]:
    return {
        "@odata.type": G + "deviceManagementConfigurationSimpleSettingInstance",
        "settingDefinitionId": definition_id,
        "simpleSettingValue": {
            "@odata.type": G + "deviceManagementConfigurationStringSettingValue",
            "value": value,
        },
    }


def _group(group_id: str, filter_id: str | None = None, filter_type: str = "none") -> dict[str, Any]:
    return {
        "@odata.type": G + "groupAssignmentTarget",
        "groupId": group_id,
        "deviceAndAppManagementAssignmentFilterId": filter_id,
        "deviceAndAppManagementAssignmentFilterType": filter_type,
    }


def _assignment(assignment_id: str, target: dict[str, Any]) -> dict[str, Any]:
    return {"id": assignment_id, "source": "direct", "sourceId": "5f0c9a3e", "target": target}


def _setting(policy: dict[str, Any], definition_id: str) -> dict[str, Any]:
    instance: dict[str, Any] = next(
        item["settingInstance"]
        for item in policy["settings"]
        if item["settingInstance"]["settingDefinitionId"] == definition_id
    )
    return instance


def _as_recaptured(policy: dict[str, Any]) -> dict[str, Any]:
    """The same configuration read again: new item IDs and stamps, every array in another order."""
    again = copy.deepcopy(policy)
    again["settings"].reverse()
    for index, item in enumerate(again["settings"]):
        item["id"] = str(900 + index)
    again["assignments"].reverse()
    for item in again["assignments"]:
        item["id"] = "re-" + item["id"]
    again["roleScopeTagIds"].reverse()
    again["lastModifiedDateTime"] = "2025-01-01T00:00:00.0000000Z"
    again["settingCount"] = 999
    return again


def test_identical_payloads_give_an_empty_diff() -> None:
    policy = settings_policy()
    diff = diff_policies("configurationPolicies", policy, copy.deepcopy(policy))
    assert diff.unchanged
    assert diff.to_api() == {
        "policyType": "configurationPolicies",
        "unchanged": True,
        "summary": {"added": 0, "removed": 0, "changed": 0, "notComparable": 0},
        "changes": [],
        "notComparable": [],
    }


def test_reordered_settings_assignments_and_scope_tags_are_no_change() -> None:
    policy = settings_policy()
    assert diff_policies("configurationPolicies", policy, _as_recaptured(policy)).changes == ()


def test_volatile_fields_are_ignored_at_every_depth() -> None:
    policy = settings_policy(count=20)
    changed = copy.deepcopy(policy)
    changed.update(id="other", version=9, createdDateTime="2020-01-01T00:00:00Z", settingCount=1)
    changed["@odata.context"] = "https://graph.microsoft.com/beta/$metadata#other"
    changed["assignments@odata.context"] = "https://graph.microsoft.com/beta/$metadata#assignments"
    changed["@odata.etag"] = 'W/"42"'
    changed["assignments"][0]["sourceId"] = "another-source"
    changed["settings"][0]["id"] = "77"
    assert diff_policies("configurationPolicies", policy, changed).changes == ()


def test_a_changed_choice_inside_a_group_collection_is_one_change_at_its_path() -> None:
    policy = settings_policy()
    changed = _as_recaptured(policy)
    rows = _setting(changed, FIREWALL_RULES)["groupSettingCollectionValue"]
    rows.reverse()
    block_smb = next(row for row in rows if row["children"][0]["simpleSettingValue"]["value"] == "Block SMB")
    block_smb["children"][1]["choiceSettingValue"]["value"] = f"{FIREWALL_RULES}_action_1"

    diff = diff_policies("configurationPolicies", policy, changed)

    assert diff.changes == (
        FieldChange(
            "changed",
            f"settings[{FIREWALL_RULES}].groupSettingCollectionValue[{rows.index(block_smb)}]"
            f".children[{FIREWALL_RULES}_action].choiceSettingValue.value",
            f"{FIREWALL_RULES}_action_0",
            f"{FIREWALL_RULES}_action_1",
        ),
    )


def test_a_changed_top_level_choice_names_the_setting_by_definition_id() -> None:
    policy = settings_policy()
    changed = _as_recaptured(policy)
    _setting(changed, BITLOCKER)["choiceSettingValue"]["value"] = f"{BITLOCKER}_0"
    [change] = diff_policies("configurationPolicies", policy, changed).changes
    assert (change.op, change.path) == ("changed", f"settings[{BITLOCKER}].choiceSettingValue.value")
    assert (change.before, change.after) == (f"{BITLOCKER}_1", f"{BITLOCKER}_0")


def test_an_added_and_a_removed_setting() -> None:
    policy = settings_policy()
    changed = _as_recaptured(policy)
    changed["settings"] = [
        item for item in changed["settings"] if item["settingInstance"]["settingDefinitionId"] != BITLOCKER
    ]
    added = "device_vendor_msft_policy_config_system_allowtelemetry"
    changed["settings"].insert(3, {"id": "4711", "settingInstance": _choice(added, 1)})

    diff = diff_policies("configurationPolicies", policy, changed)

    assert [(change.op, change.path) for change in diff.changes] == [
        ("removed", f"settings[{BITLOCKER}]"),
        ("added", f"settings[{added}]"),
    ]
    by_op = {change.op: change for change in diff.changes}
    assert by_op["added"].after["choiceSettingValue"]["value"] == f"{added}_1"
    assert by_op["added"].before is None
    assert by_op["removed"].before["settingDefinitionId"] == BITLOCKER
    assert diff.summary() == {"added": 1, "removed": 1, "changed": 0, "notComparable": 0}


def test_assignments_are_matched_by_target() -> None:
    policy = settings_policy(count=10)
    changed = _as_recaptured(policy)
    changed["assignments"] = [
        _assignment("n1", _group(GROUP_C)),
        _assignment("n2", _group(GROUP_A, FILTER_2, "exclude")),
        *[item for item in changed["assignments"] if "allDevices" in item["target"]["@odata.type"]],
    ]

    diff = diff_policies("configurationPolicies", policy, changed)

    paths = {change.path: change for change in diff.changes}
    assert set(paths) == {
        f"assignments[group:{GROUP_A}].target.deviceAndAppManagementAssignmentFilterId",
        f"assignments[group:{GROUP_A}].target.deviceAndAppManagementAssignmentFilterType",
        f"assignments[exclude:{GROUP_B}]",
        f"assignments[group:{GROUP_C}]",
    }
    filter_change = paths[f"assignments[group:{GROUP_A}].target.deviceAndAppManagementAssignmentFilterId"]
    assert (filter_change.op, filter_change.before, filter_change.after) == ("changed", FILTER_1, FILTER_2)
    assert paths[f"assignments[exclude:{GROUP_B}]"].op == "removed"
    assert paths[f"assignments[group:{GROUP_C}]"].op == "added"
    assert paths[f"assignments[group:{GROUP_C}]"].after == {"source": "direct", "target": _group(GROUP_C)}


def test_scope_tags_compare_as_a_set() -> None:
    policy = settings_policy(count=10)
    changed = copy.deepcopy(policy)
    changed["roleScopeTagIds"] = ["9", "7", "0"]
    diff = diff_policies("configurationPolicies", policy, changed)
    assert [(change.op, change.path, change.before, change.after) for change in diff.changes] == [
        ("removed", "roleScopeTagIds[3]", "3", None),
        ("added", "roleScopeTagIds[9]", None, "9"),
    ]


def test_an_ordered_scalar_list_is_compared_as_a_list() -> None:
    before = {"displayName": "Edge", "edgeHomeButtonUrls": ["https://a.contoso.com", "https://b.contoso.com"]}
    after = {**before, "edgeHomeButtonUrls": ["https://b.contoso.com", "https://a.contoso.com"]}
    [change] = diff_policies("deviceConfigurations", before, after).changes
    assert (change.op, change.path) == ("changed", "edgeHomeButtonUrls")


def _definition_value(
    definition_id: str, presentations: list[tuple[str, Any]], value_id: str
) -> dict[str, Any]:
    return {
        "id": value_id,
        "enabled": True,
        "configurationType": "policy",
        "createdDateTime": "2024-03-01T10:00:00Z",
        "definition": {
            "id": definition_id,
            "displayName": f"Setting {definition_id[:4]}",
            "classType": "machine",
        },
        "presentationValues": [
            {
                "@odata.type": G + "groupPolicyPresentationValueText",
                "id": f"{value_id}-{presentation_id}",
                "value": value,
                "presentation": {"@odata.type": G + "groupPolicyPresentationTextBox", "id": presentation_id},
            }
            for presentation_id, value in presentations
        ],
    }


HOMEPAGE = "4b2c7a1e-9d3f-4e58-a6b0-1c2d3e4f5a60"
HOMEPAGE_URL = "7e8f9a0b-1c2d-4e3f-8a5b-6c7d8e9f0a71"
HOMEPAGE_LABEL = "8f9a0b1c-2d3e-4f50-9b6c-7d8e9f0a1b82"
SYNC = "9a0b1c2d-3e4f-4a61-8c7d-8e9f0a1b2c93"


def group_policy(value_ids: str, url: str) -> dict[str, Any]:
    return {
        "id": "c0ffee00-1111-4222-8333-944455556666",
        "displayName": "WIN - Administrative Templates - Edge",
        "roleScopeTagIds": ["0"],
        "definitionValues": [
            _definition_value(HOMEPAGE, [(HOMEPAGE_URL, url), (HOMEPAGE_LABEL, "Intranet")], value_ids + "1"),
            _definition_value(SYNC, [], value_ids + "2"),
        ],
        "assignments": [],
    }


def test_group_policy_presentation_value_matched_by_definition_and_presentation() -> None:
    before = group_policy("first-", "https://intranet.contoso.com")
    after = group_policy("second-", "https://portal.contoso.com")
    after["definitionValues"].reverse()
    after["definitionValues"][1]["presentationValues"].reverse()
    diff = diff_policies("groupPolicyConfigurations", before, after)
    assert diff.changes == (
        FieldChange(
            "changed",
            f"definitionValues[{HOMEPAGE}].presentationValues[{HOMEPAGE_URL}].value",
            "https://intranet.contoso.com",
            "https://portal.contoso.com",
        ),
    )


def test_group_policy_values_bound_by_odata_bind_match_expanded_ones() -> None:
    before = group_policy("first-", "https://intranet.contoso.com")
    after = copy.deepcopy(before)
    for value in after["definitionValues"]:
        definition = value.pop("definition")
        value["definition@odata.bind"] = (
            f"https://graph.microsoft.com/beta/deviceManagement/groupPolicyDefinitions('{definition['id']}')"
        )
    after["definitionValues"][0]["enabled"] = False
    assert [
        (change.op, change.path)
        for change in diff_policies("groupPolicyConfigurations", before, after).changes
    ] == [("changed", f"definitionValues[{HOMEPAGE}].enabled")]


def compliance_policy(block_grace: int, notify_template: str = "tpl-1") -> dict[str, Any]:
    return {
        "@odata.type": G + "windows10CompliancePolicy",
        "id": "d1e2f3a4-b5c6-4d7e-8f90-a1b2c3d4e5f6",
        "displayName": "WIN - Compliance - Corporate",
        "roleScopeTagIds": ["0"],
        "passwordRequired": True,
        "bitLockerEnabled": True,
        "version": 3,
        "scheduledActionsForRule": [
            {
                "id": "rule-1",
                "ruleName": "PasswordRequired",
                "scheduledActionConfigurations": [
                    {
                        "id": "act-2",
                        "actionType": "notification",
                        "gracePeriodHours": 0,
                        "notificationTemplateId": notify_template,
                        "notificationMessageCCList": ["g1", "g2"],
                    },
                    {
                        "id": "act-1",
                        "actionType": "block",
                        "gracePeriodHours": block_grace,
                        "notificationTemplateId": "00000000-0000-0000-0000-000000000000",
                        "notificationMessageCCList": [],
                    },
                ],
            }
        ],
        "assignments": [],
    }


def test_compliance_action_grace_period_change_is_matched_by_action_type() -> None:
    before = compliance_policy(block_grace=24)
    after = compliance_policy(block_grace=72)
    after["scheduledActionsForRule"][0]["scheduledActionConfigurations"].reverse()
    after["scheduledActionsForRule"][0]["scheduledActionConfigurations"][1]["notificationMessageCCList"] = [
        "g2",
        "g1",
    ]
    [change] = diff_policies("deviceCompliancePolicies", before, after).changes
    assert change == FieldChange(
        "changed",
        "scheduledActionsForRule[PasswordRequired].scheduledActionConfigurations[block].gracePeriodHours",
        24,
        72,
    )


def test_a_second_notification_action_is_told_apart_by_its_template() -> None:
    before = compliance_policy(block_grace=24)
    after = copy.deepcopy(before)
    actions = after["scheduledActionsForRule"][0]["scheduledActionConfigurations"]
    actions.append({**actions[0], "id": "act-3", "notificationTemplateId": "tpl-2", "gracePeriodHours": 48})
    [change] = diff_policies("deviceCompliancePolicies", before, after).changes
    assert (change.op, change.path) == (
        "added",
        "scheduledActionsForRule[PasswordRequired].scheduledActionConfigurations[notification:tpl-2]",
    )


def test_localized_notification_messages_are_matched_by_locale() -> None:
    def template(messages: list[tuple[str, str]]) -> dict[str, Any]:
        return {
            "id": "tpl-1",
            "displayName": "Non-compliant device",
            "brandingOptions": "includeCompanyLogo",
            "localizedNotificationMessages": [
                {
                    "id": f"tpl-1_{locale}",
                    "locale": locale,
                    "subject": "Action needed",
                    "messageTemplate": body,
                    "isDefault": locale == "en-us",
                    "lastModifiedDateTime": "2024-01-01T00:00:00Z",
                }
                for locale, body in messages
            ],
        }

    before = template([("en-us", "Your device is not compliant."), ("de-de", "Ihr Gerät ist nicht konform.")])
    after = template(
        [("de-de", "Ihr Gerät entspricht nicht den Richtlinien."), ("en-us", "Your device is not compliant.")]
    )
    [change] = diff_policies("notificationMessageTemplates", before, after).changes
    assert change.path == "localizedNotificationMessages[de-de].messageTemplate"


def oma_profile() -> dict[str, Any]:
    """A custom OMA-URI profile as Graph lists it: the Wi-Fi key masked and encrypted."""
    return {
        "@odata.type": G + "windows10CustomConfiguration",
        "id": "e5f6a7b8-c9d0-4e1f-8a2b-3c4d5e6f7a8b",
        "displayName": "WIN - Configuration - Custom OMA-URI",
        "roleScopeTagIds": ["0"],
        "version": 4,
        "omaSettings": [
            {
                "@odata.type": G + "omaSettingInteger",
                "displayName": "Allow Telemetry",
                "omaUri": "./Device/Vendor/MSFT/Policy/Config/System/AllowTelemetry",
                "value": 1,
                "isReadOnly": False,
                "isEncrypted": False,
                "secretReferenceValueId": None,
            },
            {
                "@odata.type": G + "omaSettingString",
                "displayName": "Wi-Fi pre-shared key",
                "omaUri": "./Vendor/MSFT/WiFi/Profile/Contoso/WlanXml",
                "value": "****",
                "isReadOnly": False,
                "isEncrypted": True,
                "secretReferenceValueId": "0d5e1f2a-3b4c-4d6e-8f7a-9b0c1d2e3f4a",
            },
        ],
        "assignments": [],
    }


WIFI_KEY = "omaSettings[./Vendor/MSFT/WiFi/Profile/Contoso/WlanXml].value"


def test_a_secret_not_captured_is_not_comparable_rather_than_changed() -> None:
    stored, secrets = normalize(object_type("deviceConfigurations"), oma_profile())
    assert secrets and "value" not in stored["omaSettings"][1]
    live = oma_profile()
    live["omaSettings"].reverse()
    live["omaSettings"][1]["secretReferenceValueId"] = "another-handle"

    diff = diff_policies("deviceConfigurations", stored, live)

    assert diff.changes == ()
    assert diff.not_comparable == (WIFI_KEY,)
    assert diff.to_api()["notComparable"] == [{"path": WIFI_KEY, "reason": "secretNotCaptured"}]
    assert diff.summary()["notComparable"] == 1


def test_a_real_change_next_to_a_secret_is_still_reported() -> None:
    stored, _ = normalize(object_type("deviceConfigurations"), oma_profile())
    later = oma_profile()
    later["omaSettings"][0]["value"] = 0
    later_stored, _ = normalize(object_type("deviceConfigurations"), later)
    diff = diff_policies("deviceConfigurations", stored, later_stored)
    assert [(change.path, change.before, change.after) for change in diff.changes] == [
        ("omaSettings[./Device/Vendor/MSFT/Policy/Config/System/AllowTelemetry].value", 1, 0)
    ]
    assert diff.not_comparable == (WIFI_KEY,)


def test_a_settings_catalog_secret_value_is_not_comparable() -> None:
    def with_secret(token: str) -> dict[str, Any]:
        policy = settings_policy(count=5)
        policy["settings"].append(
            {
                "id": "99",
                "settingInstance": {
                    "@odata.type": G + "deviceManagementConfigurationSimpleSettingInstance",
                    "settingDefinitionId": "device_vendor_msft_laps_policies_administratorpassword",
                    "simpleSettingValue": {
                        "@odata.type": G + "deviceManagementConfigurationSecretSettingValue",
                        "value": token,
                        "valueState": "encryptedValueToken",
                    },
                },
            }
        )
        return policy

    diff = diff_policies("configurationPolicies", with_secret("token-a"), with_secret("token-b"))
    assert diff.changes == ()
    assert diff.not_comparable == (
        "settings[device_vendor_msft_laps_policies_administratorpassword].simpleSettingValue.value",
    )


def test_an_unknown_policy_type_is_refused() -> None:
    with pytest.raises(UnknownPolicyType):
        diff_policies("noSuchType", {}, {})


def test_masked_values_in_two_live_reads_are_not_comparable() -> None:
    """A restore preview diffs live Graph objects, which carry no capture marker: the mask itself tells."""
    diff = diff_policies("deviceConfigurations", oma_profile(), oma_profile())
    assert diff.changes == ()
    assert diff.not_comparable == (WIFI_KEY,)


def test_missing_null_and_empty_are_alike_but_a_new_value_is_added() -> None:
    before: dict[str, Any] = {
        "displayName": "Edge", "description": None, "omaSettings": [], "assignments": []
    }
    after = {"displayName": "Edge", "notes": None, "description": "Managed by the MSP"}
    [change] = diff_policies("deviceConfigurations", before, after).changes
    assert change == FieldChange("added", "description", None, "Managed by the MSP")
