"""Who is calling, taken from a validated token's claims.

Users are keyed by `oid` (stable across renames, unlike the UPN); applications by their
client ID (`azp` in v2 tokens, `appid` in v1), because an MSP grants roles to an app
registration, not to its per-tenant service principal object.
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
    if _is_app_token(claims):
        app_id = _guid(claims.get("azp") or claims.get("appid"))
        if app_id is None:
            raise InvalidToken("The application token names no client ID (azp or appid).")
        return Principal(PrincipalKind.APP, app_id, tenant_id, _text(claims.get("app_displayname")))
    oid = _guid(claims.get("oid"))
    if oid is None:
        raise InvalidToken("The user token has no object ID (oid) claim.")
    name = _text(claims.get("preferred_username")) or _text(claims.get("upn")) or _text(claims.get("name"))
    return Principal(PrincipalKind.USER, oid, tenant_id, name)


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
