"""Administrative templates: definition values bound to the shared ADMX catalog with
`definition@odata.bind` / `presentation@odata.bind`, applied through `updateDefinitionValues`."""

from __future__ import annotations

import re
from typing import Any

from local.graphsim.contract import GraphResponse

from ..context import ActionHandler, Ctx, Family
from ..crud import touch
from ..errors import intune_bad_request, method_not_allowed, model_validation_failure
from ..spec import TypeSpec
from ..store import new_id, utc_now
from ..validation import require_object

DEFINITIONS = "deviceManagement/groupPolicyDefinitions"
_DEFINITION_BIND = re.compile(r"groupPolicyDefinitions(?:\('([^']+)'\)|/([^/()?]+))")
_PRESENTATION_BIND = re.compile(r"presentations(?:\('([^']+)'\)|/([^/()?]+))")
VALUE_TYPES: dict[str, tuple[str, str, type]] = {
    "TextBox": ("Text", "value", str),
    "DropdownList": ("Text", "value", str),
    "DecimalTextBox": ("Decimal", "value", int),
    "LongDecimalTextBox": ("LongDecimal", "value", int),
    "CheckBox": ("Boolean", "value", bool),
    "ListBox": ("List", "values", list),
    "MultiTextBox": ("MultiText", "values", list),
}
VALUE_PREFIX = "#microsoft.graph.groupPolicyPresentationValue"


class GroupPolicyFamily(Family):
    collections = ("deviceManagement/groupPolicyConfigurations",)

    def on_create(self, ctx: Ctx, spec: TypeSpec, obj: dict[str, Any]) -> None:
        if obj.get("definitionValues"):
            raise intune_bad_request(
                "Create the configuration first, then add values with updateDefinitionValues."
            )
        obj["definitionValues"] = []
        obj.setdefault("policyConfigurationIngestionType", "unknown")

    def actions(self) -> dict[str, ActionHandler]:
        return {"updateDefinitionValues": update_definition_values}


def update_definition_values(ctx: Ctx, spec: TypeSpec, obj: dict[str, Any], rest: list[str]) -> GraphResponse:
    """`{"added", "updated", "deletedIds"}` applied as one change; any bad item rejects the whole call."""
    if ctx.request.method != "POST" or len(rest) != 1:
        raise method_not_allowed(ctx.request.method)
    body = require_object(ctx.request.body)
    values: list[dict[str, Any]] = list(obj.get("definitionValues") or [])
    by_id = {value["id"]: value for value in values}
    deleted = set(_list_of(body, "deletedIds"))
    unknown = deleted - by_id.keys()
    if unknown:
        raise intune_bad_request(f"Definition values not found: {', '.join(sorted(unknown))}")
    values = [value for value in values if value["id"] not in deleted]
    for change in _list_of(body, "updated"):
        current = by_id.get(change.get("id")) if isinstance(change, dict) else None
        if current is None or current["id"] in deleted:
            raise intune_bad_request(f"Definition value '{_id_of(change)}' not found in this configuration.")
        current.update(_definition_value(ctx, change, current["definition"], existing=current))
    in_use = {value["definition"]["id"] for value in values}
    for change in _list_of(body, "added"):
        definition = _bound_definition(ctx, change)
        if definition["id"] in in_use:
            raise intune_bad_request(
                f"Definition '{definition['id']}' already has a value in this configuration."
            )
        in_use.add(definition["id"])
        values.append(_definition_value(ctx, change, definition, existing=None))
    obj["definitionValues"] = values
    touch(spec, obj)
    return GraphResponse(204)


def _list_of(body: dict[str, Any], key: str) -> list[Any]:
    value = body.get(key) or []
    if not isinstance(value, list):
        raise model_validation_failure(f"'{key}' must be a collection.")
    return value


def _id_of(change: Any) -> str:
    return str(change.get("id")) if isinstance(change, dict) else str(change)


def _bound_definition(ctx: Ctx, change: Any) -> dict[str, Any]:
    bind = change.get("definition@odata.bind") if isinstance(change, dict) else None
    match = _DEFINITION_BIND.search(bind) if isinstance(bind, str) else None
    if match is None:
        raise intune_bad_request(
            "Each added definition value needs 'definition@odata.bind' to a groupPolicyDefinition."
        )
    definition_id = match.group(1) or match.group(2)
    definition = ctx.shared.get(DEFINITIONS, definition_id) or ctx.tenant.get(DEFINITIONS, definition_id)
    if definition is None:
        raise intune_bad_request(f"groupPolicyDefinition '{definition_id}' does not exist.")
    return definition


def _definition_value(
    ctx: Ctx, change: dict[str, Any], definition: dict[str, Any], existing: dict[str, Any] | None
) -> dict[str, Any]:
    enabled = change.get("enabled", existing["enabled"] if existing else None)
    if not isinstance(enabled, bool):
        raise intune_bad_request("A definition value needs 'enabled' (true or false).")
    now = utc_now()
    value: dict[str, Any] = {
        "id": existing["id"] if existing else new_id(),
        "enabled": enabled,
        "configurationType": "policy",
        "createdDateTime": existing["createdDateTime"] if existing else now,
        "lastModifiedDateTime": now,
        "definition": definition,
    }
    given = change.get("presentationValues")
    if given is None and existing is not None:
        value["presentationValues"] = existing.get("presentationValues", [])
    else:
        value["presentationValues"] = [_presentation_value(item, definition) for item in given or []]
    return value


def _presentation_value(item: Any, definition: dict[str, Any]) -> dict[str, Any]:
    bind = item.get("presentation@odata.bind") if isinstance(item, dict) else None
    match = _PRESENTATION_BIND.search(bind) if isinstance(bind, str) else None
    if match is None:
        raise intune_bad_request("Each presentation value needs 'presentation@odata.bind' to a presentation.")
    presentation_id = match.group(1) or match.group(2)
    presentation = next((p for p in definition.get("presentations", []) if p["id"] == presentation_id), None)
    if presentation is None:
        raise intune_bad_request(
            f"Presentation '{presentation_id}' does not belong to definition '{definition['id']}'."
        )
    kind = presentation["@odata.type"].removeprefix("#microsoft.graph.groupPolicyPresentation")
    value_kind, key, expected = VALUE_TYPES.get(kind, ("Text", "value", str))
    if item.get("@odata.type") != VALUE_PREFIX + value_kind:
        raise model_validation_failure(
            f"Presentation '{presentation['label']}' takes a {VALUE_PREFIX.lstrip('#')}{value_kind}, "
            f"not '{str(item.get('@odata.type')).lstrip('#')}'."
        )
    raw = item.get(key)
    if not isinstance(raw, expected) or (expected is int and isinstance(raw, bool)):
        raise intune_bad_request(
            f"Presentation value '{key}' for '{presentation['label']}' has the wrong type."
        )
    now = utc_now()
    return {
        "@odata.type": VALUE_PREFIX + value_kind,
        "id": item.get("id") or new_id(),
        key: raw,
        "createdDateTime": now,
        "lastModifiedDateTime": now,
        "presentation": presentation,
    }
