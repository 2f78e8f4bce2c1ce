"""Validation of callers' bearer tokens: signature (RS256 only), issuer, audience, exp and nbf.

The algorithm is pinned before any key is chosen, so `alg: none` and HS256-with-the-public-key
tokens fail without touching the key. Signature is checked before claims: a forged token is
`auth.invalid_token` whatever it claims.

This is the one guard for tokens: whatever the Authorization header holds (text that is no JWT,
bytes that were not UTF-8, a header whose `kid` is a number, a signed claim of the wrong type),
the answer is an `Unauthenticated` problem (401), never an exception of the JWT library or Python.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import jwt

from shared.auth.errors import (
    InvalidToken,
    MissingToken,
    TokenExpired,
    TokenNotYetValid,
    WrongAudience,
    WrongIssuer,
)
from shared.auth.jwks import SIGNING_ALGORITHM, JwksCache
from shared.auth.principal import Principal, principal_from_claims
from shared.config.settings import AuthSettings

_REQUIRED_CLAIMS = ["exp", "iss", "aud"]
_MAX_TOKEN_CHARS = 16_384
_COMPACT_JWT = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*")
"""Three base64url parts, ASCII only; the signature may be empty (`alg: none`, refused further on)."""


def bearer_token(authorization: str | None) -> str:
    """The token of an `Authorization: Bearer <token>` header value."""
    if not authorization or not authorization.strip():
        raise MissingToken("Send `Authorization: Bearer <token>` with a token for this API.")
    scheme, _, token = authorization.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise InvalidToken("The Authorization header must use the Bearer scheme: `Bearer <token>`.")
    return token.strip()


class TokenValidator:
    """Turns a bearer token into a Principal, or raises an Unauthenticated subclass."""

    def __init__(self, settings: AuthSettings, keys: JwksCache) -> None:
        self._settings = settings
        self._keys = keys

    def validate(self, token: str) -> Principal:
        return principal_from_claims(self.claims(token))

    def claims(self, token: str) -> Mapping[str, Any]:
        """The verified claims of `token`."""
        if len(token) > _MAX_TOKEN_CHARS:
            raise InvalidToken("The token is too long to be an access token.")
        if not _COMPACT_JWT.fullmatch(token):
            raise InvalidToken("The token is not a JWT: three base64url parts separated by dots.")
        try:
            header = jwt.get_unverified_header(token)
        except jwt.InvalidTokenError:  # not decodable, or a header PyJWT refuses (a `kid` that is no string)
            raise InvalidToken("The token is not a well-formed JWT.") from None
        if header.get("alg") != SIGNING_ALGORITHM:
            raise InvalidToken(f"Tokens must be signed with {SIGNING_ALGORITHM}.")
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise InvalidToken("The token header names no signing key (kid).")
        key = self._keys.get(kid)
        if key is None:
            raise InvalidToken("The token is signed with a key the issuer does not publish.")
        return self._decode(token, key)

    def _decode(self, token: str, key: Any) -> Mapping[str, Any]:
        settings = self._settings
        try:
            claims: Mapping[str, Any] = jwt.decode(
                token,
                key,
                algorithms=[SIGNING_ALGORITHM],
                audience=list(settings.audiences),
                issuer=list(settings.issuers),
                leeway=settings.clock_skew_seconds,
                options={"require": _REQUIRED_CLAIMS, "verify_signature": True},
            )
        except jwt.ExpiredSignatureError:
            raise TokenExpired("Get a new token and retry.") from None
        except jwt.ImmatureSignatureError:
            raise TokenNotYetValid("The token's nbf or iat lies in the future; check the clock.") from None
        except jwt.InvalidAudienceError:
            raise WrongAudience(f"Request a token for {settings.audiences[0]}.") from None
        except jwt.InvalidIssuerError:
            raise WrongIssuer("The token's tenant is not allowed to call this API.") from None
        except jwt.InvalidSignatureError:
            raise InvalidToken("The token signature does not verify.") from None
        except jwt.MissingRequiredClaimError as exc:
            raise InvalidToken(f"The token has no {exc.claim} claim.") from None
        except jwt.InvalidTokenError:
            raise InvalidToken("The token is not valid.") from None
        return claims
