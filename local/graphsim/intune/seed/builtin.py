"""Catalogs Intune ships to every tenant alike: ADMX-backed group policy definitions with their
presentations, and the endpoint security / baseline templates intents are created from.

IDs are stable (uuid5 of the name), so backups taken from one graphsim run resolve in another.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from ..store import TenantStore

_NS = uuid.UUID("6f1d0c55-6a8e-4f0c-9f0a-5ad7a3b1c0de")
_STAMP = "2023-06-14T08:12:33.0000000Z"
P = "#microsoft.graph.groupPolicyPresentation"

# (category path, display name, class, presentations as (kind, label, extra))
ADMX: tuple[tuple[str, str, str, tuple[tuple[str, str, dict[str, Any]], ...]], ...] = (
    (
        "\\Microsoft Edge",
        "Configure the home page URL",
        "machine",
        (("TextBox", "Home page URL", {"defaultValue": "", "maxLength": 1024}),),
    ),
    (
        "\\Microsoft Edge",
        "Action to take on Microsoft Edge startup",
        "machine",
        (
            (
                "DropdownList",
                "Action to take on startup",
                {
                    "items": [
                        ("Open a new tab", "5"),
                        ("Restore the last session", "1"),
                        ("Open a list of URLs", "4"),
                    ]
                },
            ),
        ),
    ),
    (
        "\\Microsoft Edge",
        "Sites to open when the browser starts",
        "machine",
        (("ListBox", "Sites to open when the browser starts", {"explicitValue": False}),),
    ),
    ("\\Microsoft Edge", "Enable saving passwords to the password manager", "machine", ()),
    ("\\Microsoft Edge", "Configure Microsoft Defender SmartScreen", "machine", ()),
    (
        "\\Microsoft Edge\\Extensions",
        "Control which extensions are installed silently",
        "machine",
        (
            (
                "ListBox",
                "Extension/App IDs and update URLs to be silently installed",
                {"explicitValue": False},
            ),
        ),
    ),
    (
        "\\OneDrive",
        "Silently move Windows known folders to OneDrive",
        "machine",
        (
            ("TextBox", "Tenant ID:", {"defaultValue": "", "maxLength": 256}),
            (
                "CheckBox",
                "Show notification to users after folders have been redirected",
                {"defaultChecked": False},
            ),
        ),
    ),
    (
        "\\OneDrive",
        "Silently sign in users to the OneDrive sync app with their Windows credentials",
        "machine",
        (),
    ),
    ("\\OneDrive", "Use OneDrive Files On-Demand", "machine", ()),
    (
        "\\OneDrive",
        "Limit the sync app upload rate to a percentage of throughput",
        "machine",
        (
            (
                "DecimalTextBox",
                "Bandwidth:",
                {"defaultValue": 70, "minValue": 10, "maxValue": 99, "spin": True, "spinStep": 1},
            ),
        ),
    ),
    (
        "\\Microsoft Office 2016\\Privacy\\Trust Center",
        "Disable the Office Customer Experience Improvement Program",
        "user",
        (),
    ),
    (
        "\\Microsoft Outlook 2016\\Account Settings\\Exchange\\Cached Exchange Mode",
        "Cached Exchange Mode Sync Settings",
        "user",
        (
            (
                "DropdownList",
                "Select how much mail to sync",
                {"items": [("1 month", "1"), ("3 months", "3"), ("12 months", "12"), ("All", "0")]},
            ),
        ),
    ),
    (
        "\\Microsoft Word 2016\\Word Options\\Save",
        "Default file format",
        "user",
        (
            (
                "DropdownList",
                "Save Word files as",
                {"items": [("Word Document (*.docx)", "docx"), ("Word 97-2003 Document (*.doc)", "doc")]},
            ),
        ),
    ),
    (
        "\\Windows Components\\BitLocker Drive Encryption\\Operating System Drives",
        "Require additional authentication at startup",
        "machine",
        (
            ("CheckBox", "Allow BitLocker without a compatible TPM", {"defaultChecked": False}),
            (
                "DropdownList",
                "Configure TPM startup:",
                {"items": [("Allow TPM", "2"), ("Require TPM", "1"), ("Do not allow TPM", "0")]},
            ),
        ),
    ),
    (
        "\\Windows Components\\BitLocker Drive Encryption",
        "Choose drive encryption method and cipher strength",
        "machine",
        (
            (
                "DropdownList",
                "Select the encryption method for operating system drives:",
                {"items": [("XTS-AES 128-bit", "6"), ("XTS-AES 256-bit", "7")]},
            ),
        ),
    ),
    (
        "\\Windows Components\\Windows Update",
        "Configure Automatic Updates",
        "machine",
        (
            (
                "DropdownList",
                "Configure automatic updating:",
                {
                    "items": [
                        ("2 - Notify for download", "2"),
                        ("3 - Auto download and notify", "3"),
                        ("4 - Auto download and schedule", "4"),
                    ]
                },
            ),
            (
                "DecimalTextBox",
                "Scheduled install time",
                {"defaultValue": 3, "minValue": 0, "maxValue": 23, "spin": True, "spinStep": 1},
            ),
        ),
    ),
    (
        "\\Windows Components\\Remote Desktop Services\\Remote Desktop Session Host\\Security",
        "Require user authentication for remote connections by using Network Level Authentication",
        "machine",
        (),
    ),
    ("\\System\\Logon", "Do not display network selection UI", "machine", ()),
    (
        "\\System\\Power Management\\Sleep Settings",
        "Specify the system sleep timeout (plugged in)",
        "machine",
        (
            (
                "DecimalTextBox",
                "System Sleep Timeout (seconds):",
                {"defaultValue": 3600, "minValue": 0, "maxValue": 4294967295, "spin": True, "spinStep": 60},
            ),
        ),
    ),
    (
        "\\Windows Components\\Microsoft Defender Antivirus\\Exclusions",
        "Path Exclusions",
        "machine",
        (("ListBox", "Path Exclusions", {"explicitValue": True}),),
    ),
    (
        "\\Control Panel\\Personalization",
        "Force a specific default lock screen and logon image",
        "machine",
        (
            ("TextBox", "Path to lock screen image:", {"defaultValue": "", "maxLength": 1024}),
            (
                "CheckBox",
                "Turn off fun facts, tips, tricks, and more on lock screen",
                {"defaultChecked": False},
            ),
        ),
    ),
    (
        "\\Windows Components\\File Explorer",
        "Configure Windows Defender SmartScreen",
        "machine",
        (
            ("Text", "Pick one of the following settings:", {}),
            ("DropdownList", "", {"items": [("Warn and prevent bypass", "Block"), ("Warn", "Warn")]}),
        ),
    ),
)


def stable_id(*parts: str) -> str:
    return str(uuid.uuid5(_NS, "/".join(parts)))


def admx_definitions() -> list[dict[str, Any]]:
    definitions = []
    for category, name, class_type, presentations in ADMX:
        definition_id = stable_id("admx", category, name)
        definitions.append(
            {
                "id": definition_id,
                "classType": class_type,
                "displayName": name,
                "explainText": f"This policy setting lets you manage '{name}'. If you disable or do not "
                "configure this policy setting, the default behaviour applies.",
                "categoryPath": category,
                "supportedOn": "At least Windows 10 Server, Windows 10 or Windows 10 RT",
                "policyType": "admxBacked",
                "hasRelatedDefinitions": False,
                "groupPolicyCategoryId": stable_id("admx-category", category),
                "minDeviceCspVersion": "5.0",
                "minUserCspVersion": "5.0",
                "version": "1.0",
                "lastModifiedDateTime": _STAMP,
                "presentations": [_presentation(definition_id, *item) for item in presentations],
            }
        )
    return definitions


def _presentation(definition_id: str, kind: str, label: str, extra: dict[str, Any]) -> dict[str, Any]:
    body: dict[str, Any] = {
        "@odata.type": P + kind,
        "id": stable_id("presentation", definition_id, kind, label),
        "label": label,
        "lastModifiedDateTime": _STAMP,
    }
    if kind != "Text":
        body["required"] = kind in ("TextBox", "DecimalTextBox", "DropdownList")
    if kind == "DropdownList":
        items = [{"displayName": text, "value": value} for text, value in extra["items"]]
        body.update(defaultItem=items[0], items=items)
    else:
        body.update(extra)
    return body


INTENT_TEMPLATES: tuple[tuple[str, str, str, tuple[tuple[str, str, Any], ...]], ...] = (
    (
        "MDM Security Baseline for Windows 10 and later",
        "securityBaseline",
        "#microsoft.graph.securityBaselineTemplate",
        (
            (
                "deviceConfiguration--windows10EndpointProtectionConfiguration_firewallBlockStatefulFTP",
                "Boolean",
                True,
            ),
            ("deviceConfiguration--windows10GeneralConfiguration_passwordMinimumLength", "Integer", 8),
            (
                "deviceConfiguration--windows10GeneralConfiguration_smartScreenBlockPromptOverride",
                "Boolean",
                True,
            ),
            (
                "deviceConfiguration--windows10EndpointProtectionConfiguration_bitLockerEncryptDevice",
                "Boolean",
                True,
            ),
        ),
    ),
    (
        "Microsoft Defender Antivirus",
        "endpointSecurityAntivirus",
        "#microsoft.graph.deviceManagementTemplate",
        (
            (
                "deviceConfiguration--windows10GeneralConfiguration_defenderRequireRealTimeMonitoring",
                "Boolean",
                True,
            ),
            ("deviceConfiguration--windows10GeneralConfiguration_defenderScanType", "String", "quick"),
            (
                "deviceConfiguration--windows10GeneralConfiguration_defenderDaysBeforeDeletingQuarantinedMalware",
                "Integer",
                30,
            ),
        ),
    ),
    (
        "BitLocker",
        "endpointSecurityDiskEncryption",
        "#microsoft.graph.deviceManagementTemplate",
        (
            (
                "deviceConfiguration--windows10EndpointProtectionConfiguration_bitLockerEncryptDevice",
                "Boolean",
                True,
            ),
            (
                "deviceConfiguration--windows10EndpointProtectionConfiguration_bitLockerDisableWarningForOtherDiskEncryption",
                "Boolean",
                True,
            ),
        ),
    ),
    (
        "Microsoft Defender Firewall",
        "endpointSecurityFirewall",
        "#microsoft.graph.deviceManagementTemplate",
        (
            (
                "deviceConfiguration--windows10EndpointProtectionConfiguration_firewallProfileDomain",
                "String",
                "enabled",
            ),
            (
                "deviceConfiguration--windows10EndpointProtectionConfiguration_firewallProfilePublic",
                "String",
                "enabled",
            ),
        ),
    ),
)


def setting_instance(definition_id: str, kind: str, value: Any) -> dict[str, Any]:
    return {
        "@odata.type": f"#microsoft.graph.deviceManagement{kind}SettingInstance",
        "id": stable_id("setting", definition_id),
        "definitionId": definition_id,
        "valueJson": json.dumps(value),
        "value": value,
    }


def intent_templates() -> list[dict[str, Any]]:
    return [
        {
            "@odata.type": odata_type,
            "id": stable_id("template", name),
            "displayName": name,
            "description": f"{name} settings as recommended by Microsoft.",
            "versionInfo": "2306",
            "isDeprecated": False,
            "intentCount": 0,
            "templateType": template_type,
            "platformType": "windows10AndLater",
            "templateSubtype": "none",
            "publishedDateTime": _STAMP,
            "settings": [setting_instance(*setting) for setting in settings],
        }
        for name, template_type, odata_type, settings in INTENT_TEMPLATES
    ]


def populate_shared(shared: TenantStore) -> None:
    shared.table("deviceManagement/groupPolicyDefinitions").update(
        (definition["id"], definition) for definition in admx_definitions()
    )
    shared.table("deviceManagement/templates").update(
        (template["id"], template) for template in intent_templates()
    )
