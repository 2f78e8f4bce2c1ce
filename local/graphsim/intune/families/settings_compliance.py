"""Settings catalog compliance (`compliancePolicies`): settings validated and numbered as the
settings catalog's are, created with exactly one `block` scheduled action, PUT as a full replace
of settings and metadata (the actions stay), PATCH for metadata only, and the actions replaced
through `setScheduledActions`."""

from __future__ import annotations

from typing import Any

from local.graphsim.contract import GraphResponse

from ..context import ActionHandler, Ctx, Family
from ..crud import touch
from ..errors import intune_bad_request, method_not_allowed
from ..spec import TypeSpec
from ..validation import require_object
from .compliance import scheduled_actions
from .settings_catalog import check_references, number_settings

KEPT_ON_PUT = ("scheduledActionsForRule", "creationSource", "isAssigned")


class SettingsComplianceFamily(Family):
    collections = ("deviceManagement/compliancePolicies",)

    def on_create(self, ctx: Ctx, spec: TypeSpec, obj: dict[str, Any]) -> None:
        settings = number_settings(obj.get("settings") or [])
        check_references(ctx, settings)
        obj["settings"] = settings
        obj["settingCount"] = len(settings)
        obj["scheduledActionsForRule"] = scheduled_actions(ctx, obj.get("scheduledActionsForRule"))
        obj.setdefault("creationSource", None)
        obj.setdefault("isAssigned", False)

    def on_update(self, ctx: Ctx, spec: TypeSpec, stored: dict[str, Any], changes: dict[str, Any]) -> None:
        if "scheduledActionsForRule" in changes:
            raise intune_bad_request(
                "scheduledActionsForRule cannot be written with PATCH or PUT; use setScheduledActions."
            )
        if ctx.request.method == "PATCH":
            if "settings" in changes:
                raise intune_bad_request(
                    "Settings of a compliance policy cannot be changed with PATCH; "
                    "PUT the whole policy including its settings."
                )
            return
        settings = number_settings(changes.get("settings") or [])
        check_references(ctx, settings)
        changes["settings"] = settings
        changes["settingCount"] = len(settings)
        for kept in KEPT_ON_PUT:
            if kept in stored and kept not in changes:
                changes[kept] = stored[kept]

    def actions(self) -> dict[str, ActionHandler]:
        return {"setScheduledActions": set_scheduled_actions}


def set_scheduled_actions(ctx: Ctx, spec: TypeSpec, obj: dict[str, Any], rest: list[str]) -> GraphResponse:
    """`POST /{id}/setScheduledActions {"scheduledActions": [...]}` replaces the actions; 200 with them."""
    if ctx.request.method != "POST" or len(rest) != 1:
        raise method_not_allowed(ctx.request.method)
    obj["scheduledActionsForRule"] = scheduled_actions(
        ctx, require_object(ctx.request.body).get("scheduledActions")
    )
    touch(spec, obj)
    return GraphResponse(
        200,
        {
            "@odata.context": ctx.context(
                "Collection(microsoft.graph.deviceManagementComplianceScheduledActionForRule)"
            ),
            "value": obj["scheduledActionsForRule"],
        },
    )
