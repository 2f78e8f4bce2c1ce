"""The JSON bodies of the onboarding routes, parsed strictly: an unknown member, a wrong type or a
missing field is a 400 naming it, before anything is read or written."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from shared.auth.roles import Role, parse_role
from shared.http.problems import ProblemError
from shared.tenants import TenantStatus

_MAX_BODY_BYTES = 16_384


class InvalidOnboardingRequest(ProblemError):
    status = 400
    code = "onboarding.invalid_request"
    title = "The request body is invalid."


@dataclass(frozen=True)
class NewTenant:
    tenant: str
    """A tenant ID or a verified domain."""
    display_name: str
    credential_ref: str
    cloud: str = "public"


@dataclass(frozen=True)
class TenantChanges:
    display_name: str | None = None
    status: TenantStatus | None = None


def parse_json(raw: bytes) -> Mapping[str, Any]:
    if len(raw) > _MAX_BODY_BYTES:
        raise InvalidOnboardingRequest(f"The body is over {_MAX_BODY_BYTES} bytes.")
    try:
        body = json.loads(raw or b"null")
    except (ValueError, UnicodeDecodeError):
        raise InvalidOnboardingRequest("The body is not JSON.") from None
    if not isinstance(body, dict):
        raise InvalidOnboardingRequest("The body must be a JSON object.")
    return body


def new_tenant(raw: bytes) -> NewTenant:
    body = _only(parse_json(raw), required={"tenant", "displayName", "credentialRef"}, optional={"cloud"})
    return NewTenant(
        tenant=_text(body, "tenant"),
        display_name=_text(body, "displayName"),
        credential_ref=_text(body, "credentialRef"),
        cloud=_text(body, "cloud") if "cloud" in body else "public",
    )


def tenant_changes(raw: bytes) -> TenantChanges:
    body = _only(parse_json(raw), required=set(), optional={"displayName", "status"})
    if not body:
        raise InvalidOnboardingRequest("Give `displayName` and/or `status` (active or disabled).")
    status = None
    if "status" in body:
        try:
            status = TenantStatus(_text(body, "status"))
        except ValueError:
            raise InvalidOnboardingRequest("`status` is active or disabled.") from None
    name = _text(body, "displayName") if "displayName" in body else None
    return TenantChanges(name, status)


def role_grant(raw: bytes) -> Role:
    body = _only(parse_json(raw), required={"role"}, optional=set())
    try:
        return parse_role(body["role"])
    except ValueError as exc:
        raise InvalidOnboardingRequest(f"`role`: {exc}") from None


def _only(body: Mapping[str, Any], *, required: set[str], optional: set[str]) -> Mapping[str, Any]:
    unknown = sorted(set(body) - required - optional)
    if unknown:
        raise InvalidOnboardingRequest(
            f"Unknown member(s) {', '.join(unknown)}; allowed: {sorted(required | optional)}."
        )
    missing = sorted(required - set(body))
    if missing:
        raise InvalidOnboardingRequest(f"Missing member(s): {', '.join(missing)}.")
    return body


def _text(body: Mapping[str, Any], name: str) -> str:
    value = body[name]
    if not isinstance(value, str) or not value.strip() or len(value) > 512:
        raise InvalidOnboardingRequest(f"`{name}` must be a non-empty string of up to 512 characters.")
    return value.strip()
