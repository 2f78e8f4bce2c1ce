"""Catalog rows for what backup tools capture but cannot restore (apps, tokens, certificates,
partners, devices) and for the directory objects assignments refer to: read-only in graphsim."""

from __future__ import annotations

from .spec import Nav, TypeSpec
from .subtypes import MOBILE_APP_TYPES

G = "microsoft.graph."
DM = "deviceManagement/"
DAM = "deviceAppManagement/"

CAPTURE_ONLY: tuple[TypeSpec, ...] = (
    TypeSpec(
        DAM + "mobileApps",
        G + "mobileApp",
        "apps",
        MOBILE_APP_TYPES,
        v1=True,
        writable=False,
        assign_key="mobileAppAssignments",
        navs=(Nav("assignments", G + "mobileAppAssignment"),),
        inert_navs=("categories", "relationships"),
    ),
    TypeSpec(
        DAM + "vppTokens",
        G + "vppToken",
        "service",
        v1=True,
        writable=False,
        scope_tags="roleScopeTagIds",
        timestamps=("lastModifiedDateTime",),
    ),
    TypeSpec(
        DM + "applePushNotificationCertificate",
        G + "applePushNotificationCertificate",
        "service",
        v1=True,
        writable=False,
        singleton=True,
        scope_tags=None,
        timestamps=("lastModifiedDateTime",),
    ),
    TypeSpec(
        DM + "depOnboardingSettings",
        G + "depOnboardingSetting",
        "service",
        writable=False,
        navs=(Nav("enrollmentProfiles", G + "enrollmentProfile"),),
        inert_navs=("importedAppleDeviceIdentities",),
        timestamps=("lastModifiedDateTime",),
    ),
    TypeSpec(
        DM + "deviceManagementPartners",
        G + "deviceManagementPartner",
        "service",
        v1=True,
        writable=False,
        scope_tags=None,
        timestamps=(),
    ),
    TypeSpec(
        DM + "settings",
        G + "deviceManagementSettings",
        "service",
        v1=True,
        writable=False,
        singleton=True,
        scope_tags=None,
        timestamps=(),
    ),
    TypeSpec(
        DM + "androidManagedStoreAccountEnterpriseSettings",
        G + "androidManagedStoreAccountEnterpriseSettings",
        "apps",
        writable=False,
        singleton=True,
        scope_tags=None,
        timestamps=("lastModifiedDateTime",),
    ),
    TypeSpec(
        DM + "complianceManagementPartners",
        G + "complianceManagementPartner",
        "service",
        v1=True,
        writable=False,
        scope_tags=None,
        timestamps=(),
    ),
    TypeSpec(
        DM + "remoteAssistancePartners",
        G + "remoteAssistancePartner",
        "service",
        v1=True,
        writable=False,
        scope_tags=None,
        timestamps=(),
    ),
    TypeSpec(
        DM + "windowsAutopilotDeviceIdentities",
        G + "windowsAutopilotDeviceIdentity",
        "service",
        v1=True,
        writable=False,
        scope_tags=None,
        timestamps=(),
    ),
    TypeSpec(
        DM + "managedDevices",
        G + "managedDevice",
        "devices",
        v1=True,
        writable=False,
        scope_tags="roleScopeTagIds",
        timestamps=(),
    ),
    TypeSpec(
        "groups",
        G + "group",
        "groups",
        v1=True,
        writable=False,
        scope_tags=None,
        intune=False,
        timestamps=("createdDateTime",),
        inert_navs=("members", "owners", "memberOf", "transitiveMembers"),
    ),
)
