"""Conditional access and what its policies refer to, with Entra's validation: named locations
(IP ranges or countries), authentication strengths (built-ins read-only; method combinations
changed only through `updateAllowedCombinations`), authentication contexts (IDs `c1`..`c99` chosen
by the client), and policies whose named locations, strengths and contexts must exist. A policy's
`grantControls.authenticationStrength` is answered expanded, as Entra answers it."""

from __future__ import annotations

import copy
import ipaddress
import re
from typing import Any

from local.graphsim.contract import GraphResponse

from ..context import ActionHandler, Ctx, Family
from ..crud import touch
from ..errors import GraphFailure, method_not_allowed
from ..spec import TypeSpec
from ..validation import require_object

CA = "identity/conditionalAccess/"
POLICIES = CA + "policies"
LOCATIONS = CA + "namedLocations"
CONTEXTS = CA + "authenticationContextClassReferences"
STRENGTHS = "policies/authenticationStrengthPolicies"
LOCATION_KEYWORDS = frozenset({"All", "AllTrusted"})
CONTEXT_ID = re.compile(r"^c([1-9]|[1-9][0-9])$")
COMBINATIONS = frozenset(
    {
        "windowsHelloForBusiness",
        "fido2",
        "x509CertificateMultiFactor",
        "x509CertificateSingleFactor",
        "deviceBasedPush",
        "temporaryAccessPassOneTime",
        "temporaryAccessPassMultiUse",
        "password,microsoftAuthenticatorPush",
        "password,softwareOath",
        "password,hardwareOath",
        "password,sms",
        "password,voice",
        "federatedMultiFactor",
        "federatedSingleFactor",
        "microsoftAuthenticatorPush,federatedSingleFactor",
        "softwareOath,federatedSingleFactor",
        "hardwareOath,federatedSingleFactor",
        "sms,federatedSingleFactor",
        "voice,federatedSingleFactor",
        "sms",
    }
)
"""The authentication method combinations Entra accepts in `allowedCombinations`."""
STRENGTH_FIELDS = (
    "id",
    "createdDateTime",
    "modifiedDateTime",
    "displayName",
    "description",
    "policyType",
    "requirementsSatisfied",
    "allowedCombinations",
)
"""What a policy's expanded `authenticationStrength` holds."""


def bad_request(message: str) -> GraphFailure:
    return GraphFailure(400, "BadRequest", message)


class ConditionalAccessFamily(Family):
    collections = (POLICIES,)

    def on_create(self, ctx: Ctx, spec: TypeSpec, obj: dict[str, Any]) -> None:
        check_policy(ctx, obj)

    def on_update(self, ctx: Ctx, spec: TypeSpec, stored: dict[str, Any], changes: dict[str, Any]) -> None:
        merged = {**stored, **copy.deepcopy(changes)}
        check_policy(ctx, merged)
        for key in ("grantControls",):
            if key in changes:
                changes[key] = merged[key]


def check_policy(ctx: Ctx, policy: dict[str, Any]) -> None:
    """Every named location, strength and context the policy names must exist; a strength is stored
    expanded (Entra answers it so) and cannot go with the `mfa` control."""
    conditions = policy.get("conditions") or {}
    locations = conditions.get("locations") or {}
    for key in ("includeLocations", "excludeLocations"):
        unknown = [
            value
            for value in locations.get(key) or []
            if value not in LOCATION_KEYWORDS and ctx.tenant.get(LOCATIONS, str(value)) is None
        ]
        if unknown:
            raise bad_request(
                f"1037: The policy contains invalid named location IDs in {key}: {', '.join(unknown)}."
            )
    contexts = (conditions.get("applications") or {}).get("includeAuthenticationContextClassReferences") or []
    unknown = [value for value in contexts if ctx.tenant.get(CONTEXTS, str(value)) is None]
    if unknown:
        raise bad_request(
            f"The policy names authentication contexts that do not exist: {', '.join(unknown)}."
        )
    grant = policy.get("grantControls")
    if not isinstance(grant, dict) or grant.get("authenticationStrength") is None:
        return
    strength = grant["authenticationStrength"]
    stored = ctx.tenant.get(STRENGTHS, str(strength.get("id") if isinstance(strength, dict) else None))
    if stored is None:
        raise bad_request("The authentication strength the policy names does not exist.")
    if "mfa" in (grant.get("builtInControls") or []):
        raise bad_request("authenticationStrength and the mfa built-in control cannot be used together.")
    grant["authenticationStrength"] = {key: copy.deepcopy(stored.get(key)) for key in STRENGTH_FIELDS}


