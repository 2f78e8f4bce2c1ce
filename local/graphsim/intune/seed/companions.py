"""Seeded objects that policies refer to and the newer policy kinds: reusable settings, settings
catalog compliance, device categories, Intune role assignments, conditional access companions
(named locations, authentication strengths and contexts) and Windows 365 policies."""

from __future__ import annotations

from typing import Any

from .catalog_settings import generate_settings
from .world import World

G = "#microsoft.graph."
NO_TEMPLATE = "00000000-0000-0000-0000-000000000000"
CLOUD_PC_TARGET = G + "cloudPcManagementGroupAssignmentTarget"
REFERENCE_VALUE = G + "deviceManagementConfigurationReferenceSettingValue"
FIREWALL_RULE_ADDRESSES = (
    "vendor_msft_firewall_mdmstore_firewallrules_{firewallrulename}_remoteaddressdynamickeywords"
)
ADDRESS_SETS = ("Azure Front Door", "Datacenter", "Branch Offices", "Partner VPN", "Update Servers")
CATEGORIES = ("Corporate", "BYOD", "Kiosk", "Shared", "Executive", "Lab")
LOCATIONS: tuple[tuple[str, dict[str, Any]], ...] = (
    (
        "HQ Network",
        {
            "@odata.type": G + "ipNamedLocation",
            "isTrusted": True,
            "ipRanges": [{"@odata.type": G + "iPv4CidrRange", "cidrAddress": "203.0.113.0/24"}],
        },
    ),
    (
        "Blocked Countries",
        {
            "@odata.type": G + "countryNamedLocation",
            "countriesAndRegions": ["KP", "IR"],
            "includeUnknownCountriesAndRegions": True,
            "countryLookupMethod": "clientIpAddress",
        },
    ),
    (
        "Branch Offices",
        {
            "@odata.type": G + "ipNamedLocation",
            "isTrusted": True,
            "ipRanges": [
                {"@odata.type": G + "iPv4CidrRange", "cidrAddress": "198.51.100.0/25"},
                {"@odata.type": G + "iPv6CidrRange", "cidrAddress": "2001:db8::/48"},
            ],
        },
    ),
)
STRENGTHS: tuple[tuple[str, list[str]], ...] = (
    ("Phishing-resistant for admins", ["windowsHelloForBusiness", "fido2", "x509CertificateMultiFactor"]),
    ("Passwordless or FIDO2", ["windowsHelloForBusiness", "fido2", "deviceBasedPush"]),
    ("Authenticator or OATH", ["password,microsoftAuthenticatorPush", "password,softwareOath"]),
)
CONTEXTS = ("Sensitive data", "Admin portals", "Finance apps")
W365_IMAGE = (
    "microsoftwindowsdesktop_windows-ent-cpc_win11-23h2-ent-cpc-m365",
    "Windows 11 Enterprise + Microsoft 365 Apps 23H2",
)


def reusable_setting(world: World, index: int) -> dict[str, Any]:
    """A firewall address set that firewall rules of settings catalog policies refer to."""
    definition = "vendor_msft_firewall_mdmstore_dynamickeywords_addresses_{id}_addresses"
    name = ADDRESS_SETS[index % len(ADDRESS_SETS)] + (
        f" {index // len(ADDRESS_SETS) + 1}" if index >= 5 else ""
    )
    first = world.source.between(1, 200)
    return {
        "id": world.source.guid(),
        "displayName": f"FW - Addresses - {name}",
        "description": "Reusable remote address set",
        "settingDefinitionId": definition,
        "settingInstance": {
            "@odata.type": G + "deviceManagementConfigurationSimpleSettingCollectionInstance",
            "settingDefinitionId": definition,
            "simpleSettingCollectionValue": [
                {
                    "@odata.type": G + "deviceManagementConfigurationStringSettingValue",
                    "value": f"10.{first}.0.0/16",
                },
                {"@odata.type": G + "deviceManagementConfigurationStringSettingValue", "value": "192.0.2.10"},
            ],
        },
        "version": 1,
        "referencingConfigurationPolicyCount": 0,
        **world.source.stamps(),
    }


def reusable_reference(reusable_id: str) -> dict[str, Any]:
    """A firewall rule setting whose remote addresses are a reusable setting (no random draws, so
    adding it leaves the rest of a seed as it was)."""
    return {
        "id": "",
        "settingInstance": {
            "@odata.type": G + "deviceManagementConfigurationSimpleSettingCollectionInstance",
            "settingDefinitionId": FIREWALL_RULE_ADDRESSES,
            "simpleSettingCollectionValue": [
                {"@odata.type": REFERENCE_VALUE, "value": reusable_id, "note": None}
            ],
        },
    }


