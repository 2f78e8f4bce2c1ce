"""Dev tokens: the signing key, its JWKS and Entra-shaped tokens for demo principals, for local runs only.

The app validates them with the same code as Entra's tokens (`shared.auth.tokens`); only the JWKS comes
from a file, and only with `TENANTATLAS_AUTH_DEV_MODE`, which settings refuse outside
`TENANTATLAS_ENVIRONMENT=local`. The key lives under the ignored state folder, generated on first use.
Used by the local command line (`local/tokens.py`), the tests, and the console's dev sign-in
(docs/console.md#sign-in), which mints through this module so a browser holds the same kind of token.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from shared.config.settings import (
    DEV_AUDIENCE,
    DEV_AUTH_FOLDER,
    DEV_ISSUER,
    DEV_JWKS_FILE,
    DEV_SIGNING_KEY_FILE,
    AuthSettings,
)
from shared.http.problems import ProblemError

DEV_TENANT_ID = str(uuid.uuid5(uuid.NAMESPACE_URL, DEV_ISSUER))
"""The `tid` of dev tokens: stable, so demo data can refer to it."""
_DEMO_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://tenantatlas.invalid/demo-principals")


def demo_object_id(principal_name: str) -> str:
    """A stable object ID for a demo principal name, so `grant` and `mint` agree without a directory."""
    return str(uuid.uuid5(_DEMO_NAMESPACE, principal_name.strip().lower()))


def demo_app_id(app_name: str) -> str:
    """A stable client ID for a demo application name."""
    return demo_object_id("app:" + app_name)


@dataclass(frozen=True)
class DevSigningKey:
    private_key: rsa.RSAPrivateKey
    kid: str


def ensure_dev_signing_key(auth_dir: Path) -> DevSigningKey:
    """The dev key in `auth_dir`, generated (with its JWKS) the first time."""
    key_file = auth_dir / DEV_SIGNING_KEY_FILE
    if key_file.exists():
        private_key = serialization.load_pem_private_key(key_file.read_bytes(), password=None)
        if not isinstance(private_key, rsa.RSAPrivateKey):
            raise SystemExit(f"{key_file} is not an RSA key; delete it to generate a new one.")
    else:
        auth_dir.mkdir(parents=True, exist_ok=True)
        private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem = private_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        descriptor = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as out:
            out.write(pem)
    kid = _thumbprint(private_key.public_key())
    write_jwks(auth_dir / DEV_JWKS_FILE, [(kid, private_key.public_key())])
    return DevSigningKey(private_key, kid)


def write_jwks(path: Path, keys: list[tuple[str, rsa.RSAPublicKey]]) -> None:
    """A JWKS document as Entra publishes one (RS256 signature keys by kid)."""
    entries = []
    for kid, public_key in keys:
        entry = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(public_key))
        entries.append({**entry, "kid": kid, "use": "sig", "alg": "RS256"})
    path.write_text(json.dumps({"keys": entries}, indent=2), encoding="utf-8")


def _thumbprint(public_key: rsa.RSAPublicKey) -> str:
    """RFC 7638 JWK thumbprint: a kid that changes when the key does."""
    numbers = public_key.public_numbers()

    def b64(value: int) -> str:
        raw = value.to_bytes((value.bit_length() + 7) // 8, "big")
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")

    canonical = json.dumps({"e": b64(numbers.e), "kty": "RSA", "n": b64(numbers.n)}, separators=(",", ":"))
    return base64.urlsafe_b64encode(hashlib.sha256(canonical.encode()).digest()).rstrip(b"=").decode("ascii")


def mint_token(
    key: DevSigningKey,
    *,
    principal_name: str,
    object_id: str | None = None,
    app_id: str | None = None,
    is_app: bool = False,
    audience: str = DEV_AUDIENCE,
    issuer: str = DEV_ISSUER,
    tenant_id: str = DEV_TENANT_ID,
    expires_in: int = 3600,
    not_before_in: int = 0,
    extra_claims: Mapping[str, Any] | None = None,
) -> str:
    """An Entra-shaped v2 access token: a user token (`scp`, `oid`) or an app token (`roles`, `azp`)."""
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": issuer,
        "aud": audience,
        "tid": tenant_id,
        "iat": now,
        "nbf": now + not_before_in,
        "exp": now + expires_in,
        "ver": "2.0",
        "oid": object_id or demo_object_id(principal_name),
    }
    if is_app:
        claims.update(azp=app_id or demo_app_id(principal_name), idtyp="app", roles=["Api.Access"])
        claims["app_displayname"] = principal_name
    else:
        claims.update(azp=str(uuid.uuid5(uuid.NAMESPACE_URL, "tenantatlas-portal")), scp="access_as_user")
        claims.update(preferred_username=principal_name, name=principal_name)
    claims.update(extra_claims or {})
    return jwt.encode(claims, key.private_key, algorithm="RS256", headers={"kid": key.kid, "typ": "JWT"})


DEV_SIGN_IN_SECONDS = 8 * 3600
"""A working day: the console signs in again after it, as it would when an Entra session ends."""
_PRINCIPAL_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@+-]{0,127}$")


class DevSignInOff(ProblemError):
    """Dev sign-in exists only where dev tokens are trusted; elsewhere it is a route like any unknown one."""

    status = 404
    code = "console.dev_sign_in_off"
    title = "Dev sign-in is off: this app accepts Entra tokens only."


class InvalidDevPrincipal(ProblemError):
    status = 400
    code = "console.invalid_principal"
    title = "The principal name is not one a demo principal can have."


def load_dev_signing_key(auth_dir: Path) -> DevSigningKey:
    """The existing dev key (no JWKS is written: the running app reads that file)."""
    key_file = auth_dir / DEV_SIGNING_KEY_FILE
    try:
        private_key = serialization.load_pem_private_key(key_file.read_bytes(), password=None)
    except (OSError, ValueError) as error:
        raise DevSignInOff(f"No dev signing key could be read ({type(error).__name__}); run "
                           "`python -m local.tokens init` with this app's state folder.") from None
    if not isinstance(private_key, rsa.RSAPrivateKey):
        raise DevSignInOff("The dev signing key is not an RSA key; delete it and run local.tokens init.")
    return DevSigningKey(private_key, _thumbprint(private_key.public_key()))


def dev_sign_in(auth: AuthSettings, state_dir: Path, principal_name: Any) -> dict[str, Any]:
    """A user token for a demo principal, minted as `local.tokens mint --principal NAME` does, so the
    console's dev sign-in goes through the same validation as every other caller."""
    if not auth.dev_mode:
        raise DevSignInOff("Sign in with Entra ID; dev sign-in works only with TENANTATLAS_AUTH_DEV_MODE.")
    if not isinstance(principal_name, str) or not _PRINCIPAL_NAME.match(principal_name.strip()):
        raise InvalidDevPrincipal("Send {\"principal\": NAME}: letters, digits and . _ @ + -, up to 128.")
    name = principal_name.strip()
    key = load_dev_signing_key(state_dir / DEV_AUTH_FOLDER)
    audience = auth.audiences[0]
    issuer = DEV_ISSUER if DEV_ISSUER in auth.issuers else auth.issuers[0]
    token = mint_token(key, principal_name=name, audience=audience, issuer=issuer,
                       expires_in=DEV_SIGN_IN_SECONDS)
    return {
        "accessToken": token,
        "expiresOn": int(time.time()) + DEV_SIGN_IN_SECONDS,
        "principal": f"user:{demo_object_id(name)}",
        "name": name,
    }
