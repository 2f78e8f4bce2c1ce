"""Seeded objects other objects refer to: groups, scope tags, filters, notification templates,
and the capture-only tenant objects (apps, APNs, DEP, VPP, partners, conditional access)."""

from __future__ import annotations

import base64
from typing import Any

from ..families.tenant_settings import DEVICE_MANAGEMENT_SETTINGS
from .names import FILTER_RULES, GROUP_NAMES, SCOPE_TAGS
from .world import World


def group(world: World, index: int) -> dict[str, Any]:
    source = world.source
    name = GROUP_NAMES[index % len(GROUP_NAMES)] + (
        f" {index // len(GROUP_NAMES) + 1}" if index >= 20 else ""
    )
    dynamic = source.chance(0.3)
    return {
        "id": source.guid(),
        "displayName": f"SG-Intune-{name}",
        "description": f"Intune targeting group: {name}",
        "mailNickname": f"sg-intune-{name.lower().replace(' ', '-')}",
        "mailEnabled": False,
        "securityEnabled": True,
        "groupTypes": ["DynamicMembership"] if dynamic else [],
        "membershipRule": '(device.deviceOSType -eq "Windows")' if dynamic else None,
        "membershipRuleProcessingState": "On" if dynamic else None,
        "createdDateTime": source.stamp(),
        "visibility": None,
    }


def scope_tag(world: World, index: int) -> dict[str, Any]:
    name = SCOPE_TAGS[index % len(SCOPE_TAGS)] + (f"-{index // len(SCOPE_TAGS) + 1}" if index >= 8 else "")
    return {
        "id": str(index + 1),
        "displayName": name,
        "description": f"Scope tag for {name}",
        "isBuiltIn": False,
        "assignments": [],
    }


def assignment_filter(world: World, index: int) -> dict[str, Any]:
    name, platform, rule = FILTER_RULES[index % len(FILTER_RULES)]
    suffix = f" {index // len(FILTER_RULES) + 1}" if index >= len(FILTER_RULES) else ""
    return {
        "id": world.source.guid(),
        "displayName": f"FLT - {name}{suffix}",
        "description": "",
        "platform": platform,
        "rule": rule,
        "assignmentFilterManagementType": "devices",
        "roleScopeTags": world.tags(),
        "payloads": [],
        **world.source.stamps(),
    }


def notification_template(world: World, index: int) -> dict[str, Any]:
    template_id = world.source.guid()
    locales = ["en-us"] + (["de-de", "fr-fr"] if world.source.chance(0.4) else [])
    return {
        "id": template_id,
        "displayName": f"NOTIFY - Non-compliant device {index + 1}",
        "description": "Sent when a device falls out of compliance",
        "defaultLocale": "en-us",
        "brandingOptions": "includeCompanyLogo,includeCompanyName,includeContactInformation",
        "roleScopeTagIds": world.tags(),
        "lastModifiedDateTime": world.source.stamp(),
        "localizedNotificationMessages": [
            {
                "id": f"{template_id}_{locale}",
                "locale": locale,
                "subject": "Your device is not compliant",
                "messageTemplate": "Your device no longer meets company policy. Please contact IT support.",
                "isDefault": locale == "en-us",
                "lastModifiedDateTime": world.source.stamp(),
            }
            for locale in locales
        ],
    }


APP_DETAILS: dict[str, dict[str, Any]] = {
    "win32LobApp": {
        "displayVersion": "23.01",
        "fileName": "7z2301-x64.intunewin",
        "setupFilePath": "7z2301-x64.msi",
        "installCommandLine": "msiexec /i 7z2301-x64.msi /qn",
        "uninstallCommandLine": "msiexec /x {23170F69-40C1-2702-2301-000001000000} /qn",
        "applicableArchitectures": "x64",
        "minimumSupportedWindowsRelease": "1607",
        "detectionRules": [
            {
                "@odata.type": "#microsoft.graph.win32LobAppPowerShellScriptDetection",
                "enforceSignatureCheck": False,
                "runAs32Bit": False,
                "scriptContent": base64.b64encode(
                    b"if (Test-Path 'C:\\Program Files\\7-Zip') { 'ok' }"
                ).decode(),
            }
        ],
        "requirementRules": [],
        "installExperience": {"runAsAccount": "system", "deviceRestartBehavior": "suppress"},
    },
    "iosVppApp": {
        "vppTokenAppleId": "vpp@contoso.com",
        "vppTokenOrganizationName": "Contoso",
        "vppTokenAccountType": "business",
        "bundleId": "com.microsoft.skype.teams",
        "appStoreUrl": "https://apps.apple.com/us/app/microsoft-teams/id1113153706",
        "licensingType": {"supportsUserLicensing": True, "supportsDeviceLicensing": True},
        "totalLicenseCount": 50,
        "usedLicenseCount": 12,
    },
    "winGetApp": {"packageIdentifier": "9WZDNCRFJ3PZ", "installExperience": {"runAsAccount": "user"}},
    "androidManagedStoreApp": {
        "packageId": "com.azure.authenticator",
        "appIdentifier": "com.azure.authenticator",
    },
    "webApp": {"appUrl": "https://intranet.contoso.com", "useManagedBrowser": False},
}
"""Type-specific properties backup tools read by name (IntuneCD names VPP apps by their Apple ID)."""