class NamedLocationFamily(Family):
    collections = (LOCATIONS,)

    def on_create(self, ctx: Ctx, spec: TypeSpec, obj: dict[str, Any]) -> None:
        check_location(obj)

    def on_update(self, ctx: Ctx, spec: TypeSpec, stored: dict[str, Any], changes: dict[str, Any]) -> None:
        if "@odata.type" not in changes:
            raise bad_request("An update of a named location must name its @odata.type.")
        check_location({**stored, **changes})

    def on_delete(self, ctx: Ctx, spec: TypeSpec, stored: dict[str, Any]) -> None:
        for policy in ctx.tenant.table(POLICIES).values():
            locations = (policy.get("conditions") or {}).get("locations") or {}
            if stored["id"] in [
                *(locations.get("includeLocations") or []),
                *(locations.get("excludeLocations") or []),
            ]:
                raise bad_request(
                    f"The named location is used by conditional access policy '{policy.get('displayName')}'."
                )


def check_location(obj: dict[str, Any]) -> None:
    if obj.get("@odata.type") == "#microsoft.graph.ipNamedLocation":
        ranges = obj.get("ipRanges")
        if not isinstance(ranges, list) or not ranges:
            raise bad_request("An IP named location needs at least one entry in ipRanges.")
        for item in ranges:
            try:
                ipaddress.ip_network(str((item or {}).get("cidrAddress")), strict=False)
            except ValueError as exc:
                raise bad_request(f"ipRanges holds an invalid CIDR address: {exc}.") from None
    else:
        countries = obj.get("countriesAndRegions")
        if not isinstance(countries, list) or not countries:
            raise bad_request("A country named location needs at least one entry in countriesAndRegions.")
        if not all(isinstance(code, str) and re.fullmatch(r"[A-Z]{2}", code) for code in countries):
            raise bad_request("countriesAndRegions holds a value that is not a two-letter country code.")


class AuthenticationStrengthFamily(Family):
    collections = (STRENGTHS,)

    def on_create(self, ctx: Ctx, spec: TypeSpec, obj: dict[str, Any]) -> None:
        check_combinations(obj.get("allowedCombinations"))
        obj["policyType"] = "custom"
        obj["requirementsSatisfied"] = "mfa"

    def on_update(self, ctx: Ctx, spec: TypeSpec, stored: dict[str, Any], changes: dict[str, Any]) -> None:
        refuse_built_in(stored)
        if "allowedCombinations" in changes:
            raise bad_request(
                "allowedCombinations cannot be changed with PATCH; use updateAllowedCombinations."
            )

    def on_delete(self, ctx: Ctx, spec: TypeSpec, stored: dict[str, Any]) -> None:
        refuse_built_in(stored)

    def actions(self) -> dict[str, ActionHandler]:
        return {"updateAllowedCombinations": update_allowed_combinations}


def update_allowed_combinations(
    ctx: Ctx, spec: TypeSpec, obj: dict[str, Any], rest: list[str]
) -> GraphResponse:
    if ctx.request.method != "POST" or len(rest) != 1:
        raise method_not_allowed(ctx.request.method)
    refuse_built_in(obj)
    combinations = require_object(ctx.request.body).get("allowedCombinations")
    allowed = check_combinations(combinations)
    previous = list(obj.get("allowedCombinations") or [])
    obj["allowedCombinations"] = allowed
    touch(spec, obj)
    return GraphResponse(
        200,
        {
            "@odata.context": ctx.context("microsoft.graph.updateAllowedCombinationsResult"),
            "previousCombinations": previous,
            "currentCombinations": obj["allowedCombinations"],
        },
    )


def check_combinations(value: Any) -> list[str]:
    """The combinations, if every one is one Entra knows and there is at least one."""
    if not isinstance(value, list) or not value:
        raise bad_request("allowedCombinations must hold at least one authentication method combination.")
    unknown = [item for item in value if item not in COMBINATIONS]
    if unknown:
        raise bad_request(f"allowedCombinations holds unknown combinations: {', '.join(map(str, unknown))}.")
    return [str(item) for item in value]


def refuse_built_in(stored: dict[str, Any]) -> None:
    if stored.get("policyType") == "builtIn":
        raise bad_request("Built-in authentication strengths cannot be changed or deleted.")


class AuthenticationContextFamily(Family):
    collections = (CONTEXTS,)

    def new_id(self, ctx: Ctx, spec: TypeSpec, obj: dict[str, Any]) -> str | None:
        chosen = obj.get("id")
        if not isinstance(chosen, str) or not CONTEXT_ID.match(chosen):
            raise bad_request("An authentication context's id must be one of c1 to c99.")
        if ctx.tenant.get(spec.collection, chosen) is not None:
            raise GraphFailure(
                409, "Conflict", f"An authentication context with id '{chosen}' already exists."
            )
        return chosen

    def on_create(self, ctx: Ctx, spec: TypeSpec, obj: dict[str, Any]) -> None:
        obj.setdefault("isAvailable", False)
