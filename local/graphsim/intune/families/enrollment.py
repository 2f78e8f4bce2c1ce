"""Enrollment configurations: the tenant's defaults (priority 0) cannot be deleted or
re-prioritised; others get ids in the service's `{guid}_{Kind}` form and `setPriority`."""

from __future__ import annotations

import uuid
from typing import Any

from local.graphsim.contract import GraphResponse

from ..context import ActionHandler, Ctx, Family
from ..crud import touch
from ..errors import intune_bad_request, method_not_allowed
from ..spec import TypeSpec
from ..validation import require_object

COLLECTION = "deviceManagement/deviceEnrollmentConfigurations"
ID_SUFFIX = {
    "deviceEnrollmentLimitConfiguration": "Limit",
    "deviceEnrollmentPlatformRestrictionsConfiguration": "PlatformRestrictions",
    "deviceEnrollmentPlatformRestrictionConfiguration": "SinglePlatformRestriction",
    "deviceEnrollmentWindowsHelloForBusinessConfiguration": "WindowsHelloForBusiness",
    "windows10EnrollmentCompletionPageConfiguration": "Windows10EnrollmentCompletionPageConfiguration",
    "deviceComanagementAuthorityConfiguration": "DeviceComanagementAuthorityConfiguration",
}


def is_default(obj: dict[str, Any]) -> bool:
    return obj.get("priority") == 0 or "_Default" in str(obj.get("id"))


class EnrollmentFamily(Family):
    collections = (COLLECTION,)

    def on_create(self, ctx: Ctx, spec: TypeSpec, obj: dict[str, Any]) -> None:
        if obj.get("priority") == 0:
            raise intune_bad_request("Priority 0 is reserved for the default enrollment configuration.")
        if "priority" not in obj:
            priorities = [item.get("priority") or 0 for item in ctx.tenant.table(COLLECTION).values()]
            obj["priority"] = max(priorities, default=0) + 1
        kind = str(obj.get("@odata.type", "")).removeprefix("#microsoft.graph.")
        obj.setdefault(
            "deviceEnrollmentConfigurationType",
            ID_SUFFIX.get(kind, kind)[0].lower() + ID_SUFFIX.get(kind, kind)[1:],
        )

    def new_id(self, ctx: Ctx, spec: TypeSpec, obj: dict[str, Any]) -> str | None:
        kind = str(obj.get("@odata.type", "")).removeprefix("#microsoft.graph.")
        return f"{uuid.uuid4()}_{ID_SUFFIX.get(kind, kind)}"

    def on_update(self, ctx: Ctx, spec: TypeSpec, stored: dict[str, Any], changes: dict[str, Any]) -> None:
        if "priority" in changes and changes["priority"] != stored.get("priority"):
            raise intune_bad_request("Priority changes through setPriority.")

    def on_delete(self, ctx: Ctx, spec: TypeSpec, stored: dict[str, Any]) -> None:
        if is_default(stored):
            raise intune_bad_request("Default enrollment configurations cannot be deleted.")

    def actions(self) -> dict[str, ActionHandler]:
        return {"setPriority": set_priority}


def set_priority(ctx: Ctx, spec: TypeSpec, obj: dict[str, Any], rest: list[str]) -> GraphResponse:
    if ctx.request.method != "POST" or len(rest) != 1:
        raise method_not_allowed(ctx.request.method)
    priority = require_object(ctx.request.body).get("priority")
    if is_default(obj):
        raise intune_bad_request("The priority of a default enrollment configuration cannot change.")
    if not isinstance(priority, int) or isinstance(priority, bool) or priority < 1:
        raise intune_bad_request("priority must be an integer of 1 or more.")
    obj["priority"] = priority
    touch(spec, obj)
    return GraphResponse(204)
