"""Reusable policy settings: one setting instance that settings catalog policies refer to by ID
(`deviceManagementConfigurationReferenceSettingValue`). A policy naming a reusable setting the
tenant does not have is a 400, and a reusable setting that policies still refer to cannot be deleted."""

from __future__ import annotations

from typing import Any

from ..context import Ctx, Family
from ..errors import intune_bad_request
from ..spec import TypeSpec
from ..store import unpacked
from ..validation import unresolved_type
from .settings_catalog import INSTANCE_TYPES, REUSABLE_SETTINGS, referenced_ids

REFERRING = ("deviceManagement/configurationPolicies", "deviceManagement/compliancePolicies")


class ReusableSettingFamily(Family):
    collections = (REUSABLE_SETTINGS,)

    def on_create(self, ctx: Ctx, spec: TypeSpec, obj: dict[str, Any]) -> None:
        check_instance(obj)
        obj["referencingConfigurationPolicyCount"] = 0

    def on_update(self, ctx: Ctx, spec: TypeSpec, stored: dict[str, Any], changes: dict[str, Any]) -> None:
        check_instance({**stored, **changes})

    def on_delete(self, ctx: Ctx, spec: TypeSpec, stored: dict[str, Any]) -> None:
        users = [
            policy.get("name")
            for collection in REFERRING
            for policy in ctx.tenant.table(collection).values()
            if stored["id"] in referenced_ids(unpacked(policy.get("settings")))
        ]
        if users:
            raise intune_bad_request(
                f"The reusable setting is referenced by {len(users)} policies and cannot be deleted."
            )


def check_instance(obj: dict[str, Any]) -> None:
    instance = obj.get("settingInstance")
    if not isinstance(instance, dict) or instance.get("@odata.type") not in INSTANCE_TYPES:
        raise unresolved_type(
            str((instance or {}).get("@odata.type") if isinstance(instance, dict) else None)
        )
    if instance.get("settingDefinitionId") != obj.get("settingDefinitionId"):
        raise intune_bad_request("settingInstance.settingDefinitionId must equal settingDefinitionId.")
