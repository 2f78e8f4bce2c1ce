"""Windows 365: provisioning policies (image, join type and region or network connection) and user
settings (local admin, restore points), both assigned to groups only."""

from __future__ import annotations

from typing import Any

from local.graphsim.contract import GraphResponse

from .. import navs
from ..context import ActionHandler, Ctx, Family
from ..errors import intune_bad_request
from ..spec import TypeSpec
from ..validation import require_object

W365 = "deviceManagement/virtualEndpoint/"
JOIN_TYPES = frozenset({"azureADJoin", "hybridAzureADJoin"})
RESTORE_POINT_HOURS = frozenset({4, 6, 12, 16, 24})


class CloudPcFamily(Family):
    collections = (W365 + "provisioningPolicies", W365 + "userSettings")

    def on_create(self, ctx: Ctx, spec: TypeSpec, obj: dict[str, Any]) -> None:
        check(spec, obj)
        obj.setdefault("assignments", [])
        if spec.name == "provisioningPolicies":
            obj["managedBy"] = "windows365"

    def on_update(self, ctx: Ctx, spec: TypeSpec, stored: dict[str, Any], changes: dict[str, Any]) -> None:
        check(spec, {**stored, **changes})

    def actions(self) -> dict[str, ActionHandler]:
        return {"assign": assign_groups}


def check(spec: TypeSpec, obj: dict[str, Any]) -> None:
    if spec.name == "provisioningPolicies":
        if obj.get("provisioningType", "dedicated") not in ("dedicated", "shared"):
            raise intune_bad_request("provisioningType must be dedicated or shared.")
        if obj.get("imageType") not in ("gallery", "custom"):
            raise intune_bad_request("imageType must be gallery or custom.")
        joins = obj.get("domainJoinConfigurations")
        if not isinstance(joins, list) or not joins:
            raise intune_bad_request("domainJoinConfigurations needs at least one join configuration.")
        for join in joins:
            kind = (join or {}).get("domainJoinType")
            if kind not in JOIN_TYPES:
                raise intune_bad_request(f"Unknown domainJoinType '{kind}'.")
            if kind == "hybridAzureADJoin" and not join.get("onPremisesConnectionId"):
                raise intune_bad_request(
                    "A hybrid join needs an onPremisesConnectionId (Azure network connection)."
                )
            if kind == "azureADJoin" and not (join.get("regionName") or join.get("onPremisesConnectionId")):
                raise intune_bad_request("An Entra join needs a regionName or an onPremisesConnectionId.")
    else:
        hours = (obj.get("restorePointSetting") or {}).get("frequencyInHours")
        if hours is not None and hours not in RESTORE_POINT_HOURS:
            raise intune_bad_request("restorePointSetting.frequencyInHours must be 4, 6, 12, 16 or 24.")


def assign_groups(ctx: Ctx, spec: TypeSpec, obj: dict[str, Any], rest: list[str]) -> GraphResponse:
    """Cloud PC policies are assigned to groups only, with their own target type."""
    for item in require_object(ctx.request.body).get("assignments") or []:
        target = (item or {}).get("target") if isinstance(item, dict) else None
        if not isinstance(target, dict) or target.get("@odata.type") != navs.CLOUD_PC_TARGET:
            raise intune_bad_request(
                "Cloud PC policies are assigned to groups only, with cloudPcManagementGroupAssignmentTarget."
            )
    return navs.assign(ctx, spec, obj, rest)
