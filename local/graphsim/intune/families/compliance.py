"""Compliance policies: created with exactly one `block` scheduled action, PATCHed without
`scheduledActionsForRule`, and given new actions through `scheduleActionsForRules`."""

from __future__ import annotations

import re
from typing import Any

from local.graphsim.contract import GraphResponse

from ..context import ActionHandler, Ctx, Family
from ..crud import touch
from ..errors import intune_bad_request, method_not_allowed
from ..spec import TypeSpec
from ..store import new_id
from ..validation import require_object

ONE_BLOCK = "Compliance policy must have one and only one block scheduled action"
ACTION_TYPES = frozenset(
    {
        "block",
        "notification",
        "retire",
        "wipe",
        "pushNotification",
        "remoteLock",
        "removeResourceAccessProfiles",
    }
)
NO_TEMPLATE = "00000000-0000-0000-0000-000000000000"
"""What the service stores for an action without a notification template."""
TEMPLATES = "deviceManagement/notificationMessageTemplates"
_EMPTY_GUID = re.compile(r"^(0{8}-0{4}-0{4}-0{4}-0{12})?$")


class ComplianceFamily(Family):
    collections = ("deviceManagement/deviceCompliancePolicies",)

    def on_create(self, ctx: Ctx, spec: TypeSpec, obj: dict[str, Any]) -> None:
        obj["scheduledActionsForRule"] = scheduled_actions(ctx, obj.get("scheduledActionsForRule"))

    def on_update(self, ctx: Ctx, spec: TypeSpec, stored: dict[str, Any], changes: dict[str, Any]) -> None:
        if "scheduledActionsForRule" in changes:
            raise intune_bad_request(
                "scheduledActionsForRule cannot be updated with PATCH; use scheduleActionsForRules."
            )

    def actions(self) -> dict[str, ActionHandler]:
        return {"scheduleActionsForRules": schedule_actions_for_rules}


def schedule_actions_for_rules(
    ctx: Ctx, spec: TypeSpec, obj: dict[str, Any], rest: list[str]
) -> GraphResponse:
    if ctx.request.method != "POST" or len(rest) != 1:
        raise method_not_allowed(ctx.request.method)
    body = require_object(ctx.request.body)
    obj["scheduledActionsForRule"] = scheduled_actions(
        ctx, body.get("deviceComplianceScheduledActionForRules")
    )
    touch(spec, obj)
    return GraphResponse(204)


def scheduled_actions(ctx: Ctx, rules: Any) -> list[dict[str, Any]]:
    """Validate rules and give every rule and action configuration a service id."""
    if not isinstance(rules, list) or not all(isinstance(rule, dict) for rule in rules):
        raise intune_bad_request(ONE_BLOCK)
    stored = []
    blocks = 0
    for rule in rules:
        configurations = rule.get("scheduledActionConfigurations")
        if not isinstance(configurations, list) or not all(isinstance(item, dict) for item in configurations):
            raise intune_bad_request(ONE_BLOCK)
        for item in configurations:
            if not item.get("notificationTemplateId"):
                item["notificationTemplateId"] = NO_TEMPLATE
            if item.get("actionType") not in ACTION_TYPES:
                raise intune_bad_request(f"Unknown compliance actionType '{item.get('actionType')}'.")
            _check_template(ctx, item.get("notificationTemplateId"))
        blocks += sum(1 for item in configurations if item["actionType"] == "block")
        stored.append(
            {
                **{key: value for key, value in rule.items() if not key.startswith("@odata.")},
                "id": new_id(),
                "ruleName": rule.get("ruleName"),
                "scheduledActionConfigurations": [
                    {**{k: v for k, v in item.items() if not k.startswith("@odata.")}, "id": new_id()}
                    for item in configurations
                ],
            }
        )
    if blocks != 1:
        raise intune_bad_request(ONE_BLOCK)
    return stored


def _check_template(ctx: Ctx, template_id: Any) -> None:
    """Actions refer to a notification template of the same tenant; an unmapped id is a 400."""
    if template_id is None or (isinstance(template_id, str) and _EMPTY_GUID.match(template_id)):
        return
    if ctx.tenant.get(TEMPLATES, str(template_id)) is None:
        raise intune_bad_request(f"Notification message template '{template_id}' was not found.")
