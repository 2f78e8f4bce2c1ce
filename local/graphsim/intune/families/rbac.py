"""Role-based access: the built-in Default scope tag ("0") and built-in role definitions are
read-only; new scope tags get the next numeric id, as Intune numbers them."""

from __future__ import annotations

from typing import Any

from ..context import Ctx, Family
from ..errors import intune_bad_request
from ..spec import TypeSpec


class ScopeTagFamily(Family):
    collections = ("deviceManagement/roleScopeTags",)

    def on_create(self, ctx: Ctx, spec: TypeSpec, obj: dict[str, Any]) -> None:
        obj["isBuiltIn"] = False
        obj.setdefault("assignments", [])

    def new_id(self, ctx: Ctx, spec: TypeSpec, obj: dict[str, Any]) -> str | None:
        numbers = [int(key) for key in ctx.tenant.table(spec.collection) if key.isdigit()]
        return str(max(numbers, default=0) + 1)

    def on_update(self, ctx: Ctx, spec: TypeSpec, stored: dict[str, Any], changes: dict[str, Any]) -> None:
        if stored.get("isBuiltIn"):
            raise intune_bad_request("The built-in Default scope tag cannot be changed.")

    def on_delete(self, ctx: Ctx, spec: TypeSpec, stored: dict[str, Any]) -> None:
        if stored.get("isBuiltIn"):
            raise intune_bad_request("The built-in Default scope tag cannot be deleted.")


class RoleDefinitionFamily(Family):
    collections = ("deviceManagement/roleDefinitions",)

    def on_create(self, ctx: Ctx, spec: TypeSpec, obj: dict[str, Any]) -> None:
        if obj.get("isBuiltIn"):
            raise intune_bad_request(
                "Only Microsoft creates built-in role definitions; send isBuiltIn: false."
            )
        obj["isBuiltIn"] = False
        obj.setdefault("roleAssignments", [])

    def on_update(self, ctx: Ctx, spec: TypeSpec, stored: dict[str, Any], changes: dict[str, Any]) -> None:
        if stored.get("isBuiltIn"):
            raise intune_bad_request("Built-in role definitions cannot be changed.")

    def on_delete(self, ctx: Ctx, spec: TypeSpec, stored: dict[str, Any]) -> None:
        if stored.get("isBuiltIn"):
            raise intune_bad_request("Built-in role definitions cannot be deleted.")
