"""App management: app protection policies get their targeted apps with `targetApps`;
notification templates take one `localizedNotificationMessages` POST per locale; an app's
assignments are replaced by `/assign {"mobileAppAssignments"}`, each with an install intent."""

from __future__ import annotations

from typing import Any

from local.graphsim.contract import GraphResponse

from .. import navs
from ..context import ActionHandler, Ctx, Family
from ..errors import intune_bad_request, method_not_allowed
from ..spec import TypeSpec
from ..subtypes import APP_PROTECTION
from ..validation import require_object


class AppProtectionFamily(Family):
    collections = tuple("deviceAppManagement/" + name for name in APP_PROTECTION)

    def on_create(self, ctx: Ctx, spec: TypeSpec, obj: dict[str, Any]) -> None:
        obj.setdefault("isAssigned", False)
        obj.setdefault("deployedAppCount", len(obj.get("apps") or []))

    def actions(self) -> dict[str, ActionHandler]:
        return {"targetApps": target_apps}


def target_apps(ctx: Ctx, spec: TypeSpec, obj: dict[str, Any], rest: list[str]) -> GraphResponse:
    """`POST /{typed}/{id}/targetApps {"apps": [...], "appGroupType"?}` replaces the targeted apps."""
    if ctx.request.method != "POST" or len(rest) != 1:
        raise method_not_allowed(ctx.request.method)
    body = require_object(ctx.request.body)
    apps = body.get("apps")
    if not isinstance(apps, list) or not all(
        isinstance(app, dict) and "mobileAppIdentifier" in app for app in apps
    ):
        raise intune_bad_request("apps must be a list of managedMobileApp with a mobileAppIdentifier.")
    obj["apps"] = [{"id": _app_id(app, spec), "version": "-1", **app} for app in apps]
    if "appGroupType" in body:
        obj["appGroupType"] = body["appGroupType"]
    obj["deployedAppCount"] = len(obj["apps"])
    return GraphResponse(204)


def _app_id(app: dict[str, Any], spec: TypeSpec) -> str:
    identifier = app["mobileAppIdentifier"]
    return f"{identifier.get('bundleId') or identifier.get('packageId')}.{spec.name[:3]}"


class NotificationTemplateFamily(Family):
    collections = ("deviceManagement/notificationMessageTemplates",)
    writable_navs = ("localizedNotificationMessages",)

    def on_create(self, ctx: Ctx, spec: TypeSpec, obj: dict[str, Any]) -> None:
        obj.setdefault("defaultLocale", "en-us")
        obj.setdefault("brandingOptions", "none")
        obj["localizedNotificationMessages"] = []


INTENTS = frozenset({"available", "required", "uninstall", "availableWithoutEnrollment"})


class MobileAppFamily(Family):
    collections = ("deviceAppManagement/mobileApps",)

    def actions(self) -> dict[str, ActionHandler]:
        return {"assign": assign_app}


def assign_app(ctx: Ctx, spec: TypeSpec, obj: dict[str, Any], rest: list[str]) -> GraphResponse:
    """Each app assignment says how the app is installed; `available` cannot go to all devices."""
    for item in require_object(ctx.request.body).get("mobileAppAssignments") or []:
        intent = item.get("intent") if isinstance(item, dict) else None
        if intent not in INTENTS:
            raise intune_bad_request(f"Unknown app assignment intent '{intent}'.")
        kind = ((item.get("target") or {}) if isinstance(item.get("target"), dict) else {}).get("@odata.type")
        if intent == "available" and kind == "#microsoft.graph.allDevicesAssignmentTarget":
            raise intune_bad_request("An app cannot be made available to all devices; assign it to users.")
    return navs.assign(ctx, spec, obj, rest)
