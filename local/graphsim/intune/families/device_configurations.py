"""Device configuration profiles: custom OMA-URI string values are encrypted by the service;
lists and GETs show them masked with `isEncrypted` and a `secretReferenceValueId`, and only
`getOmaSettingPlainTextValue(secretReferenceValueId='...')` returns the plain text."""

from __future__ import annotations

import re
from typing import Any

from local.graphsim.contract import GraphResponse

from ..context import ActionHandler, Ctx, Family
from ..errors import GraphFailure, method_not_allowed
from ..spec import TypeSpec
from ..store import TenantStore, new_id

SECRETS = "secrets/omaSettings"
"""A tenant table outside the catalog: secretReferenceValueId -> {"id", "value"}."""
ENCRYPTED_TYPES = frozenset({"#microsoft.graph.omaSettingString", "#microsoft.graph.omaSettingStringXml"})
MASK = "****"
_SECRET_ARGUMENT = re.compile(r"^getOmaSettingPlainTextValue\(secretReferenceValueId='([^']*)'\)$")


class DeviceConfigurationFamily(Family):
    collections = ("deviceManagement/deviceConfigurations",)

    def on_create(self, ctx: Ctx, spec: TypeSpec, obj: dict[str, Any]) -> None:
        obj["supportsScopeTags"] = True
        if "omaSettings" in obj:
            obj["omaSettings"] = encrypt_settings(ctx.tenant, obj["omaSettings"], previous=None)

    def on_update(self, ctx: Ctx, spec: TypeSpec, stored: dict[str, Any], changes: dict[str, Any]) -> None:
        if "omaSettings" in changes:
            changes["omaSettings"] = encrypt_settings(
                ctx.tenant, changes["omaSettings"], previous=stored.get("omaSettings")
            )

    def actions(self) -> dict[str, ActionHandler]:
        return {"getOmaSettingPlainTextValue": plain_text_value}


def encrypt_settings(tenant: TenantStore, settings: Any, previous: Any) -> Any:
    """Store string values as secrets. A masked value that still names its existing secret keeps it
    (an unchanged setting sent back); any other value, `****` included, becomes the new secret."""
    if not isinstance(settings, list):
        return settings
    known = {item.get("secretReferenceValueId") for item in previous or [] if isinstance(item, dict)}
    result = []
    for item in settings:
        if not isinstance(item, dict) or item.get("@odata.type") not in ENCRYPTED_TYPES:
            result.append(item)
            continue
        reference = item.get("secretReferenceValueId")
        if item.get("value") == MASK and reference in known:
            result.append(item)
            continue
        result.append(encrypt(tenant, item))
    return result


def encrypt(tenant: TenantStore, item: dict[str, Any]) -> dict[str, Any]:
    secret_id = new_id()
    tenant.table(SECRETS)[secret_id] = {"id": secret_id, "value": item.get("value")}
    return {**item, "value": MASK, "isEncrypted": True, "secretReferenceValueId": secret_id}


def plain_text_value(ctx: Ctx, spec: TypeSpec, obj: dict[str, Any], rest: list[str]) -> GraphResponse:
    if ctx.request.method != "GET" or len(rest) != 1:
        raise method_not_allowed(ctx.request.method)
    match = _SECRET_ARGUMENT.match(rest[0])
    secret_id = match.group(1) if match else ""
    owned = any(
        isinstance(item, dict) and item.get("secretReferenceValueId") == secret_id
        for item in obj.get("omaSettings") or []
    )
    secret = ctx.tenant.get(SECRETS, secret_id) if owned else None
    if secret is None:
        raise GraphFailure(404, "ResourceNotFound", f"Secret '{secret_id}' was not found.", intune=True)
    return GraphResponse(200, {"@odata.context": ctx.context("Edm.String"), "value": secret["value"]})