def mobile_app(world: World, index: int) -> dict[str, Any]:
    kind, name, publisher = world.source.pick(
        (
            ("win32LobApp", "7-Zip", "Igor Pavlov"),
            ("winGetApp", "Company Portal", "Microsoft Corporation"),
            ("officeSuiteApp", "Microsoft 365 Apps for enterprise", "Microsoft"),
            ("iosVppApp", "Microsoft Teams", "Microsoft Corporation"),
            ("androidManagedStoreApp", "Microsoft Authenticator", "Microsoft Corporation"),
            ("webApp", "Contoso Intranet", "Contoso"),
            ("macOSMicrosoftEdgeApp", "Microsoft Edge", "Microsoft"),
        )
    )
    app_id = world.source.guid()
    taken = name in world.app_names
    world.app_names.add(name)
    return {
        "@odata.type": f"#microsoft.graph.{kind}",
        "id": app_id,
        "displayName": f"{name} ({index})" if taken else name,
        "description": name,
        "publisher": publisher,
        "isFeatured": False,
        "publishingState": "published",
        "isAssigned": True,
        "roleScopeTagIds": world.tags(),
        **world.source.stamps(),
        **APP_DETAILS.get(kind, {}),
        "assignments": [
            {**item, "intent": "required", "settings": None}
            for item in world.assignments(app_id)
            if "exclusion" not in item["target"]["@odata.type"]
        ],
    }


def conditional_access(world: World, index: int) -> dict[str, Any]:
    source = world.source
    name = source.pick(
        (
            "Require MFA for admins",
            "Block legacy authentication",
            "Require compliant device",
            "Require MFA for Azure management",
            "Block unknown platforms",
            "Require MFA off-network",
        )
    )
    policy = {
        "id": source.guid(),
        "displayName": f"CA{index + 1:03d} - {name}",
        "state": source.pick(("enabled", "enabledForReportingButNotEnforced", "disabled")),
        "createdDateTime": source.stamp(),
        "modifiedDateTime": None,
        "conditions": {
            "clientAppTypes": ["all"],
            "applications": {"includeApplications": ["All"], "excludeApplications": []},
            "users": {
                "includeUsers": [] if world.groups else ["All"],
                "excludeUsers": [],
                "includeGroups": source.sample(world.groups, 1),
                "excludeGroups": source.sample(world.groups, 1) if source.chance(0.5) else [],
                "includeRoles": [],
                "excludeRoles": [],
            },
            "platforms": None,
            "locations": None,
        },
        "grantControls": {
            "operator": "OR",
            "builtInControls": [source.pick(("mfa", "compliantDevice", "block"))],
            "customAuthenticationFactors": [],
            "termsOfUse": [],
        },
        "sessionControls": None,
    }
    _access_references(world, index, policy)
    return policy


def _access_references(world: World, index: int, policy: dict[str, Any]) -> None:
    """Every third policy names a named location and an authentication strength, the next one an
    authentication context (by position, so the rest of the seed draws what it drew before). A
    strength goes with no `mfa` control, as Entra requires."""
    conditions, grant = policy["conditions"], policy["grantControls"]
    if index % 3 == 0 and world.locations and world.strengths:
        conditions["locations"] = {
            "includeLocations": ["All"],
            "excludeLocations": [world.locations[index % len(world.locations)]],
        }
        grant["builtInControls"] = []
        grant["authenticationStrength"] = {"id": world.strengths[index % len(world.strengths)]}
    elif index % 3 == 1 and world.contexts:
        conditions["applications"] = {
            "includeApplications": [],
            "excludeApplications": [],
            "includeAuthenticationContextClassReferences": [world.contexts[index % len(world.contexts)]],
        }


