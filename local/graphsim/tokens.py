"""Access tokens as Entra issues them for Graph (RS256 JWTs) and their validation on the Graph side.

Validation runs on every Graph request, so a token that passed once is cached by its string
until it expires: the RSA check is paid once per token, not once per request.
"""

from __future__ import annotations

import base64
import hashlib
import random
import time
import uuid
from dataclasses import dataclass
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

from local.graphsim.contract import Caller

GRAPH_AUDIENCE = "https://graph.microsoft.com"
_GRAPH_APP_ID = "00000003-0000-0000-c000-000000000000"
_CACHE_LIMIT = 50_000


class InvalidToken(Exception):
    """Graph rejects the bearer token; the message is what Graph says in its 401."""


@dataclass(frozen=True)
class IssuedToken:
    access_token: str
    expires_in: int


class TokenService:
    """Signs tokens with one RSA key per run (published as JWKS) and validates them for Graph."""

    def __init__(self) -> None:
        self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self._public_key = self._key.public_key()
        numbers = self._public_key.public_numbers()
        self.kid = _b64url(hashlib.sha256(_int_bytes(numbers.n)).digest()[:20])
        self.jwks: dict[str, Any] = {
            "keys": [
                {
                    "kty": "RSA",
                    "use": "sig",
                    "alg": "RS256",
                    "kid": self.kid,
                    "x5t": self.kid,
                    "n": _b64url(_int_bytes(numbers.n)),
                    "e": _b64url(_int_bytes(numbers.e)),
                }
            ]
        }
        self._cache: dict[str, tuple[Caller, float]] = {}
        self._rng = random.Random()

    def issue(
        self,
        tenant_id: str,
        client_id: str,
        app_name: str,
        roles: frozenset[str],
        lifetime_range: tuple[int, int],
        audience: str = GRAPH_AUDIENCE,
    ) -> IssuedToken:
        now = int(time.time())
        lifetime = self._rng.randint(*lifetime_range)
        claims: dict[str, Any] = {
            "aud": audience,
            "iss": f"https://sts.windows.net/{tenant_id}/",
            "iat": now,
            "nbf": now,
            "exp": now + lifetime,
            "app_displayname": app_name,
            "appid": client_id,
            "appidacr": "1",
            "idtyp": "app",
            "oid": str(uuid.uuid5(uuid.UUID(tenant_id), client_id)),
            "sub": str(uuid.uuid5(uuid.UUID(tenant_id), client_id)),
            "tid": tenant_id,
            "uti": _b64url(uuid.uuid4().bytes),
            "ver": "1.0",
        }
        if roles:
            claims["roles"] = sorted(roles)
        return IssuedToken(self.sign(claims), lifetime)

    def sign(self, claims: dict[str, Any]) -> str:
        """An RS256 JWT signed with this run's key, as Entra signs every token it issues."""
        return jwt.encode(claims, self._key, algorithm="RS256", headers={"kid": self.kid, "x5t": self.kid})

    def signed_here(self, token: str) -> bool:
        """True when `token` names this run's signing key (a token graphsim issued, or a forgery of one)."""
        try:
            return jwt.get_unverified_header(token).get("kid") == self.kid
        except jwt.DecodeError:
            return False

    def decode_own(self, token: str, audiences: list[str]) -> dict[str, Any]:
        """The claims of a token this run signed, checked for signature, audience and time; raises
        jwt.InvalidTokenError (or a subclass) otherwise."""
        claims: dict[str, Any] = jwt.decode(
            token,
            self._public_key,
            algorithms=["RS256"],
            audience=audiences,
            options={"require": ["exp", "iat", "iss", "sub", "aud"]},
            leeway=0,
        )
        return claims

    def validate(self, token: str, own_audience: str) -> Caller:
        """The caller a bearer token stands for, or InvalidToken with Graph's message.

        Graph accepts its public audience and, like a national cloud's Graph, its own base URL
        (`own_audience`): a client configured with graphsim's URL as its Graph endpoint asks for
        `{that URL}/.default`.
        """
        cached = self._cache.get(token)
        now = time.time()
        if cached is not None:
            if cached[1] > now:
                return cached[0]
            del self._cache[token]
            raise InvalidToken("Lifetime validation failed, the token is expired.")
        claims = self._decode(token, own_audience)
        tenant_id = claims.get("tid")
        if not isinstance(tenant_id, str) or claims.get("iss") != f"https://sts.windows.net/{tenant_id}/":
            raise InvalidToken("Access token validation failure. Invalid issuer.")
        roles = claims.get("roles")
        roles = frozenset(roles) if isinstance(roles, list) else frozenset()
        caller = Caller(tenant_id, str(claims.get("appid", "")), roles)
        if len(self._cache) >= _CACHE_LIMIT:
            self._cache = {t: entry for t, entry in self._cache.items() if entry[1] > now}
        self._cache[token] = (caller, float(claims["exp"]))
        return caller

    def _decode(self, token: str, own_audience: str) -> dict[str, Any]:
        try:
            return jwt.decode(
                token,
                self._public_key,
                algorithms=["RS256"],
                audience=[GRAPH_AUDIENCE, _GRAPH_APP_ID, own_audience],
                options={"require": ["exp", "iat", "nbf", "tid", "iss"]},
                leeway=0,
            )
        except jwt.ExpiredSignatureError:
            raise InvalidToken("Lifetime validation failed, the token is expired.") from None
        except jwt.InvalidAudienceError:
            raise InvalidToken("Access token validation failure. Invalid audience.") from None
        except jwt.InvalidSignatureError:
            raise InvalidToken("Access token validation failure. Signature validation failed.") from None
        except jwt.DecodeError:
            raise InvalidToken("Invalid JWT token. The token is malformed.") from None
        except jwt.InvalidTokenError as exc:
            raise InvalidToken(f"Access token validation failure. {exc}.") from None


def _int_bytes(value: int) -> bytes:
    return value.to_bytes((value.bit_length() + 7) // 8, "big")


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