def settings_compliance(world: World, index: int) -> dict[str, Any]:
    source = world.source
    platform, technologies, label = source.pick(
        (("linux", "linuxMdm", "LNX"), ("macOS", "mdm", "macOS"), ("windows10", "mdm", "WIN"))
    )
    policy_id = source.guid()
    settings = generate_settings(source, source.between(3, 12))
    if world.reusable_settings and index % 3 == 0:
        settings.append(reusable_reference(world.reusable_settings[index % len(world.reusable_settings)]))
    actions = [
        {
            "actionType": "block",
            "gracePeriodHours": source.pick((0, 24, 72)),
            "notificationTemplateId": NO_TEMPLATE,
            "notificationMessageCCList": [],
        }
    ]
    if world.templates and index % 2 == 0:
        actions.append(
            {
                "actionType": "notification",
                "gracePeriodHours": 0,
                "notificationTemplateId": world.templates[index % len(world.templates)],
                "notificationMessageCCList": [],
            }
        )
    return {
        "id": policy_id,
        "name": f"{label} - Compliance - {source.pick(('Baseline', 'Strict', 'BYOD'))} {index + 1}",
        "description": "Settings catalog compliance",
        "platforms": platform,
        "technologies": technologies,
        "roleScopeTagIds": world.tags(),
        "settingCount": len(settings),
        "creationSource": None,
        "isAssigned": True,
        **source.stamps(),
        "settings": [{**setting, "id": str(position)} for position, setting in enumerate(settings)],
        "scheduledActionsForRule": [
            {
                "id": source.guid(),
                "ruleName": None,
                "scheduledActionConfigurations": [{**action, "id": source.guid()} for action in actions],
            }
        ],
        "assignments": world.assignments(policy_id),
    }


def device_category(world: World, index: int) -> dict[str, Any]:
    name = CATEGORIES[index % len(CATEGORIES)] + (f" {index // len(CATEGORIES) + 1}" if index >= 6 else "")
    return {
        "id": world.source.guid(),
        "displayName": name,
        "description": f"Devices users enrol as {name}",
        "roleScopeTagIds": world.tags(),
    }


def role_assignment(world: World, index: int) -> dict[str, Any]:
    source = world.source
    role = world.roles[index % len(world.roles)] if world.roles else None
    scoped = source.chance(0.7)
    members = source.sample(world.groups, 1)
    scopes = source.sample(world.groups, source.between(1, 2)) if scoped else []
    return {
        "@odata.type": G + "deviceAndAppManagementRoleAssignment",
        "id": source.guid(),
        "displayName": f"MSP - {role['displayName'] if role else 'Role'} - Assignment {index + 1}",
        "description": "Service desk access",
        "members": members,
        "scopeMembers": [],
        "resourceScopes": scopes,
        "scopeType": "resourceScope" if scoped else "allDevicesAndLicensedUsers",
        "roleScopeTagIds": world.tags(),
        "roleDefinition": role,
    }


def named_location(world: World, index: int) -> dict[str, Any]:
    name, body = LOCATIONS[index % len(LOCATIONS)]
    suffix = f" {index // len(LOCATIONS) + 1}" if index >= len(LOCATIONS) else ""
    stamps = world.source.stamps()
    return {
        "id": world.source.guid(),
        "displayName": name + suffix,
        "createdDateTime": stamps["createdDateTime"],
        "modifiedDateTime": stamps["lastModifiedDateTime"],
        **body,
    }


def authentication_strength(world: World, index: int) -> dict[str, Any]:
    name, combinations = STRENGTHS[index % len(STRENGTHS)]
    suffix = f" {index // len(STRENGTHS) + 1}" if index >= len(STRENGTHS) else ""
    created = world.source.stamp()
    return {
        "id": world.source.guid(),
        "displayName": name + suffix,
        "description": "Custom authentication strength",
        "policyType": "custom",
        "requirementsSatisfied": "mfa",
        "allowedCombinations": list(combinations),
        "createdDateTime": created,
        "modifiedDateTime": world.source.stamp(created),
    }


def authentication_context(world: World, index: int) -> dict[str, Any]:
    return {
        "id": f"c{index + 1}",
        "displayName": CONTEXTS[index % len(CONTEXTS)]
        + (f" {index // len(CONTEXTS) + 1}" if index >= 3 else ""),
        "description": "Step-up for protected actions",
        "isAvailable": True,
    }


def provisioning_policy(world: World, index: int) -> dict[str, Any]:
    source = world.source
    policy_id = source.guid()
    return {
        "id": policy_id,
        "displayName": f"W365 - {source.pick(('Standard', 'Developer', 'Frontline'))} - {index + 1}",
        "description": "Cloud PCs for the customer's staff",
        "provisioningType": "dedicated",
        "imageId": W365_IMAGE[0],
        "imageDisplayName": W365_IMAGE[1],
        "imageType": "gallery",
        "domainJoinConfigurations": [
            {
                "domainJoinType": "azureADJoin",
                "regionName": "automatic",
                "regionGroup": source.pick(("europeUnion", "usEast", "unitedKingdom")),
                "onPremisesConnectionId": None,
            }
        ],
        "enableSingleSignOn": True,
        "windowsSetting": {"locale": source.pick(("en-US", "en-GB", "de-DE"))},
        "cloudPcNamingTemplate": "CPC-%USERNAME:5%-%RAND:5%",
        "localAdminEnabled": False,
        "managedBy": "windows365",
        "assignments": cloud_pc_assignments(world, policy_id),
    }


def cloud_pc_user_setting(world: World, index: int) -> dict[str, Any]:
    source = world.source
    setting_id = source.guid()
    return {
        "id": setting_id,
        "displayName": f"W365 - User settings - {index + 1}",
        "localAdminEnabled": source.chance(0.2),
        "resetEnabled": source.chance(0.5),
        "selfServiceEnabled": False,
        "restorePointSetting": {"frequencyInHours": source.pick((4, 12, 24)), "userRestoreEnabled": True},
        **source.stamps(),
        "assignments": cloud_pc_assignments(world, setting_id),
    }


def cloud_pc_assignments(world: World, owner_id: str) -> list[dict[str, Any]]:
    return [
        {"id": f"{owner_id}_{group}", "target": {"@odata.type": CLOUD_PC_TARGET, "groupId": group}}
        for group in world.source.sample(world.groups, world.source.between(0, 2))
    ]
