"""Apple automated device enrollment: each Apple Business Manager token (`depOnboardingSettings`)
holds its enrollment profiles at `/{token}/enrollmentProfiles`, created per platform
(`depIOSEnrollmentProfile`, `depMacOSEnrollmentProfile`) and edited in place. The token itself is
read-only: it is uploaded in the Intune admin center."""

from __future__ import annotations

from typing import Any

from local.graphsim.contract import GraphResponse

from .. import crud
from ..context import ActionHandler, Ctx, Family
from ..errors import intune_not_found, method_not_allowed, segment_not_found
from ..render import filter_and_order
from ..spec import TypeSpec
from ..store import new_id
from ..validation import check_schema, require_object, unresolved_type, validate_create

G = "microsoft.graph."
PROFILE_TYPES = frozenset({G + "depIOSEnrollmentProfile", G + "depMacOSEnrollmentProfile"})
PROFILES = TypeSpec(
    "deviceManagement/depOnboardingSettings/enrollmentProfiles",
    G + "enrollmentProfile",
    "service",
    tuple(sorted(PROFILE_TYPES)),
    scope_tags=None,
    timestamps=(),
    schema={
        "displayName": (str, True),
        "description": (str, False),
        "requiresUserAuthentication": (bool, False),
    },
)
"""The profiles' own shape, for validation; they are served under their token, not as a collection."""


class AppleEnrollmentFamily(Family):
    collections = ("deviceManagement/depOnboardingSettings",)

    def actions(self) -> dict[str, ActionHandler]:
        return {"enrollmentProfiles": enrollment_profiles}


def enrollment_profiles(ctx: Ctx, spec: TypeSpec, token: dict[str, Any], rest: list[str]) -> GraphResponse:
    method = ctx.request.method
    profiles: list[dict[str, Any]] = token.setdefault("enrollmentProfiles", [])
    path = f"{spec.collection}('{token['id']}')/enrollmentProfiles"
    if len(rest) == 1:
        if method == "GET":
            return GraphResponse(
                200,
                {"@odata.context": ctx.context(path), "value": filter_and_order(list(profiles), ctx.query)},
            )
        if method == "POST":
            return GraphResponse(
                201, {"@odata.context": ctx.context(f"{path}/$entity"), **_create(ctx, profiles)}
            )
        raise method_not_allowed(method)
    if len(rest) > 2:
        raise segment_not_found(rest[2])
    profile = next((item for item in profiles if item.get("id") == rest[1]), None)
    if profile is None:
        raise intune_not_found(PROFILES.entity, rest[1])
    if method == "GET":
        return GraphResponse(200, {"@odata.context": ctx.context(f"{path}/$entity"), **profile})
    if method == "PATCH":
        changes = require_object(ctx.request.body)
        named = changes.get("@odata.type")
        if named is not None and named != profile.get("@odata.type"):
            raise unresolved_type(str(named))
        check_schema(PROFILES, changes, creating=False)
        profile.update((k, v) for k, v in changes.items() if k != "id" and not k.startswith("@odata."))
        return GraphResponse(204)
    if method == "DELETE":
        profiles.remove(profile)
        return GraphResponse(204)
    raise method_not_allowed(method)


def _create(ctx: Ctx, profiles: list[dict[str, Any]]) -> dict[str, Any]:
    body = require_object(ctx.request.body)
    if body.get("@odata.type", "").lstrip("#") not in PROFILE_TYPES:
        raise unresolved_type(str(body.get("@odata.type")))
    validate_create(PROFILES, body)
    profile = crud.new_object(PROFILES, body, "#" + body["@odata.type"].lstrip("#"))
    profile.setdefault("isDefault", False)
    profile["id"] = new_id()
    profiles.append(profile)
    return dict(profile)
