"""Who is calling, taken from a validated token's claims.

Users are keyed by `oid` (stable across renames, unlike the UPN); applications by their
client ID (`azp` in v2 tokens, `appid` in v1), because an MSP grants roles to an app
registration, not to its per-tenant service principal object. The token's `roles` (app roles of
the API's registration, e.g. the platform role `msp.admin`) and `groups` (Entra group object IDs,
mapped to tenant roles) come along; a token whose groups did not fit carries an overage claim
instead, which is remembered so a refusal can say why.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from shared.auth.errors import InvalidToken


class PrincipalKind(StrEnum):
    USER = "user"
    APP = "app"


@dataclass(frozen=True)
class Principal:
    kind: PrincipalKind
    id: str
    """`oid` of a user, client ID of an application (lower-case GUIDs)."""
    tenant_id: str | None
    """`tid`: the Entra tenant that issued the token."""
    display_name: str | None = None
    app_roles: frozenset[str] = frozenset()
    """App roles of the API's registration granted to the caller (`roles` claim)."""
    groups: frozenset[str] = frozenset()
    """Object IDs of the caller's Entra groups (`groups` claim), lower-case."""
    groups_overage: bool = False
    """The token says the caller is in too many groups to list (`_claim_names.groups` / `hasgroups`)."""

    @property
    def key(self) -> str:
        """How memberships, audit and run records name the principal, e.g. `user:<oid>`."""
        return f"{self.kind}:{self.id}"


def parse_principal_key(key: str) -> tuple[PrincipalKind, str]:
    """Split and check a principal key (`user:<guid>` or `app:<guid>`); raises ValueError otherwise."""
    kind, _, ident = key.partition(":")
    return PrincipalKind(kind), str(uuid.UUID(ident))


def principal_from_claims(claims: Mapping[str, Any]) -> Principal:
    """The principal of a validated token; a token naming nobody usable is an invalid token."""
    tenant_id = _guid(claims.get("tid"))
    roles = _strings(claims.get("roles"))
    groups = frozenset(g for g in map(_guid, _strings(claims.get("groups"))) if g is not None)
    overage = _has_groups_overage(claims)
    if _is_app_token(claims):
        app_id = _guid(claims.get("azp") or claims.get("appid"))
        if app_id is None:
            raise InvalidToken("The application token names no client ID (azp or appid).")
        name = _text(claims.get("app_displayname"))
        return Principal(PrincipalKind.APP, app_id, tenant_id, name, roles, groups, overage)
    oid = _guid(claims.get("oid"))
    if oid is None:
        raise InvalidToken("The user token has no object ID (oid) claim.")
    name = _text(claims.get("preferred_username")) or _text(claims.get("upn")) or _text(claims.get("name"))
    return Principal(PrincipalKind.USER, oid, tenant_id, name, roles, groups, overage)


_MAX_LISTED = 1000
"""More entries than Entra ever puts in `roles` or `groups` (200 groups at most): a bound, not a rule."""


def _strings(value: Any) -> frozenset[str]:
    if not isinstance(value, list):
        return frozenset()
    return frozenset(item for item in value[:_MAX_LISTED] if isinstance(item, str) and 0 < len(item) <= 256)


def _has_groups_overage(claims: Mapping[str, Any]) -> bool:
    names = claims.get("_claim_names")
    return (isinstance(names, Mapping) and "groups" in names) or claims.get("hasgroups") is True


def _is_app_token(claims: Mapping[str, Any]) -> bool:
    """`idtyp` says so when the optional claim is configured; otherwise app tokens carry no `scp`."""
    idtyp: object = claims.get("idtyp")
    if idtyp in ("app", "user"):
        return idtyp == "app"
    return "scp" not in claims


def _guid(value: Any) -> str | None:
    try:
        return str(uuid.UUID(value)) if isinstance(value, str) else None
    except ValueError:
        return None


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None
