"""What a new Intune tenant holds before anyone configures it (the `empty` profile)."""

from __future__ import annotations

import uuid
from typing import Any

from ..families.tenant_settings import DEVICE_MANAGEMENT_SETTINGS
from ..store import TenantStore
from .builtin import stable_id

_CREATED = "2021-03-02T10:15:00.0000000Z"
DEFAULT_ENROLLMENT = (
    ("DefaultLimit", "deviceEnrollmentLimitConfiguration", "All users and all devices", {"limit": 15}),
    (
        "DefaultPlatformRestrictions",
        "deviceEnrollmentPlatformRestrictionsConfiguration",
        "All users and all devices",
        {
            "iosRestriction": {"platformBlocked": False, "personalDeviceEnrollmentBlocked": False},
            "windowsRestriction": {"platformBlocked": False, "personalDeviceEnrollmentBlocked": False},
            "androidRestriction": {"platformBlocked": False, "personalDeviceEnrollmentBlocked": False},
            "macOSRestriction": {"platformBlocked": False, "personalDeviceEnrollmentBlocked": False},
        },
    ),
    (
        "DefaultWindowsHelloForBusiness",
        "deviceEnrollmentWindowsHelloForBusinessConfiguration",
        "All users and all devices",
        {"state": "notConfigured", "pinMinimumLength": 6, "pinMaximumLength": 127},
    ),
    (
        "DefaultWindows10EnrollmentCompletionPageConfiguration",
        "windows10EnrollmentCompletionPageConfiguration",
        "All users and all devices",
        {"showInstallationProgress": False, "installProgressTimeoutInMinutes": 60},
    ),
)
BUILTIN_STRENGTHS = (
    (
        "00000000-0000-0000-0000-000000000002",
        "Multifactor authentication",
        (
            "windowsHelloForBusiness",
            "fido2",
            "deviceBasedPush",
            "password,microsoftAuthenticatorPush",
            "password,sms",
        ),
    ),
    (
        "00000000-0000-0000-0000-000000000003",
        "Passwordless MFA",
        ("windowsHelloForBusiness", "fido2", "deviceBasedPush"),
    ),
    ("00000000-0000-0000-0000-000000000004", "Phishing-resistant MFA", ("windowsHelloForBusiness", "fido2")),
)
"""Entra's built-in authentication strengths: the same IDs in every tenant."""
BUILTIN_ROLES = (
    ("Policy and Profile manager", "Manages compliance policies, configuration profiles and app protection."),
    ("School Administrator", "Manages Windows 10 devices in Intune for Education."),
    ("Help Desk Operator", "Performs remote tasks on users and devices, and can assign apps or policies."),
    ("Read Only Operator", "Views user, device, enrollment, configuration and application information."),
    ("Application Manager", "Manages mobile and managed applications."),
    ("Endpoint Security Manager", "Manages security and compliance features such as baselines."),
    ("Intune Role Administrator", "Manages custom Intune roles and adds assignments for built-in roles."),
)


def default_enrollment_id(tenant_id: str, suffix: str) -> str:
    return f"{uuid.uuid5(uuid.NAMESPACE_URL, tenant_id)}_{suffix}"


def populate_defaults(tenant: TenantStore) -> None:
    enrollment = tenant.table("deviceManagement/deviceEnrollmentConfigurations")
    for suffix, odata_type, description, extra in DEFAULT_ENROLLMENT:
        object_id = default_enrollment_id(tenant.tenant_id, suffix)
        enrollment[object_id] = {
            "@odata.type": f"#microsoft.graph.{odata_type}",
            "id": object_id,
            "displayName": f"{'All users and all devices' if suffix != 'DefaultLimit' else 'All users'}",
            "description": f"This is the default {_humanise(suffix)} configuration applied with the lowest "
            f"priority to {description.lower()} regardless of group membership.",
            "priority": 0,
            "createdDateTime": _CREATED,
            "lastModifiedDateTime": _CREATED,
            "version": 1,
            "roleScopeTagIds": ["0"],
            "deviceEnrollmentConfigurationType": suffix[0].lower() + suffix[1:],
            **extra,
            "assignments": [
                {
                    "id": f"{object_id}_allDevices",
                    "source": "direct",
                    "sourceId": object_id,
                    "target": {"@odata.type": "#microsoft.graph.allDevicesAssignmentTarget"},
                }
            ],
        }
    tenant.table("deviceManagement/roleScopeTags")["0"] = {
        "id": "0",
        "displayName": "Default",
        "description": "",
        "isBuiltIn": True,
        "assignments": [],
    }
    tenant.table("deviceManagement/settings")["settings"] = dict(DEVICE_MANAGEMENT_SETTINGS)
    tenant.table("deviceManagement/androidManagedStoreAccountEnterpriseSettings")["androidManagedStore"] = {
        "id": "androidManagedStore",
        "bindStatus": "notBound",
        "lastAppSyncDateTime": "0001-01-01T00:00:00Z",
        "lastAppSyncStatus": "success",
        "ownerUserPrincipalName": None,
        "ownerOrganizationName": None,
        "lastModifiedDateTime": _CREATED,
        "enrollmentTarget": "none",
        "targetGroupIds": [],
        "deviceOwnerManagementEnabled": False,
        "androidDeviceOwnerFullyManagedEnrollmentEnabled": False,
        "managedGooglePlayEnterpriseId": None,
        "companyCodes": [],
    }
    roles = tenant.table("deviceManagement/roleDefinitions")
    for name, description in BUILTIN_ROLES:
        role_id = stable_id("role", name)
        roles[role_id] = _role(role_id, name, description)
    strengths = tenant.table("policies/authenticationStrengthPolicies")
    for strength_id, name, combinations in BUILTIN_STRENGTHS:
        strengths[strength_id] = {
            "id": strength_id,
            "createdDateTime": _CREATED,
            "modifiedDateTime": _CREATED,
            "displayName": name,
            "description": f"Built-in: {name.lower()}",
            "policyType": "builtIn",
            "requirementsSatisfied": "mfa",
            "allowedCombinations": list(combinations),
        }


def _role(role_id: str, name: str, description: str) -> dict[str, Any]:
    return {
        "@odata.type": "#microsoft.graph.deviceAndAppManagementRoleDefinition",
        "id": role_id,
        "displayName": name,
        "description": description,
        "isBuiltIn": True,
        "roleScopeTagIds": ["0"],
        "rolePermissions": [
            {
                "resourceActions": [
                    {
                        "allowedResourceActions": [
                            "Microsoft.Intune_DeviceConfigurations_Read",
                            "Microsoft.Intune_DeviceCompliancePolices_Read",
                        ],
                        "notAllowedResourceActions": [],
                    }
                ]
            }
        ],
        "roleAssignments": [],
    }


def _humanise(suffix: str) -> str:
    words = "".join(f" {char.lower()}" if char.isupper() else char for char in suffix.removeprefix("Default"))
    return words.strip()
