"""Seeded Windows update profiles, terms and conditions, app protection and app configuration."""

from __future__ import annotations

from typing import Any

from .world import World

G = "#microsoft.graph."
AUDIENCES = ("Corporate", "BYOD", "Frontline")


def feature_update(world: World, index: int) -> dict[str, Any]:
    profile_id = world.source.guid()
    version = world.source.pick(
        ("Windows 11, version 23H2", "Windows 11, version 24H2", "Windows 10, version 22H2")
    )
    return {
        "id": profile_id,
        "displayName": f"WIN - Feature Update - {version}",
        "description": "",
        "featureUpdateVersion": version,
        "rolloutSettings": {
            "offerStartDateTimeInUTC": None,
            "offerEndDateTimeInUTC": None,
            "offerIntervalInDays": None,
        },
        "installLatestWindows10OnWindows11IneligibleDevice": False,
        "roleScopeTagIds": world.tags(),
        **world.source.stamps(),
        "assignments": world.assignments(profile_id),
    }


def quality_update(world: World, index: int) -> dict[str, Any]:
    profile_id = world.source.guid()
    return {
        "id": profile_id,
        "displayName": f"WIN - Expedited Quality Update {index + 1}",
        "description": "",
        "expeditedUpdateSettings": {
            "qualityUpdateRelease": "2024-05-14T00:00:00Z",
            "daysUntilForcedReboot": 1,
        },
        "releaseDateDisplayName": "May 14, 2024 - 2024.05 B",
        "deployableContentDisplayName": "2024.05 B",
        "roleScopeTagIds": world.tags(),
        **world.source.stamps(),
        "assignments": world.assignments(profile_id),
    }


def driver_update(world: World, index: int) -> dict[str, Any]:
    profile_id = world.source.guid()
    return {
        "id": profile_id,
        "displayName": f"WIN - Driver Updates - Ring {index + 1}",
        "description": "",
        "approvalType": world.source.pick(("manual", "automatic")),
        "deploymentDeferralInDays": 7,
        "deviceReporting": 0,
        "newUpdates": 0,
        "inventorySyncStatus": None,
        "roleScopeTagIds": world.tags(),
        **world.source.stamps(),
        "assignments": world.assignments(profile_id),
    }


def terms(world: World, index: int) -> dict[str, Any]:
    terms_id = world.source.guid()
    return {
        "id": terms_id,
        "displayName": f"TOU - Acceptable Use {index + 1}",
        "description": "",
        "title": "Contoso acceptable use",
        "bodyText": "Company devices are for business use.",
        "acceptanceStatement": "I accept the acceptable use policy.",
        "version": 1,
        "roleScopeTagIds": world.tags(),
        **world.source.stamps(),
        "assignments": [
            {"id": item["id"], "target": item["target"]}
            for item in world.assignments(terms_id)
            if "groupId" in item["target"]
        ],
    }


def app_protection(world: World, index: int) -> tuple[str, dict[str, Any]]:
    """(typed collection, object): iOS and Android protection, sometimes WIP or app configuration."""
    collection, kind, platform, bundle = world.source.pick(
        (
            ("iosManagedAppProtections", "iosManagedAppProtection", "iOS", "com.microsoft.office.outlook"),
            (
                "androidManagedAppProtections",
                "androidManagedAppProtection",
                "AND",
                "com.microsoft.office.outlook",
            ),
            (
                "targetedManagedAppConfigurations",
                "targetedManagedAppConfiguration",
                "ALL",
                "com.microsoft.teams",
            ),
        )
    )
    policy_id = world.source.guid()
    identifier_key = "packageId" if platform == "AND" else "bundleId"
    identifier_type = "android" if platform == "AND" else "ios"
    body: dict[str, Any] = {
        "@odata.type": G + kind,
        "id": policy_id,
        "displayName": f"{platform} - App Protection - {world.source.pick(AUDIENCES)} {index + 1}",
        "description": "",
        "version": "1",
        "isAssigned": True,
        "roleScopeTagIds": world.tags(),
        **world.source.stamps(),
        "apps": [
            {
                "id": f"{bundle}.{identifier_type}",
                "version": "-1",
                "mobileAppIdentifier": {
                    "@odata.type": f"{G}{identifier_type}MobileAppIdentifier",
                    identifier_key: bundle,
                },
            }
        ],
        "assignments": [
            {
                "id": item["id"],
                "target": {k: v for k, v in item["target"].items() if not k.startswith("deviceAndApp")},
            }
            for item in world.assignments(policy_id)
            if "groupId" in item["target"]
        ],
    }
    if kind != "targetedManagedAppConfiguration":
        body.update(
            pinRequired=True,
            minimumPinLength=6,
            dataBackupBlocked=True,
            saveAsBlocked=True,
            periodOfflineBeforeAccessCheck="PT12H",
            allowedOutboundDataTransferDestinations="managedApps",
        )
    else:
        body["customSettings"] = [{"name": "com.microsoft.teams.chat.notifications", "value": "false"}]
    return "deviceAppManagement/" + collection, body


def app_configuration(world: World, index: int) -> dict[str, Any]:
    config_id = world.source.guid()
    return {
        "@odata.type": G + "iosMobileAppConfiguration",
        "id": config_id,
        "displayName": f"iOS - App Config - Outlook {index + 1}",
        "description": "",
        "targetedMobileApps": world.source.sample(world.apps, 1),
        "roleScopeTagIds": world.tags(),
        "version": 1,
        "settings": [
            {
                "appConfigKey": "com.microsoft.outlook.EmailProfile.AccountType",
                "appConfigKeyType": "stringType",
                "appConfigKeyValue": "ModernAuth",
            }
        ],
        "encodedSettingXml": None,
        **world.source.stamps(),
        "assignments": world.assignments(config_id),
    }
