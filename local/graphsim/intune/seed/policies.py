"""Seeded configuration policies: settings catalog, device configuration profiles, compliance,
administrative templates and endpoint security intents."""

from __future__ import annotations

import base64
import json
from typing import Any

from ..store import Packed
from .catalog_settings import generate_settings
from .companions import reusable_reference
from .names import CATALOG_PURPOSES, PLATFORMS, TIERS
from .world import World

G = "#microsoft.graph."
NO_TEMPLATE = "00000000-0000-0000-0000-000000000000"
MOBILECONFIG = (
    '<?xml version="1.0" encoding="UTF-8"?><plist version="1.0"><dict><key>PayloadType</key>'
    "<string>Configuration</string><key>PayloadIdentifier</key><string>com.contoso.baseline.{n}</string>"
    "</dict></plist>"
)
PROFILE_TYPES = (
    ("windows10GeneralConfiguration", "windows10", "Restrictions"),
    ("windows10EndpointProtectionConfiguration", "windows10", "Endpoint Protection"),
    ("windows10CustomConfiguration", "windows10", "Custom OMA-URI"),
    ("windowsHealthMonitoringConfiguration", "windows10", "Health Monitoring"),
    ("windowsUpdateForBusinessConfiguration", "windows10", "Update Ring"),
    ("iosGeneralDeviceConfiguration", "iOS", "Device Restrictions"),
    ("iosDeviceFeaturesConfiguration", "iOS", "Device Features"),
    ("macOSGeneralDeviceConfiguration", "macOS", "Device Restrictions"),
    ("macOSCustomConfiguration", "macOS", "Custom Profile"),
    ("androidWorkProfileGeneralDeviceConfiguration", "android", "Work Profile Restrictions"),
)
COMPLIANCE_TYPES = (
    (
        "windows10CompliancePolicy",
        "windows10",
        {
            "passwordRequired": True,
            "bitLockerEnabled": True,
            "secureBootEnabled": True,
            "osMinimumVersion": "10.0.19045",
        },
    ),
    (
        "iosCompliancePolicy",
        "iOS",
        {"passcodeRequired": True, "securityBlockJailbrokenDevices": True, "osMinimumVersion": "16.0"},
    ),
    ("macOSCompliancePolicy", "macOS", {"storageRequireEncryption": True, "firewallEnabled": True}),
    (
        "androidWorkProfileCompliancePolicy",
        "android",
        {"securityBlockJailbrokenDevices": True, "passwordRequired": True},
    ),
)


def name(world: World, platform: str, kind: str, purpose: str, index: int) -> str:
    tier = world.source.pick(TIERS)
    return f"{PLATFORMS[platform]} - {kind} - {purpose}" + (f" ({tier})" if index >= 10 else "")


def settings_catalog(world: World, index: int) -> dict[str, Any]:
    source = world.source
    policy_id = source.guid()
    platform = source.pick(("windows10", "windows10", "windows10", "iOS", "macOS"))
    settings = generate_settings(source, source.between(10, 150))
    if world.reusable_settings and index % 4 == 1:
        reusable = world.reusable_settings[index % len(world.reusable_settings)]
        settings.append({**reusable_reference(reusable), "id": str(len(settings))})
    purpose = CATALOG_PURPOSES[index % len(CATALOG_PURPOSES)]
    return {
        "id": policy_id,
        "name": name(world, platform, "Baseline" if index % 3 else "Settings", purpose, index),
        "description": f"{purpose} settings managed by the MSP baseline",
        "platforms": platform,
        "technologies": "mdm" if platform != "windows10" or source.chance(0.8) else "mdm,microsoftSense",
        "roleScopeTagIds": world.tags(),
        "settingCount": len(settings),
        "creationSource": None,
        "isAssigned": True,
        "priorityMetaData": None,
        "templateReference": {
            "templateId": "",
            "templateFamily": "none",
            "templateDisplayName": None,
            "templateDisplayVersion": None,
        },
        **source.stamps(),
        "settings": Packed(settings),
        "assignments": world.assignments(policy_id),
    }


