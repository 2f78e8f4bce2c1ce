"""Seeded management objects: scripts and remediations, Autopilot, enrollment, custom roles,
Windows update profiles, terms and conditions, app protection and app configuration."""

from __future__ import annotations

import base64
from typing import Any

from .world import World

G = "#microsoft.graph."
POWERSHELL = (
    "Set-ItemProperty -Path 'HKLM:\\SOFTWARE\\Policies\\Contoso' -Name 'Baseline' -Value {n}\n"
    "Write-Output 'Baseline {n} applied'\n"
)
SCRIPT_PURPOSES = ("Set Time Zone", "Remove Bloatware", "Map Drives", "Install Fonts")
REMEDIATIONS = ("Clear Teams cache", "Restart Spooler", "Repair Windows Update", "Reset OneDrive")
AUTOPILOT_MODES = ("User Driven", "Self Deploying", "Pre-provisioned")
SHELL = "#!/bin/zsh\n/usr/bin/defaults write /Library/Preferences/com.contoso.baseline Version -int {n}\n"


def content(template: str, number: int) -> str:
    return base64.b64encode(template.format(n=number).encode()).decode()


def powershell_script(world: World, index: int) -> dict[str, Any]:
    script_id = world.source.guid()
    return {
        "id": script_id,
        "displayName": f"WIN - Script - {world.source.pick(SCRIPT_PURPOSES)} {index + 1}",
        "description": "Platform script run once per device",
        "scriptContent": content(POWERSHELL, index),
        "runAsAccount": world.source.pick(("system", "user")),
        "enforceSignatureCheck": False,
        "fileName": f"baseline-{index + 1}.ps1",
        "runAs32Bit": False,
        "roleScopeTagIds": world.tags(),
        **world.source.stamps(),
        "assignments": world.assignments(script_id),
    }


def shell_script(world: World, index: int, custom_attribute: bool = False) -> dict[str, Any]:
    script_id = world.source.guid()
    body = {
        "id": script_id,
        "displayName": f"macOS - {'Custom Attribute' if custom_attribute else 'Script'} - Baseline "
        f"{index + 1}",
        "description": "",
        "scriptContent": content(SHELL, index),
        "runAsAccount": "system",
        "fileName": f"baseline-{index + 1}.sh",
        "roleScopeTagIds": world.tags(),
        **world.source.stamps(),
        "assignments": world.assignments(script_id),
    }
    if custom_attribute:
        body.update(customAttributeName=f"ContosoBaseline{index + 1}", customAttributeType="string")
    else:
        body.update(executionFrequency="PT0S", retryCount=3, blockExecutionNotifications=True)
    return body


def custom_attribute_script(world: World, index: int) -> dict[str, Any]:
    return shell_script(world, index, custom_attribute=True)


def health_script(world: World, index: int) -> dict[str, Any]:
    script_id = world.source.guid()
    return {
        "id": script_id,
        "displayName": f"WIN - Remediation - {world.source.pick(REMEDIATIONS)} {index + 1}",
        "description": "Detect and remediate",
        "publisher": "Contoso MSP",
        "version": "1",
        "detectionScriptContent": content(
            "if (Test-Path C:\\Temp\\{n}) {{ exit 1 }} else {{ exit 0 }}\n", index
        ),
        "remediationScriptContent": content("Remove-Item -Recurse C:\\Temp\\{n}\n", index),
        "runAsAccount": "system",
        "runAs32Bit": False,
        "enforceSignatureCheck": False,
        "isGlobalScript": False,
        "deviceHealthScriptType": "deviceHealthScript",
        "roleScopeTagIds": world.tags(),
        **world.source.stamps(),
        "assignments": world.assignments(
            script_id,
            {
                "runRemediationScript": True,
                "runSchedule": {
                    "@odata.type": G + "deviceHealthScriptDailySchedule",
                    "interval": 1,
                    "useUtc": False,
                    "time": "09:00:00.0000000",
                },
            },
        ),
    }


