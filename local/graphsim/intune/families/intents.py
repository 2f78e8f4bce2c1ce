"""Endpoint security intents: created from a template (`createInstance`, or POST with
`templateId`), their settings changed with `updateSettings` and read at `/intents/{id}/settings`."""

from __future__ import annotations

import uuid
from typing import Any

from local.graphsim.contract import GraphResponse

from .. import crud
from ..catalog import BY_COLLECTION
from ..context import ActionHandler, Ctx, Family
from ..errors import intune_bad_request, method_not_allowed, model_validation_failure
from ..render import VIRTUAL_NAVS
from ..spec import TypeSpec
from ..store import new_id
from ..validation import require_object

INTENTS = "deviceManagement/intents"
TEMPLATES = "deviceManagement/templates"


class IntentFamily(Family):
    collections = (INTENTS,)

    def on_create(self, ctx: Ctx, spec: TypeSpec, obj: dict[str, Any]) -> None:
        template = ctx.shared.get(TEMPLATES, str(obj.get("templateId")))
        if template is None:
            raise intune_bad_request(
                f"Template '{obj.get('templateId')}' was not found; intents need a templateId."
            )
        delta = obj.pop("settingsDelta", None) or []
        given = obj.pop("settings", None) or []
        obj["settings"] = merge_settings(_fresh(template["settings"]), [*given, *delta])
        obj.setdefault("isAssigned", False)
        obj.setdefault("isMigratingToConfigurationPolicy", False)

    def on_update(self, ctx: Ctx, spec: TypeSpec, stored: dict[str, Any], changes: dict[str, Any]) -> None:
        if "settings" in changes or "templateId" in changes:
            raise intune_bad_request(
                "Intent settings change through updateSettings; templateId cannot change."
            )

    def actions(self) -> dict[str, ActionHandler]:
        return {"updateSettings": update_settings}


class TemplateFamily(Family):
    collections = (TEMPLATES,)

    def actions(self) -> dict[str, ActionHandler]:
        return {"createInstance": create_instance}


def create_instance(ctx: Ctx, spec: TypeSpec, template: dict[str, Any], rest: list[str]) -> GraphResponse:
    """`POST /templates/{id}/createInstance {displayName, description, settingsDelta, roleScopeTagIds}`."""
    if ctx.request.method != "POST" or len(rest) != 1:
        raise method_not_allowed(ctx.request.method)
    body = {**require_object(ctx.request.body), "templateId": template["id"]}
    return crud.create(ctx, BY_COLLECTION[INTENTS], IntentFamily(), body)


def update_settings(ctx: Ctx, spec: TypeSpec, intent: dict[str, Any], rest: list[str]) -> GraphResponse:
    if ctx.request.method != "POST" or len(rest) != 1:
        raise method_not_allowed(ctx.request.method)
    body = require_object(ctx.request.body)
    intent["settings"] = merge_settings(intent.get("settings") or [], body.get("settings"))
    crud.touch(spec, intent)
    return GraphResponse(204)


def merge_settings(current: list[dict[str, Any]], changes: Any) -> list[dict[str, Any]]:
    """Changes replace the setting with the same definitionId; unknown definitions are an error."""
    if not isinstance(changes, list):
        raise model_validation_failure("settings must be a collection of deviceManagementSettingInstance.")
    by_definition = {setting["definitionId"]: setting for setting in current}
    for change in changes:
        if not isinstance(change, dict) or not str(change.get("@odata.type", "")).startswith(
            "#microsoft.graph.deviceManagement"
        ):
            raise model_validation_failure("Each setting needs the '@odata.type' of a setting instance.")
        existing = by_definition.get(change.get("definitionId"))
        if existing is None:
            raise intune_bad_request(f"Setting '{change.get('definitionId')}' is not part of this template.")
        existing.update(
            (key, value) for key, value in change.items() if key in ("@odata.type", "valueJson", "value")
        )
    return current


def category_id(template_id: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"graphsim/template-category/{template_id}"))


def intent_categories(intent: dict[str, Any]) -> list[dict[str, Any]]:
    """One setting category per template (the simulator's templates are small), holding the
    intent's settings, so `/intents/{id}/categories/{cid}/settings` reads what tools expect."""
    template_id = str(intent.get("templateId"))
    return [
        {
            "id": category_id(template_id),
            "displayName": "Settings",
            "hasRequiredSetting": False,
            "settings": intent.get("settings") or [],
        }
    ]


def template_categories(template: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {
            "id": category_id(str(template.get("id"))),
            "displayName": "Settings",
            "hasRequiredSetting": False,
            "recommendedSettings": template.get("settings") or [],
        }
    ]


VIRTUAL_NAVS["microsoft.graph.deviceManagementIntentSettingCategory"] = intent_categories
VIRTUAL_NAVS["microsoft.graph.deviceManagementTemplateSettingCategory"] = template_categories


def _fresh(settings: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{**setting, "id": new_id()} for setting in settings]
