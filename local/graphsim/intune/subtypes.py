"""The derived types each polymorphic collection accepts in `@odata.type` (a create naming any
other type is a ModelValidationFailure, as Graph's model answers)."""

from __future__ import annotations

G = "microsoft.graph."

DEVICE_CONFIGURATION_TYPES = tuple(
    G + name
    for name in (
        "windows10GeneralConfiguration",
        "windows10CustomConfiguration",
        "windows10EndpointProtectionConfiguration",
        "windowsHealthMonitoringConfiguration",
        "windowsUpdateForBusinessConfiguration",
        "windowsDeliveryOptimizationConfiguration",
        "windowsIdentityProtectionConfiguration",
        "windowsKioskConfiguration",
        "windowsWifiConfiguration",
        "windows81TrustedRootCertificate",
        "editionUpgradeConfiguration",
        "sharedPCConfiguration",
        "iosGeneralDeviceConfiguration",
        "iosCustomConfiguration",
        "iosDeviceFeaturesConfiguration",
        "iosUpdateConfiguration",
        "macOSGeneralDeviceConfiguration",
        "macOSCustomConfiguration",
        "macOSExtensionsConfiguration",
        "androidWorkProfileGeneralDeviceConfiguration",
        "androidDeviceOwnerGeneralDeviceConfiguration",
    )
)
COMPLIANCE_TYPES = tuple(
    G + name
    for name in (
        "windows10CompliancePolicy",
        "iosCompliancePolicy",
        "macOSCompliancePolicy",
        "androidWorkProfileCompliancePolicy",
        "androidDeviceOwnerCompliancePolicy",
        "aospDeviceOwnerCompliancePolicy",
        "windows81CompliancePolicy",
    )
)
ENROLLMENT_TYPES = tuple(
    G + name
    for name in (
        "deviceEnrollmentLimitConfiguration",
        "deviceEnrollmentPlatformRestrictionsConfiguration",
        "deviceEnrollmentPlatformRestrictionConfiguration",
        "deviceEnrollmentWindowsHelloForBusinessConfiguration",
        "windows10EnrollmentCompletionPageConfiguration",
        "deviceComanagementAuthorityConfiguration",
    )
)
APP_PROTECTION = {
    "iosManagedAppProtections": "iosManagedAppProtection",
    "androidManagedAppProtections": "androidManagedAppProtection",
    "windowsInformationProtectionPolicies": "windowsInformationProtectionPolicy",
    "mdmWindowsInformationProtectionPolicies": "mdmWindowsInformationProtectionPolicy",
    "targetedManagedAppConfigurations": "targetedManagedAppConfiguration",
}
MOBILE_APP_TYPES = tuple(
    G + name
    for name in (
        "win32LobApp",
        "winGetApp",
        "officeSuiteApp",
        "iosVppApp",
        "iosStoreApp",
        "managedIOSStoreApp",
        "androidManagedStoreApp",
        "macOSMicrosoftEdgeApp",
        "microsoftStoreForBusinessApp",
        "webApp",
    )
)