def device_configuration(world: World, index: int) -> dict[str, Any]:
    source = world.source
    kind, platform, label = PROFILE_TYPES[index % len(PROFILE_TYPES)]
    profile_id = source.guid()
    body: dict[str, Any] = {
        "@odata.type": G + kind,
        "id": profile_id,
        "displayName": name(world, platform, "Configuration", label, index),
        "description": f"{label} for {PLATFORMS[platform]} devices",
        "roleScopeTagIds": world.tags(),
        "supportsScopeTags": True,
        "deviceManagementApplicabilityRuleOsEdition": None,
        "deviceManagementApplicabilityRuleOsVersion": None,
        "deviceManagementApplicabilityRuleDeviceMode": None,
        **source.stamps(),
        "version": source.between(1, 12),
    }
    if kind.endswith("CustomConfiguration") and platform == "windows10":
        body["omaSettings"] = oma_settings(world)
    elif kind.endswith("CustomConfiguration"):
        payload = MOBILECONFIG.format(n=index).encode()
        body.update(
            payloadName=f"Contoso baseline {index}",
            payloadFileName=f"contoso-baseline-{index}.mobileconfig",
            payload=base64.b64encode(payload).decode(),
            deploymentChannel="deviceChannel",
        )
    elif kind == "windows10GeneralConfiguration":
        body.update(
            cameraBlocked=source.chance(0.3),
            storageBlockRemovableStorage=source.chance(0.4),
            passwordMinimumLength=source.pick((6, 8, 12)),
            defenderRequireRealTimeMonitoring=True,
        )
    elif kind.startswith("ios"):
        body.update(cameraBlocked=source.chance(0.2), passcodeRequired=True, passcodeMinimumLength=6)
    body["assignments"] = world.assignments(profile_id)
    return body


def oma_settings(world: World) -> list[dict[str, Any]]:
    """Two plain settings and one encrypted string whose secret only getOmaSettingPlainTextValue reveals."""
    secret_id = world.source.guid()
    world.secrets[secret_id] = {"id": secret_id, "value": f"wifi-psk-{world.source.between(1000, 9999)}"}
    return [
        {
            "@odata.type": G + "omaSettingInteger",
            "displayName": "Allow Telemetry",
            "description": None,
            "omaUri": "./Device/Vendor/MSFT/Policy/Config/System/AllowTelemetry",
            "value": 1,
            "isReadOnly": False,
            "isEncrypted": False,
            "secretReferenceValueId": None,
        },
        {
            "@odata.type": G + "omaSettingBoolean",
            "displayName": "Disable Consumer Features",
            "description": None,
            "omaUri": "./Device/Vendor/MSFT/Policy/Config/Experience/AllowWindowsConsumerFeatures",
            "value": False,
            "isReadOnly": False,
            "isEncrypted": False,
            "secretReferenceValueId": None,
        },
        {
            "@odata.type": G + "omaSettingString",
            "displayName": "Wi-Fi pre-shared key",
            "description": None,
            "omaUri": "./Vendor/MSFT/WiFi/Profile/Contoso/WlanXml",
            "value": "****",
            "isReadOnly": False,
            "isEncrypted": True,
            "secretReferenceValueId": secret_id,
        },
    ]


