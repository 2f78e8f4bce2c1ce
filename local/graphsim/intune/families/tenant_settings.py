"""The tenant-wide Intune settings: read at `/deviceManagement/settings`, written by a PATCH of
`/deviceManagement` with `{"settings": {...}}`, each property checked against its type."""

from __future__ import annotations

from typing import Any

from local.graphsim.contract import GraphResponse

from ..context import Ctx, Family
from ..errors import intune_bad_request
from ..spec import TypeSpec
from ..validation import require_object

SETTINGS = "deviceManagement/settings"
DEVICE_MANAGEMENT_SETTINGS = {
    "id": "settings",
    "deviceComplianceCheckinThresholdDays": 30,
    "isScheduledActionEnabled": True,
    "secureByDefault": False,
    "enhancedJailBreak": False,
    "deviceInactivityBeforeRetirementInDay": 0,
    "derivedCredentialProvider": "notConfigured",
    "derivedCredentialUrl": None,
    "androidDeviceAdministratorEnrollmentEnabled": False,
    "ignoreDevicesForUnsupportedSettingsEnabled": False,
    "enableLogCollection": True,
    "enableAutopilotDiagnostics": True,
    "enableEnhancedTroubleshootingExperience": False,
    "enableDeviceGroupMembershipReport": False,
}
"""The tenant-wide Intune settings (`GET /deviceManagement/settings`) as a new tenant has them."""


class DeviceManagementFamily(Family):
    collections = ("deviceManagement",)

    def read_singleton(self, ctx: Ctx, spec: TypeSpec) -> dict[str, Any] | None:
        settings = next(iter(ctx.tenant.table(SETTINGS).values()), None)
        return {
            "id": ctx.tenant.tenant_id,
            "settings": {k: v for k, v in (settings or {}).items() if k != "id"},
        }

    def patch_singleton(self, ctx: Ctx, spec: TypeSpec) -> GraphResponse:
        body = require_object(ctx.request.body)
        unknown = sorted(set(body) - {"settings", "@odata.type"})
        if unknown:
            raise intune_bad_request(
                f"Only settings can be changed on deviceManagement, not {', '.join(unknown)}."
            )
        changes = body.get("settings")
        if not isinstance(changes, dict):
            raise intune_bad_request("settings must be a deviceManagementSettings object.")
        for name, value in changes.items():
            if name.startswith("@odata."):
                continue
            if name not in DEVICE_MANAGEMENT_SETTINGS or name == "id":
                raise intune_bad_request(f"'{name}' is not a property of deviceManagementSettings.")
            default = DEVICE_MANAGEMENT_SETTINGS[name]
            if default is not None and value is not None and type(value) is not type(default):
                raise intune_bad_request(f"The value of '{name}' has the wrong type.")
        table = ctx.tenant.table(SETTINGS)
        stored = next(iter(table.values()), None)
        if stored is None:
            stored = table.setdefault("settings", {"id": "settings"})
        stored.update((k, v) for k, v in changes.items() if not k.startswith("@odata."))
        return GraphResponse(204)