def tenant_services(world: World) -> dict[str, list[dict[str, Any]]]:
    """The singletons, tokens and partners a managed tenant usually has, one each (Managed Google
    Play and the tenant-wide settings replace a new tenant's defaults, so they add no object; the
    Apple token holds two enrollment profiles)."""
    source = world.source
    token = base64.b64encode(source.guid().encode()).decode()
    return {
        "deviceManagement/applePushNotificationCertificate": [
            {
                "id": source.guid(),
                "appleIdentifier": "intune-admin@contoso.com",
                "topicIdentifier": "com.apple.mgmt.External." + source.guid(),
                "expirationDateTime": "2027-05-01T10:00:00Z",
                "certificateSerialNumber": str(source.between(10**15, 10**16)),
                "certificate": None,
                "lastModifiedDateTime": source.stamp(),
            }
        ],
        "deviceManagement/depOnboardingSettings": [
            {
                "id": source.guid(),
                "appleIdentifier": "intune-admin@contoso.com",
                "tokenExpirationDateTime": "2027-03-01T10:00:00Z",
                "tokenType": "dep",
                "tokenName": "Contoso ABM",
                "syncedDeviceCount": 42,
                "dataSharingConsented": True,
                "roleScopeTagIds": ["0"],
                "lastModifiedDateTime": source.stamp(),
                "enrollmentProfiles": apple_enrollment_profiles(world),
            }
        ],
        "deviceAppManagement/vppTokens": [
            {
                "id": source.guid(),
                "organizationName": "Contoso",
                "vppTokenAccountType": "business",
                "appleId": "vpp@contoso.com",
                "expirationDateTime": "2027-01-01T10:00:00Z",
                "token": token,
                "state": "valid",
                "displayName": "Contoso VPP",
                "roleScopeTagIds": ["0"],
                "lastModifiedDateTime": source.stamp(),
            }
        ],
        "deviceManagement/settings": [
            {
                **DEVICE_MANAGEMENT_SETTINGS,
                "deviceComplianceCheckinThresholdDays": 14,
                "secureByDefault": True,
                "deviceInactivityBeforeRetirementInDay": 90,
                "enableDeviceGroupMembershipReport": True,
            }
        ],
        "deviceManagement/androidManagedStoreAccountEnterpriseSettings": [
            {
                "id": "androidManagedStore",
                "bindStatus": "boundAndValidated",
                "lastAppSyncDateTime": source.stamp(),
                "lastAppSyncStatus": "success",
                "ownerUserPrincipalName": "intune-admin@contoso.com",
                "ownerOrganizationName": "Contoso",
                "lastModifiedDateTime": source.stamp(),
                "enrollmentTarget": "targetedAsEnrollmentRestrictions",
                "targetGroupIds": [],
                "deviceOwnerManagementEnabled": True,
                "androidDeviceOwnerFullyManagedEnrollmentEnabled": True,
                "managedGooglePlayEnterpriseId": "LC0" + str(source.between(10**6, 10**7)),
                "companyCodes": [],
            }
        ],
        "deviceManagement/complianceManagementPartners": [
            {
                "id": source.guid(),
                "displayName": "Jamf Pro compliance",
                "lastHeartbeatDateTime": source.stamp(),
                "partnerState": "enabled",
                "macOsOnboarded": True,
                "androidOnboarded": False,
                "iosOnboarded": False,
                "macOsEnrollmentAssignments": [],
                "androidEnrollmentAssignments": [],
                "iosEnrollmentAssignments": [],
            }
        ],
        "deviceManagement/remoteAssistancePartners": [
            {
                "id": source.guid(),
                "displayName": "TeamViewer",
                "onboardingUrl": "https://login.teamviewer.com/nav/integrations/intune",
                "onboardingStatus": "onboarded",
                "lastConnectionDateTime": source.stamp(),
            }
        ],
        "deviceManagement/deviceManagementPartners": [
            {
                "id": source.guid(),
                "displayName": "Jamf Pro",
                "partnerAppType": "multiTenantApp",
                "partnerState": "enabled",
                "isConfigured": True,
                "lastHeartbeatDateTime": source.stamp(),
                "groupsRequiringPartnerEnrollment": [],
            }
        ],
    }


def apple_enrollment_profiles(world: World) -> list[dict[str, Any]]:
    """An iOS and a macOS automated device enrollment profile of the tenant's Apple token."""
    common = {
        "description": "Corporate devices from Apple Business Manager",
        "requiresUserAuthentication": True,
        "configurationEndpointUrl": "https://appleconfigurator2.manage.microsoft.com/MDMServiceConfig",
        "enableAuthenticationViaCompanyPortal": True,
        "requireCompanyPortalOnSetupAssistantEnrolledDevices": False,
        "isDefault": False,
        "supervisedModeEnabled": True,
        "isMandatory": True,
        "locationDisabled": False,
        "profileRemovalDisabled": True,
    }
    return [
        {
            "@odata.type": "#microsoft.graph.depIOSEnrollmentProfile",
            "id": world.source.guid(),
            "displayName": "iOS - ADE - Corporate",
            **common,
            "iTunesPairingMode": "disallow",
            "passCodeDisabled": False,
        },
        {
            "@odata.type": "#microsoft.graph.depMacOSEnrollmentProfile",
            "id": world.source.guid(),
            "displayName": "macOS - ADE - Corporate",
            **common,
            "fileVaultDisabled": False,
            "registrationDisabled": False,
        },
    ]
