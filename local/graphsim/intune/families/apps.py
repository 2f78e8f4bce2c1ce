"""App management: app protection policies get their targeted apps with `targetApps`;
notification templates take one `localizedNotificationMessages` POST per locale."""

from __future__ import annotations

from typing import Any

from local.graphsim.contract import GraphResponse

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