def compliance_script(world: World, index: int) -> dict[str, Any]:
    return {
        "id": world.source.guid(),
        "displayName": f"WIN - Compliance Discovery - {index + 1}",
        "description": "",
        "publisher": "Contoso MSP",
        "version": "1",
        "detectionScriptContent": content("@{{ BaselineVersion = {n} }} | ConvertTo-Json -Compress\n", index),
        "runAsAccount": "system",
        "runAs32Bit": False,
        "enforceSignatureCheck": False,
        "roleScopeTagIds": world.tags(),
        **world.source.stamps(),
    }


def autopilot_profile(world: World, index: int) -> dict[str, Any]:
    profile_id = world.source.guid()
    return {
        "@odata.type": G + "azureADWindowsAutopilotDeploymentProfile",
        "id": profile_id,
        "displayName": f"WIN - Autopilot - {world.source.pick(AUTOPILOT_MODES)} {index + 1}",
        "description": "",
        "language": "os-default",
        "deviceNameTemplate": "CON-%SERIAL%",
        "deviceType": "windowsPc",
        "enableWhiteGlove": world.source.chance(0.5),
        "extractHardwareHash": True,
        "roleScopeTagIds": world.tags(),
        "outOfBoxExperienceSettings": {
            "hidePrivacySettings": True,
            "hideEULA": True,
            "userType": "standard",
            "deviceUsageType": "singleUser",
            "skipKeyboardSelectionPage": True,
            "hideEscapeLink": True,
        },
        "enrollmentStatusScreenSettings": None,
        **world.source.stamps(),
        "assignments": [item for item in world.assignments(profile_id) if "groupId" in item["target"]],
    }


ENROLLMENT_KINDS: tuple[tuple[str, str, dict[str, Any]], ...] = (
    (
        "windows10EnrollmentCompletionPageConfiguration",
        "Windows10EnrollmentCompletionPageConfiguration",
        {
            "showInstallationProgress": True,
            "installProgressTimeoutInMinutes": 60,
            "allowLogCollectionOnInstallFailure": True,
        },
    ),
    ("deviceEnrollmentLimitConfiguration", "Limit", {"limit": 5}),
    (
        "deviceEnrollmentPlatformRestrictionConfiguration",
        "SinglePlatformRestriction",
        {
            "platformType": "android",
            "platformRestriction": {
                "platformBlocked": False,
                "personalDeviceEnrollmentBlocked": True,
            },
        },
    ),
)


def enrollment_configuration(world: World, index: int) -> dict[str, Any]:
    kind, suffix, extra = world.source.pick(ENROLLMENT_KINDS)
    config_id = f"{world.source.guid()}_{suffix}"
    return {
        "@odata.type": G + kind,
        "id": config_id,
        "displayName": f"ENR - {suffix} - {index + 1}",
        "description": "",
        "priority": index + 1,
        "version": 1,
        "roleScopeTagIds": world.tags(),
        "deviceEnrollmentConfigurationType": suffix[0].lower() + suffix[1:],
        **world.source.stamps(),
        **extra,
        "assignments": [item for item in world.assignments(config_id) if "groupId" in item["target"]],
    }


def role_definition(world: World, index: int) -> dict[str, Any]:
    return {
        "@odata.type": G + "deviceAndAppManagementRoleDefinition",
        "id": world.source.guid(),
        "displayName": f"MSP - {world.source.pick(('L1 Helpdesk', 'L2 Engineer', 'Auditor'))} {index + 1}",
        "description": "Custom role for the MSP service desk",
        "isBuiltIn": False,
        "roleScopeTagIds": world.tags(),
        "rolePermissions": [
            {
                "resourceActions": [
                    {
                        "allowedResourceActions": [
                            "Microsoft.Intune_ManagedDevices_Read",
                            "Microsoft.Intune_RemoteTasks_RebootNow",
                        ],
                        "notAllowedResourceActions": [],
                    }
                ]
            }
        ],
        "roleAssignments": [],
    }
