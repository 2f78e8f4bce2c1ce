"""Create-then-get for every type in the catalog; read-only types round-trip through put_raw."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from local.graphsim.intune import GraphModel
from local.graphsim.intune.seed.builtin import stable_id
from local.graphsim.intune.testing import ModelClient

G = "#microsoft.graph."
SCRIPT = base64.b64encode(b"Write-Output 'hello'").decode()
ASSIGNABLE_GROUP = "9a1c2d3e-0000-4000-8000-00000000abcd"
CATALOG_SETTING = {
    "settingInstance": {
        "@odata.type": G + "deviceManagementConfigurationChoiceSettingInstance",
        "settingDefinitionId": "device_vendor_msft_policy_config_defender_allowrealtimemonitoring",
        "choiceSettingValue": {
            "value": "device_vendor_msft_policy_config_defender_allowrealtimemonitoring_1",
            "children": [],
        },
    }
}
BLOCK = [
    {
        "ruleName": "PasswordRequired",
        "scheduledActionConfigurations": [
            {
                "actionType": "block",
                "gracePeriodHours": 0,
                "notificationTemplateId": "",
                "notificationMessageCCList": [],
            }
        ],
    }
]

CREATE_BODIES: dict[str, dict[str, Any]] = {
    "deviceManagement/deviceConfigurations": {
        "@odata.type": G + "windows10GeneralConfiguration",
        "displayName": "WIN - Configuration - Restrictions",
        "cameraBlocked": True,
    },
    "deviceManagement/deviceCompliancePolicies": {
        "@odata.type": G + "windows10CompliancePolicy",
        "displayName": "WIN - Compliance - Corporate",
        "passwordRequired": True,
        "scheduledActionsForRule": BLOCK,
    },
    "deviceManagement/configurationPolicies": {
        "name": "WIN - Baseline - Defender",
        "description": "",
        "platforms": "windows10",
        "technologies": "mdm",
        "roleScopeTagIds": ["0"],
        "settings": [CATALOG_SETTING],
    },
    "deviceManagement/groupPolicyConfigurations": {"displayName": "WIN - Administrative Templates - Edge"},
    "deviceManagement/intents": {"displayName": "WIN - Endpoint Security - Antivirus", "templateId": ""},
    "deviceManagement/deviceManagementScripts": {
        "displayName": "WIN - Script - Time Zone",
        "scriptContent": SCRIPT,
        "fileName": "tz.ps1",
        "runAsAccount": "system",
    },
    "deviceManagement/deviceHealthScripts": {
        "displayName": "WIN - Remediation - Spooler",
        "publisher": "MSP",
        "detectionScriptContent": SCRIPT,
        "remediationScriptContent": SCRIPT,
    },
    "deviceManagement/deviceShellScripts": {
        "displayName": "macOS - Script - Dock",
        "scriptContent": SCRIPT,
        "fileName": "dock.sh",
    },
    "deviceManagement/deviceCustomAttributeShellScripts": {
        "displayName": "macOS - Custom Attribute - Model",
        "scriptContent": SCRIPT,
        "fileName": "model.sh",
        "customAttributeName": "Model",
        "customAttributeType": "string",
    },
    "deviceManagement/deviceComplianceScripts": {
        "displayName": "WIN - Compliance Discovery",
        "publisher": "MSP",
        "detectionScriptContent": SCRIPT,
    },
    "deviceManagement/windowsAutopilotDeploymentProfiles": {
        "@odata.type": G + "azureADWindowsAutopilotDeploymentProfile",
        "displayName": "WIN - Autopilot - User",
    },
    "deviceManagement/deviceEnrollmentConfigurations": {
        "@odata.type": G + "windows10EnrollmentCompletionPageConfiguration",
        "displayName": "ENR - ESP",
        "showInstallationProgress": True,
    },
    "deviceManagement/assignmentFilters": {
        "displayName": "FLT - Corporate",
        "platform": "windows10AndLater",
        "rule": '(device.deviceOwnership -eq "Corporate")',
        "roleScopeTags": ["0"],
    },
    "deviceManagement/roleScopeTags": {"displayName": "EU", "description": "European customers"},
    "deviceManagement/roleDefinitions": {
        "@odata.type": G + "deviceAndAppManagementRoleDefinition",
        "displayName": "MSP - L1",
        "rolePermissions": [
            {"resourceActions": [{"allowedResourceActions": ["Microsoft.Intune_Audit_Read"]}]}
        ],
    },
    "deviceManagement/roleAssignments": {
        "displayName": "MSP - L1 - EU",
        "members": [ASSIGNABLE_GROUP],
        "resourceScopes": [ASSIGNABLE_GROUP],
        "roleDefinition@odata.bind": "https://graph.microsoft.com/beta/deviceManagement/roleDefinitions"
        f"('{stable_id('role', 'Help Desk Operator')}')",
    },
    "deviceManagement/notificationMessageTemplates": {"displayName": "NOTIFY - Non-compliant"},
    "deviceManagement/windowsFeatureUpdateProfiles": {
        "displayName": "WIN - Feature Update - 24H2",
        "featureUpdateVersion": "Windows 11, version 24H2",
    },
    "deviceManagement/windowsQualityUpdateProfiles": {"displayName": "WIN - Expedited Quality Update"},
    "deviceManagement/windowsDriverUpdateProfiles": {
        "displayName": "WIN - Drivers",
        "approvalType": "manual",
    },
    "deviceManagement/termsAndConditions": {
        "displayName": "TOU",
        "title": "Terms",
        "bodyText": "Be nice.",
        "acceptanceStatement": "I agree.",
    },
    **{
        f"deviceAppManagement/{collection}": {"@odata.type": G + entity, "displayName": f"APP - {entity}"}
        for collection, entity in (
            ("iosManagedAppProtections", "iosManagedAppProtection"),
            ("androidManagedAppProtections", "androidManagedAppProtection"),
            ("windowsInformationProtectionPolicies", "windowsInformationProtectionPolicy"),
            ("mdmWindowsInformationProtectionPolicies", "mdmWindowsInformationProtectionPolicy"),
            ("targetedManagedAppConfigurations", "targetedManagedAppConfiguration"),
        )
    },
    "deviceAppManagement/mobileAppConfigurations": {
        "@odata.type": G + "iosMobileAppConfiguration",
        "displayName": "iOS - App Config - Outlook",
        "targetedMobileApps": ["1b2c3d4e-0000-4000-8000-000000000001"],
    },
    "deviceManagement/compliancePolicies": {
        "name": "macOS - Compliance - Settings",
        "platforms": "macOS",
        "technologies": "mdm",
        "settings": [CATALOG_SETTING],
        "scheduledActionsForRule": BLOCK,
    },
    "deviceManagement/reusablePolicySettings": {
        "displayName": "Firewall rule - RDP",
        "settingDefinitionId": CATALOG_SETTING["settingInstance"]["settingDefinitionId"],
        "settingInstance": CATALOG_SETTING["settingInstance"],
    },
    "identity/conditionalAccess/namedLocations": {
        "@odata.type": G + "ipNamedLocation",
        "displayName": "HQ",
        "isTrusted": True,
        "ipRanges": [{"@odata.type": G + "iPv4CidrRange", "cidrAddress": "203.0.113.0/24"}],
    },
    "policies/authenticationStrengthPolicies": {
        "displayName": "Phishing-resistant",
        "allowedCombinations": ["fido2", "windowsHelloForBusiness"],
    },
    "identity/conditionalAccess/authenticationContextClassReferences": {
        "id": "c7",
        "displayName": "Sensitive data",
        "isAvailable": True,
    },
    "deviceManagement/virtualEndpoint/provisioningPolicies": {
        "displayName": "W365 - Standard",
        "imageId": "microsoftwindowsdesktop_windows-ent-cpc_win11-23h2-ent-cpc-m365",
        "imageType": "gallery",
        "domainJoinConfigurations": [{"domainJoinType": "azureADJoin", "regionName": "automatic"}],
    },
    "deviceManagement/virtualEndpoint/userSettings": {
        "displayName": "W365 - Users",
        "localAdminEnabled": False,
        "restorePointSetting": {"frequencyInHours": 12, "userRestoreEnabled": True},
    },
    "deviceManagement/deviceCategories": {"displayName": "Kiosk", "description": "Shared kiosks"},
    "identity/conditionalAccess/policies": {
        "displayName": "CA001 - Require MFA",
        "state": "enabledForReportingButNotEnforced",
        "conditions": {"users": {"includeUsers": ["All"]}, "applications": {"includeApplications": ["All"]}},
        "grantControls": {"operator": "OR", "builtInControls": ["mfa"]},
    },
}
RAW_ONLY: dict[str, dict[str, Any]] = {
    "deviceAppManagement/managedAppPolicies": {
        "@odata.type": G + "iosManagedAppProtection",
        "displayName": "x",
    },
    "deviceAppManagement/mobileApps": {
        "@odata.type": G + "webApp",
        "displayName": "Intranet",
        "appUrl": "https://intranet",
    },
    "deviceAppManagement/vppTokens": {"organizationName": "Contoso", "appleId": "vpp@contoso.com"},
    "deviceManagement/applePushNotificationCertificate": {"appleIdentifier": "admin@contoso.com"},
    "deviceManagement/depOnboardingSettings": {"appleIdentifier": "admin@contoso.com", "tokenName": "ABM"},
    "deviceManagement/deviceManagementPartners": {"displayName": "Jamf Pro"},
    "groups": {"displayName": "SG-Intune-Pilot", "securityEnabled": True, "mailEnabled": False},
    "deviceManagement/settings": {"id": "settings", "deviceComplianceCheckinThresholdDays": 14},
    "deviceManagement/androidManagedStoreAccountEnterpriseSettings": {"bindStatus": "bound"},
    "deviceManagement/complianceManagementPartners": {
        "displayName": "Jamf compliance",
        "partnerState": "enabled",
    },
    "deviceManagement/remoteAssistancePartners": {
        "displayName": "TeamViewer",
        "onboardingStatus": "onboarded",
    },
    "deviceManagement/windowsAutopilotDeviceIdentities": {
        "serialNumber": "5CG1234XYZ",
        "model": "Surface Pro",
    },
    "deviceManagement/managedDevices": {"deviceName": "CON-5CG1234XYZ", "operatingSystem": "Windows"},
}
SINGLETONS = {
    "deviceManagement/applePushNotificationCertificate",
    "deviceManagement/settings",
    "deviceManagement/androidManagedStoreAccountEnterpriseSettings",
}


@pytest.fixture
def model() -> GraphModel:
    model = GraphModel()
    model.populate_defaults("tenant-a")
    model.put_raw("tenant-a", "groups", {"id": ASSIGNABLE_GROUP, "displayName": "SG-Intune-Admins"})
    return model


@pytest.fixture
def client(model: GraphModel) -> ModelClient:
    return ModelClient(model, "tenant-a")


def test_the_test_tables_cover_every_collection(model: GraphModel) -> None:
    assert set(CREATE_BODIES) | set(RAW_ONLY) == set(model.collections())
    assert len(model.collections()) == 49


@pytest.mark.parametrize("collection", sorted(CREATE_BODIES))
def test_create_then_get_round_trips(client: ModelClient, collection: str) -> None:
    body = dict(CREATE_BODIES[collection])
    if collection == "deviceManagement/intents":
        body["templateId"] = client.get_all("/deviceManagement/templates")[0]["id"]
    created = client.post(f"/{collection}", body)
    assert created.status == 201, created.body
    object_id = created.body["id"]
    fetched = client.get(f"/{collection}/{object_id}")
    assert fetched.status == 200, fetched.body
    for key, value in body.items():
        if key not in ("settings", "scheduledActionsForRule", "templateId") and not key.endswith(
            "@odata.bind"
        ):
            assert fetched.body[key] == value, key
    assert object_id in {item["id"] for item in client.get_all(f"/{collection}")}


@pytest.mark.parametrize("collection", sorted(RAW_ONLY))
def test_read_only_types_are_readable_and_refuse_writes(
    model: GraphModel, client: ModelClient, collection: str
) -> None:
    stored = model.put_raw("tenant-a", collection, RAW_ONLY[collection])
    if collection in SINGLETONS:
        fetched = client.get(f"/{collection}")
    else:
        fetched = client.get(f"/{collection}/{stored['id']}")
    assert fetched.status == 200, fetched.body
    assert {key: fetched.body[key] for key in RAW_ONLY[collection]} == RAW_ONLY[collection]
    refused = client.post(f"/{collection}", RAW_ONLY[collection])
    assert refused.status == 405


@pytest.mark.parametrize(
    "collection",
    sorted(
        name
        for name in CREATE_BODIES
        if not name.startswith(
            (
                "identity",
                "policies",
                "deviceManagement/role",
                "deviceManagement/reusable",
                "deviceManagement/virtual",
            )
        )
    ),
)
def test_created_objects_start_on_the_default_scope_tag(client: ModelClient, collection: str) -> None:
    body = dict(CREATE_BODIES[collection])
    if collection == "deviceManagement/intents":
        body["templateId"] = client.get_all("/deviceManagement/templates")[0]["id"]
    body.pop("roleScopeTagIds", None)
    body.pop("roleScopeTags", None)
    created = client.post(f"/{collection}", body).body
    tags = created.get("roleScopeTagIds", created.get("roleScopeTags"))
    assert tags == ["0"]
