"""Settings catalog (`configurationPolicies`): settings validated and numbered, references to
reusable settings checked, `settingCount` kept true, PUT as full replace, PATCH for metadata only,
and computed `settingDefinitions`."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ..context import Ctx, Family
from ..errors import intune_bad_request, model_validation_failure
from ..render import VIRTUAL_NAVS
from ..spec import TypeSpec
from ..store import unpacked
from ..validation import unresolved_type

INSTANCE_TYPES = frozenset(
    "#microsoft.graph.deviceManagementConfiguration" + kind
    for kind in (
        "ChoiceSettingInstance",
        "SimpleSettingInstance",
        "GroupSettingCollectionInstance",
        "SimpleSettingCollectionInstance",
        "ChoiceSettingCollectionInstance",
        "GroupSettingInstance",
        "SettingGroupCollectionInstance",
    )
)
DEFINITION_TYPE = "#microsoft.graph.deviceManagementConfiguration{}SettingDefinition"
REFERENCE_VALUE = "#microsoft.graph.deviceManagementConfigurationReferenceSettingValue"
REUSABLE_SETTINGS = "deviceManagement/reusablePolicySettings"


class SettingsCatalogFamily(Family):
    collections = ("deviceManagement/configurationPolicies",)

    def on_create(self, ctx: Ctx, spec: TypeSpec, obj: dict[str, Any]) -> None:
        settings = number_settings(obj.get("settings") or [])
        check_references(ctx, settings)
        obj["settings"] = settings
        obj["settingCount"] = len(settings)
        obj.setdefault("creationSource", None)
        obj.setdefault("isAssigned", False)
        obj.setdefault("priorityMetaData", None)
        obj.setdefault(
            "templateReference",
            {
                "templateId": "",
                "templateFamily": "none",
                "templateDisplayName": None,
                "templateDisplayVersion": None,
            },
        )

    def on_update(self, ctx: Ctx, spec: TypeSpec, stored: dict[str, Any], changes: dict[str, Any]) -> None:
        if ctx.request.method == "PATCH":
            if "settings" in changes:
                raise intune_bad_request(
                    "Settings of a configuration policy cannot be changed with PATCH; "
                    "PUT the whole policy including its settings."
                )
            return
        settings = number_settings(changes.get("settings") or [])
        check_references(ctx, settings)
        changes["settings"] = settings
        changes["settingCount"] = len(settings)
        for kept in ("creationSource", "isAssigned", "priorityMetaData", "templateReference"):
            if kept in stored and kept not in changes:
                changes[kept] = stored[kept]


def check_references(ctx: Ctx, settings: Any) -> None:
    """Every reusable setting a policy's settings name must exist in the tenant."""
    for reference in referenced_ids(settings):
        if ctx.tenant.get(REUSABLE_SETTINGS, reference) is None:
            raise intune_bad_request(f"Reusable policy setting '{reference}' was not found.")


def referenced_ids(node: Any) -> Iterator[str]:
    """IDs of the reusable settings named anywhere in `node` (a policy's settings)."""
    if isinstance(node, dict):
        if node.get("@odata.type") == REFERENCE_VALUE:
            yield str(node.get("value"))
        for value in node.values():
            yield from referenced_ids(value)
    elif isinstance(node, list):
        for value in node:
            yield from referenced_ids(value)


def number_settings(settings: Any) -> list[dict[str, Any]]:
    """Validate each setting's instance and give it the index id the service gives (`"0"`, `"1"`...)."""
    if not isinstance(settings, list):
        raise model_validation_failure(
            "settings must be a collection of deviceManagementConfigurationSetting."
        )
    numbered = []
    for index, setting in enumerate(settings):
        instance = setting.get("settingInstance") if isinstance(setting, dict) else None
        if not isinstance(instance, dict):
            raise model_validation_failure(f"Setting {index} has no settingInstance.")
        if instance.get("@odata.type") not in INSTANCE_TYPES:
            raise unresolved_type(str(instance.get("@odata.type")))
        if not isinstance(instance.get("settingDefinitionId"), str) or not instance["settingDefinitionId"]:
            raise intune_bad_request(f"Setting {index} has no settingDefinitionId.")
        numbered.append({"id": str(index), "settingInstance": instance})
    return numbered


def setting_definitions(setting: dict[str, Any]) -> list[dict[str, Any]]:
    """The definitions a setting uses: its own and its children's, as `$expand=settingDefinitions` gives."""
    ids: list[str] = []
    _collect_definition_ids(unpacked(setting.get("settingInstance")), ids)
    return [_definition(definition_id) for definition_id in dict.fromkeys(ids)]


def _collect_definition_ids(node: Any, ids: list[str]) -> None:
    if isinstance(node, dict):
        if isinstance(node.get("settingDefinitionId"), str):
            ids.append(node["settingDefinitionId"])
        for value in node.values():
            _collect_definition_ids(value, ids)
    elif isinstance(node, list):
        for value in node:
            _collect_definition_ids(value, ids)


def _definition(definition_id: str) -> dict[str, Any]:
    leaf = definition_id.rsplit("_", 1)[-1]
    kind = "Choice" if definition_id.count("_") > 2 else "Simple"
    return {
        "@odata.type": DEFINITION_TYPE.format(kind),
        "id": definition_id,
        "name": leaf,
        "displayName": leaf.replace("-", " ").title(),
        "description": f"Configures {leaf}.",
        "baseUri": "./Device/Vendor/MSFT/Policy/Config" if definition_id.startswith("device_") else "./User",
        "offsetUri": leaf,
        "rootDefinitionId": definition_id,
        "categoryId": "",
        "settingUsage": "configuration",
        "uxBehavior": "default",
        "visibility": "settingsCatalog",
        "keywords": [],
        "applicability": {
            "@odata.type": "#microsoft.graph.deviceManagementConfigurationWindowsSettingApplicability",
            "platform": "windows10",
            "technologies": "mdm",
        },
    }


VIRTUAL_NAVS["microsoft.graph.deviceManagementConfigurationSettingDefinition"] = setting_definitions
