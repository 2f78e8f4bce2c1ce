"""Scripts (PowerShell, shell, remediations, compliance discovery): content must be base64, as
the service stores it; lists omit the content (catalog `list_omits`), GET of one returns it."""

from __future__ import annotations

import base64
import binascii
from typing import Any

from ..context import Ctx, Family
from ..errors import GraphFailure
from ..spec import TypeSpec

CONTENT_FIELDS = ("scriptContent", "detectionScriptContent", "remediationScriptContent")


class ScriptFamily(Family):
    collections = tuple(
        "deviceManagement/" + name
        for name in (
            "deviceManagementScripts",
            "deviceHealthScripts",
            "deviceShellScripts",
            "deviceCustomAttributeShellScripts",
            "deviceComplianceScripts",
        )
    )

    def on_create(self, ctx: Ctx, spec: TypeSpec, obj: dict[str, Any]) -> None:
        check_content(obj)
        if spec.name in (
            "deviceManagementScripts",
            "deviceShellScripts",
            "deviceCustomAttributeShellScripts",
        ):
            obj.setdefault("runAsAccount", "system")
            obj.setdefault("enforceSignatureCheck", False)
        if spec.name in ("deviceHealthScripts", "deviceComplianceScripts"):
            obj.setdefault("runAs32Bit", False)
            obj.setdefault("isGlobalScript", False)

    def on_update(self, ctx: Ctx, spec: TypeSpec, stored: dict[str, Any], changes: dict[str, Any]) -> None:
        check_content(changes)


def check_content(obj: dict[str, Any]) -> None:
    for name in CONTENT_FIELDS:
        value = obj.get(name)
        if value is None:
            continue
        try:
            valid = isinstance(value, str) and base64.b64encode(base64.b64decode(value, validate=True)) == (
                value.encode()
            )
        except (binascii.Error, ValueError):
            valid = False
        if not valid:
            raise GraphFailure(
                400,
                "BadRequest",
                f"Cannot convert the literal '{str(value)[:40]}' to the expected type 'Edm.Binary' "
                f"of property '{name}'.",
            )
