"""Catalog rows beyond Intune's own configuration: what conditional access policies refer to
(named locations, authentication strengths and contexts), the policies themselves, Windows 365
provisioning policies and user settings, and the `deviceManagement` entity whose `settings`
property is the tenant-wide Intune settings."""

from __future__ import annotations

from .spec import Nav, TypeSpec

G = "microsoft.graph."
CA = "identity/conditionalAccess/"
W365 = "deviceManagement/virtualEndpoint/"

COMPANIONS: tuple[TypeSpec, ...] = (
    TypeSpec(
        CA + "policies",
        G + "conditionalAccessPolicy",
        "ca",
        v1=True,
        scope_tags=None,
        intune=False,
        timestamps=("createdDateTime", "modifiedDateTime"),
        schema={
            "displayName": (str, True),
            "state": (str, True),
            "conditions": (dict, True),
            "grantControls": (dict, False),
            "sessionControls": (dict, False),
        },
    ),
    TypeSpec(
        CA + "namedLocations",
        G + "namedLocation",
        "ca",
        (G + "ipNamedLocation", G + "countryNamedLocation"),
        v1=True,
        scope_tags=None,
        intune=False,
        timestamps=("createdDateTime", "modifiedDateTime"),
        schema={"displayName": (str, True)},
    ),
    TypeSpec(
        "policies/authenticationStrengthPolicies",
        G + "authenticationStrengthPolicy",
        "ca",
        v1=True,
        scope_tags=None,
        intune=False,
        inert_navs=("combinationConfigurations",),
        timestamps=("createdDateTime", "modifiedDateTime"),
        schema={"displayName": (str, True), "description": (str, False), "allowedCombinations": (list, True)},
    ),
    TypeSpec(
        CA + "authenticationContextClassReferences",
        G + "authenticationContextClassReference",
        "ca",
        v1=True,
        client_ids=True,
        scope_tags=None,
        intune=False,
        timestamps=(),
        schema={"displayName": (str, True), "description": (str, False), "isAvailable": (bool, False)},
    ),
    TypeSpec(
        W365 + "provisioningPolicies",
        G + "cloudPcProvisioningPolicy",
        "cloudpc",
        v1=True,
        assign_key="assignments",
        navs=(Nav("assignments", G + "cloudPcProvisioningPolicyAssignment"),),
        scope_tags=None,
        intune=False,
        timestamps=(),
        schema={
            "displayName": (str, True),
            "description": (str, False),
            "provisioningType": (str, False),
            "imageId": (str, True),
            "imageType": (str, True),
            "domainJoinConfigurations": (list, True),
        },
    ),
    TypeSpec(
        W365 + "userSettings",
        G + "cloudPcUserSetting",
        "cloudpc",
        v1=True,
        assign_key="assignments",
        navs=(Nav("assignments", G + "cloudPcUserSettingAssignment"),),
        scope_tags=None,
        intune=False,
        schema={
            "displayName": (str, True),
            "localAdminEnabled": (bool, False),
            "resetEnabled": (bool, False),
            "restorePointSetting": (dict, False),
        },
    ),
    TypeSpec(
        "deviceManagement",
        G + "deviceManagement",
        "service",
        v1=True,
        singleton=True,
        stored=False,
        scope_tags=None,
        timestamps=(),
        schema={"settings": (dict, False)},
    ),
)
