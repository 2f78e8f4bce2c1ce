"""Role-based access: the built-in Default scope tag ("0") and built-in role definitions are
read-only; new scope tags get the next numeric id, as Intune numbers them. A role assignment binds
its role (`roleDefinition@odata.bind`) and names groups that must exist: its members (the admins)
and, unless its scope is all devices or users, the groups it may manage."""

from __future__ import annotations

import re
from typing import Any

from ..context import Ctx, Family
from ..errors import intune_bad_request
from ..spec import TypeSpec

ROLES = "deviceManagement/roleDefinitions"
SCOPE_TYPES = frozenset({"resourceScope", "allDevices", "allLicensedUsers", "allDevicesAndLicensedUsers"})
_BOUND_ROLE = re.compile(r"/deviceManagement/roleDefinitions(?:\('([^']+)'\)|/([^/?]+))$")


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


class RoleAssignmentFamily(Family):
    collections = ("deviceManagement/roleAssignments",)

    def on_create(self, ctx: Ctx, spec: TypeSpec, obj: dict[str, Any]) -> None:
        bind = obj.pop("roleDefinition@odata.bind", None)
        if bind is None:
            raise intune_bad_request("A role assignment needs its role: send roleDefinition@odata.bind.")
        obj["roleDefinition"] = bound_role(ctx, bind)
        obj.setdefault("scopeType", "resourceScope")
        check_groups(ctx, obj)

    def on_update(self, ctx: Ctx, spec: TypeSpec, stored: dict[str, Any], changes: dict[str, Any]) -> None:
        bind = changes.pop("roleDefinition@odata.bind", None)
        if bind is not None:
            changes["roleDefinition"] = bound_role(ctx, bind)
        check_groups(ctx, {**stored, **changes})


def bound_role(ctx: Ctx, bind: object) -> dict[str, Any]:
    """The role a `roleDefinition@odata.bind` URL names (`.../roleDefinitions('id')`), which must exist."""
    match = _BOUND_ROLE.search(str(bind))
    role = ctx.tenant.get(ROLES, match.group(1) or match.group(2)) if match else None
    if role is None:
        raise intune_bad_request(
            f"roleDefinition@odata.bind does not name a role definition of this tenant: {bind}"
        )
    return {key: role[key] for key in ("id", "displayName", "description", "isBuiltIn") if key in role}


def check_groups(ctx: Ctx, obj: dict[str, Any]) -> None:
    if obj.get("scopeType") not in SCOPE_TYPES:
        raise intune_bad_request(f"Unknown scopeType '{obj.get('scopeType')}'.")
    members = obj.get("members")
    if not isinstance(members, list) or not members:
        raise intune_bad_request("A role assignment needs at least one member group.")
    scopes = list(obj.get("resourceScopes") or []) + list(obj.get("scopeMembers") or [])
    if obj["scopeType"] == "resourceScope" and not scopes:
        raise intune_bad_request("A role assignment scoped to groups needs at least one scope group.")
    unknown = [group for group in [*members, *scopes] if ctx.tenant.get("groups", str(group)) is None]
    if unknown:
        raise intune_bad_request(f"Groups not found: {', '.join(map(str, unknown))}.")