def compliance_policy(world: World, index: int) -> dict[str, Any]:
    source = world.source
    kind, platform, props = COMPLIANCE_TYPES[index % len(COMPLIANCE_TYPES)]
    policy_id = source.guid()
    actions = [
        {
            "id": source.guid(),
            "actionType": "block",
            "gracePeriodHours": source.pick((0, 0, 24, 72)),
            "notificationTemplateId": NO_TEMPLATE,
            "notificationMessageCCList": [],
        }
    ]
    if world.templates and source.chance(0.6):
        actions.append(
            {
                "id": source.guid(),
                "actionType": "notification",
                "gracePeriodHours": 0,
                "notificationTemplateId": source.pick(world.templates),
                "notificationMessageCCList": [],
            }
        )
    return {
        "@odata.type": G + kind,
        "id": policy_id,
        "displayName": name(
            world, platform, "Compliance", source.pick(("Corporate", "BYOD", "Baseline")), index
        ),
        "description": "Minimum device health for access to company data",
        "roleScopeTagIds": world.tags(),
        **source.stamps(),
        "version": source.between(1, 6),
        **props,
        "scheduledActionsForRule": [
            {"id": source.guid(), "ruleName": "PasswordRequired", "scheduledActionConfigurations": actions}
        ],
        "assignments": world.assignments(policy_id),
    }


def group_policy_configuration(world: World, index: int) -> dict[str, Any]:
    source = world.source
    config_id = source.guid()
    definitions = source.sample(world.admx, source.between(3, 12))
    stamps = source.stamps()
    return {
        "id": config_id,
        "displayName": name(
            world,
            "windows10",
            "Administrative Templates",
            source.pick(("Edge", "OneDrive", "Office", "Windows Update", "BitLocker")),
            index,
        ),
        "description": "ADMX-backed settings",
        "roleScopeTagIds": world.tags(),
        "policyConfigurationIngestionType": "builtIn",
        **stamps,
        "definitionValues": [definition_value(world, definition, stamps) for definition in definitions],
        "assignments": world.assignments(config_id),
    }


def definition_value(world: World, definition: dict[str, Any], stamps: dict[str, str]) -> dict[str, Any]:
    enabled = world.source.chance(0.85)
    return {
        "id": world.source.guid(),
        "enabled": enabled,
        "configurationType": "policy",
        **stamps,
        "definition": definition,
        "presentationValues": [
            presentation_value(world, presentation, stamps)
            for presentation in definition["presentations"]
            if enabled and not presentation["@odata.type"].endswith("PresentationText")
        ],
    }


def presentation_value(world: World, presentation: dict[str, Any], stamps: dict[str, str]) -> dict[str, Any]:
    kind = presentation["@odata.type"].removeprefix(G + "groupPolicyPresentation")
    value: dict[str, Any]
    if kind == "CheckBox":
        value = {"@odata.type": G + "groupPolicyPresentationValueBoolean", "value": world.source.chance(0.5)}
    elif kind == "DecimalTextBox":
        value = {
            "@odata.type": G + "groupPolicyPresentationValueDecimal",
            "value": presentation["defaultValue"],
        }
    elif kind == "ListBox":
        value = {
            "@odata.type": G + "groupPolicyPresentationValueList",
            "values": [{"name": "https://intranet.contoso.com", "value": None}],
        }
    elif kind == "DropdownList":
        value = {
            "@odata.type": G + "groupPolicyPresentationValueText",
            "value": world.source.pick(presentation["items"])["value"],
        }
    else:
        value = {"@odata.type": G + "groupPolicyPresentationValueText", "value": "https://www.contoso.com"}
    return {**value, "id": world.source.guid(), **stamps, "presentation": presentation}


def intent(world: World, index: int) -> dict[str, Any]:
    source = world.source
    template = source.pick(world.intent_templates)
    intent_id = source.guid()
    return {
        "id": intent_id,
        "displayName": f"WIN - Endpoint Security - {template['displayName']}"
        + (f" {index}" if index else ""),
        "description": "",
        "isAssigned": True,
        "isMigratingToConfigurationPolicy": False,
        "templateId": template["id"],
        "roleScopeTagIds": world.tags(),
        "lastModifiedDateTime": source.stamp(),
        "settings": [
            {**setting, "id": source.guid(), "valueJson": json.dumps(setting["value"])}
            for setting in template["settings"]
        ],
        "assignments": world.assignments(intent_id),
    }
