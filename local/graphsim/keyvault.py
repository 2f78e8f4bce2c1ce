"""A Key Vault data-plane subset at graphsim's base URL: secrets, certificates (with their secret) and
versions, behind Key Vault's challenge authentication.

Unmodified `azure-keyvault-secrets` and `azure-keyvault-certificates` talk to it: a request without
a token gets Key Vault's 401 with `WWW-Authenticate: Bearer authorization=..., resource=...`, the
client asks its credential (a managed identity) for that resource and sends the request again. A
certificate's private key is its secret of the same name and version, as in Key Vault: PEM
(`application/x-pem-file`) or base64 PKCS#12 (`application/x-pkcs12`), per the import policy.

Because the vault answers on a loopback address, a client must pass `verify_challenge_resource=False`
(Key Vault clients check that the vault's host is a subdomain of the challenge's resource, which an
IP address never is).
"""

from __future__ import annotations

import base64
import json
import time
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import jwt
from aiohttp import web
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes
from cryptography.hazmat.primitives.serialization import pkcs12

from local.graphsim.identity import IDENTITY_ISSUER, MSP_TENANT_ID
from local.graphsim.requestlog import LogEntry

if TYPE_CHECKING:
    from local.graphsim.simulator import Simulator

VAULT_RESOURCE = "https://vault.azure.net"
"""The resource Key Vault's challenge names: what a client asks its credential for."""
PEM_CONTENT_TYPE = "application/x-pem-file"
PKCS12_CONTENT_TYPE = "application/x-pkcs12"
_MAX_VALUE_CHARS = 25 * 1024
"""Key Vault's limit on a secret's value."""


@dataclass(frozen=True)
class SecretVersion:
    version: str
    value: str
    content_type: str | None
    created: int
    enabled: bool = True
    managed: bool = False
    """A certificate's secret: written by importing the certificate, not by set_secret."""
    tags: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class CertificateVersion:
    version: str
    der: bytes
    content_type: str
    created: int


@dataclass
class Vault:
    """Secrets and certificates by name, each a list of versions (latest last)."""

    secrets: dict[str, list[SecretVersion]] = field(default_factory=dict)
    certificates: dict[str, list[CertificateVersion]] = field(default_factory=dict)
    deleted_secrets: dict[str, tuple[SecretVersion, int]] = field(default_factory=dict)
    """Soft-deleted secrets: the latest version and when it was deleted (the vault's soft delete)."""


class VaultError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


class KeyVaultHandlers:
    """aiohttp handlers for `/secrets/...` and `/certificates/...` on graphsim's base URL."""

    def __init__(self, sim: Simulator) -> None:
        self.sim = sim

    def routes(self) -> list[web.RouteDef]:
        return [
            web.get("/secrets/{name}/versions", self._guarded(self.list_secret_versions)),
            web.put("/secrets/{name}", self._guarded(self.set_secret)),
            web.get("/secrets/{name}", self._guarded(self.get_secret)),
            web.get("/secrets/{name}/{version:[^/]*}", self._guarded(self.get_secret)),
            web.delete("/secrets/{name}", self._guarded(self.delete_secret)),
            web.get("/deletedsecrets/{name}", self._guarded(self.get_deleted_secret)),
            web.post("/certificates/{name}/import", self._guarded(self.import_certificate)),
            web.get("/certificates/{name}/versions", self._guarded(self.list_certificate_versions)),
            web.get("/certificates/{name}", self._guarded(self.get_certificate)),
            web.get("/certificates/{name}/{version:[^/]*}", self._guarded(self.get_certificate)),
        ]

    def _guarded(self, handler: Any) -> Any:
        async def guarded(request: web.Request) -> web.Response:
            base = f"https://{request.host}"
            caller: str | None = None
            try:
                caller = self._authenticate(request)
                response: web.Response = await handler(request, base)
            except VaultError as exc:
                self._log(request, caller, exc.status)
                response = web.json_response(
                    {"error": {"code": exc.code, "message": exc.message}}, status=exc.status
                )
                if exc.status == 401:
                    response.headers["WWW-Authenticate"] = (
                        f'Bearer authorization="{base}/{MSP_TENANT_ID}", resource="{VAULT_RESOURCE}"'
                    )
                return response
            self._log(request, caller, response.status)
            return response

        return guarded

    def _authenticate(self, request: web.Request) -> str:
        """The managed identity (client ID) behind the bearer token, or Key Vault's 401 challenge."""
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise VaultError(401, "Unauthorized", "AKV10000: Request is missing a Bearer or PoP token.")
        try:
            claims = self.sim.tokens.decode_own(token, [VAULT_RESOURCE, VAULT_RESOURCE + "/"])
        except jwt.InvalidTokenError as exc:
            raise VaultError(401, "Unauthorized", f"AKV10032: Invalid token: {exc}.") from None
        if claims.get("iss") != IDENTITY_ISSUER:
            raise VaultError(401, "Unauthorized", "AKV10032: Invalid issuer.")
        return str(claims.get("appid") or claims.get("azp") or "")

    async def set_secret(self, request: web.Request, base: str) -> web.Response:
        name = _name(request)
        body = await _json_body(request)
        value = body.get("value")
        if not isinstance(value, str) or len(value) > _MAX_VALUE_CHARS:
            raise VaultError(
                400, "BadParameter", f"'value' must be a string of up to {_MAX_VALUE_CHARS} characters."
            )
        content_type = body.get("contentType")
        tags = body.get("tags") or {}
        if (content_type is not None and not isinstance(content_type, str)) or not isinstance(tags, dict):
            raise VaultError(400, "BadParameter", "'contentType' must be a string and 'tags' an object.")
        vault = self.sim.vault
        if name in vault.certificates:
            raise VaultError(
                409, "Conflict", f"Secret {name} is managed by a certificate; import the certificate."
            )
        version = SecretVersion(_new_version(), value, content_type, int(time.time()), tags=dict(tags))
        vault.secrets.setdefault(name, []).append(version)
        return web.json_response(_secret_bundle(base, name, version))

    async def get_secret(self, request: web.Request, base: str) -> web.Response:
        name = _name(request)
        version = _version_of(self.sim.vault.secrets.get(name), request.match_info.get("version", ""))
        if version is None:
            raise VaultError(
                404, "SecretNotFound", f"A secret with (name/id) {name} was not found in this key vault."
            )
        return web.json_response(_secret_bundle(base, name, version))

    async def delete_secret(self, request: web.Request, base: str) -> web.Response:
        """Soft delete: every version goes, the latest is kept as the deleted secret."""
        name = _name(request)
        vault = self.sim.vault
        if name in vault.certificates:
            raise VaultError(
                403, "Forbidden", f"Secret {name} is managed by a certificate; delete the certificate."
            )
        versions = vault.secrets.pop(name, None)
        if not versions:
            raise VaultError(
                404, "SecretNotFound", f"A secret with (name/id) {name} was not found in this key vault."
            )
        vault.deleted_secrets[name] = (versions[-1], int(time.time()))
        return web.json_response(_deleted_bundle(base, name, *vault.deleted_secrets[name]))

    async def get_deleted_secret(self, request: web.Request, base: str) -> web.Response:
        name = _name(request)
        deleted = self.sim.vault.deleted_secrets.get(name)
        if deleted is None:
            raise VaultError(404, "SecretNotFound", f"Deleted Secret not found: {name}")
        return web.json_response(_deleted_bundle(base, name, *deleted))

    async def list_secret_versions(self, request: web.Request, base: str) -> web.Response:
        name = _name(request)
        versions = self.sim.vault.secrets.get(name)
        if not versions:
            raise VaultError(
                404, "SecretNotFound", f"A secret with (name/id) {name} was not found in this key vault."
            )
        items = [
            {k: v for k, v in _secret_bundle(base, name, version).items() if k != "value"}
            for version in versions
        ]
        return web.json_response({"value": items, "nextLink": None})

    async def import_certificate(self, request: web.Request, base: str) -> web.Response:
        name = _name(request)
        body = await _json_body(request)
        encoded = body.get("value")
        if not isinstance(encoded, str):
            raise VaultError(400, "BadParameter", "'value' must be the base64 certificate (PFX or PEM).")
        policy = body.get("policy") or {}
        secret_props = policy.get("secret_props") or {} if isinstance(policy, dict) else {}
        try:
            raw = base64.b64decode(encoded, validate=True)
            key, certificate = _load(raw, body.get("pwd"), secret_props.get("contentType"))
        except ValueError as exc:
            raise VaultError(400, "BadParameter", f"The certificate could not be read: {exc}") from None
        content_type = secret_props.get("contentType") or (
            PEM_CONTENT_TYPE if raw.lstrip().startswith(b"-----") else PKCS12_CONTENT_TYPE
        )
        if content_type not in (PEM_CONTENT_TYPE, PKCS12_CONTENT_TYPE):
            raise VaultError(400, "BadParameter", f"Unsupported secret content type {content_type!r}.")
        vault = self.sim.vault
        if name in vault.secrets and name not in vault.certificates:
            raise VaultError(409, "Conflict", f"A secret named {name} exists and is not a certificate's.")
        now, version_id = int(time.time()), _new_version()
        der = certificate.public_bytes(serialization.Encoding.DER)
        cert_version = CertificateVersion(version_id, der, content_type, now)
        secret_value = _secret_value(key, certificate, content_type)
        vault.certificates.setdefault(name, []).append(cert_version)
        vault.secrets.setdefault(name, []).append(
            SecretVersion(version_id, secret_value, content_type, now, managed=True)
        )
        return web.json_response(_certificate_bundle(base, name, cert_version, with_policy=True))

    async def get_certificate(self, request: web.Request, base: str) -> web.Response:
        name = _name(request)
        requested = request.match_info.get("version", "")
        version = _version_of(self.sim.vault.certificates.get(name), requested)
        if version is None:
            raise VaultError(
                404,
                "CertificateNotFound",
                f"A certificate with (name/id) {name} was not found in this key vault.",
            )
        return web.json_response(_certificate_bundle(base, name, version, with_policy=not requested))

    async def list_certificate_versions(self, request: web.Request, base: str) -> web.Response:
        name = _name(request)
        versions = self.sim.vault.certificates.get(name)
        if not versions:
            raise VaultError(
                404,
                "CertificateNotFound",
                f"A certificate with (name/id) {name} was not found in this key vault.",
            )
        items = [
            {
                "id": f"{base}/certificates/{name}/{version.version}",
                "x5t": _b64url(_sha1(version.der)),
                "attributes": _attributes(version.created),
            }
            for version in versions
        ]
        return web.json_response({"value": items, "nextLink": None})

    def _log(self, request: web.Request, caller: str | None, status: int) -> None:
        self.sim.log.record(
            LogEntry(
                time.time(),
                "keyvault",
                MSP_TENANT_ID,
                caller,
                request.method,
                request.path,
                status,
                False,
                None,
                False,
                str(uuid.uuid4()),
            )
        )


def _name(request: web.Request) -> str:
    name = request.match_info["name"]
    if not name or len(name) > 127 or not all(c.isalnum() or c == "-" for c in name):
        raise VaultError(400, "BadParameter", "Names are 1-127 letters, digits and dashes.")
    return name


def _version_of[V: (SecretVersion, CertificateVersion)](versions: list[V] | None, requested: str) -> V | None:
    if not versions:
        return None
    if not requested:
        return versions[-1]
    return next((version for version in versions if version.version == requested), None)


def _new_version() -> str:
    return uuid.uuid4().hex


async def _json_body(request: web.Request) -> dict[str, Any]:
    try:
        body = json.loads(await request.read() or b"{}")
    except ValueError:
        raise VaultError(400, "BadParameter", "The body is not valid JSON.") from None
    if not isinstance(body, dict):
        raise VaultError(400, "BadParameter", "The body must be a JSON object.")
    return body


def _load(raw: bytes, password: Any, content_type: Any) -> tuple[PrivateKeyTypes, x509.Certificate]:
    """The private key and leaf certificate of a PEM bundle or a PKCS#12 file."""
    if content_type == PEM_CONTENT_TYPE or raw.lstrip().startswith(b"-----"):
        key = serialization.load_pem_private_key(raw, password=None)
        return key, x509.load_pem_x509_certificates(raw)[0]
    secret = password.encode() if isinstance(password, str) and password else None
    loaded_key, certificate, _ = pkcs12.load_key_and_certificates(raw, secret)
    if loaded_key is None or certificate is None:
        raise ValueError("the PKCS#12 file holds no private key and certificate")
    return loaded_key, certificate


def _secret_value(key: PrivateKeyTypes, certificate: x509.Certificate, content_type: str) -> str:
    if content_type == PEM_CONTENT_TYPE:
        key_pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        return (key_pem + certificate.public_bytes(serialization.Encoding.PEM)).decode("ascii")
    pfx = pkcs12.serialize_key_and_certificates(
        None,
        key,  # type: ignore[arg-type]
        certificate,
        None,
        serialization.NoEncryption(),
    )
    return base64.b64encode(pfx).decode("ascii")


def _attributes(created: int, enabled: bool = True) -> dict[str, Any]:
    return {"enabled": enabled, "created": created, "updated": created, "recoveryLevel": "Recoverable"}


def _secret_bundle(base: str, name: str, version: SecretVersion) -> dict[str, Any]:
    bundle: dict[str, Any] = {
        "value": version.value,
        "id": f"{base}/secrets/{name}/{version.version}",
        "attributes": _attributes(version.created, version.enabled),
        "tags": version.tags,
    }
    if version.content_type is not None:
        bundle["contentType"] = version.content_type
    if version.managed:
        bundle.update(managed=True, kid=f"{base}/keys/{name}/{version.version}")
    return bundle


def _deleted_bundle(base: str, name: str, version: SecretVersion, deleted: int) -> dict[str, Any]:
    """A DeletedSecretBundle: the secret's attributes without its value, and where to recover it."""
    bundle = {k: v for k, v in _secret_bundle(base, name, version).items() if k != "value"}
    return {
        **bundle,
        "recoveryId": f"{base}/deletedsecrets/{name}",
        "deletedDate": deleted,
        "scheduledPurgeDate": deleted + 90 * 86400,
    }


def _certificate_bundle(
    base: str, name: str, version: CertificateVersion, *, with_policy: bool
) -> dict[str, Any]:
    bundle: dict[str, Any] = {
        "id": f"{base}/certificates/{name}/{version.version}",
        "kid": f"{base}/keys/{name}/{version.version}",
        "sid": f"{base}/secrets/{name}/{version.version}",
        "x5t": _b64url(_sha1(version.der)),
        "cer": base64.b64encode(version.der).decode("ascii"),
        "attributes": _attributes(version.created),
        "tags": {},
    }
    if with_policy:
        bundle["policy"] = {
            "id": f"{base}/certificates/{name}/policy",
            "secret_props": {"contentType": version.content_type},
            "key_props": {"exportable": True, "kty": "RSA", "key_size": 2048, "reuse_key": False},
            "x509_props": {"subject": x509.load_der_x509_certificate(version.der).subject.rfc4514_string()},
            "issuer": {"name": "Unknown"},
            "attributes": _attributes(version.created),
        }
    return bundle


def _sha1(der: bytes) -> bytes:
    digest = hashes.Hash(hashes.SHA1())  # noqa: S303 - x5t is defined as the SHA-1 thumbprint
    digest.update(der)
    return digest.finalize()


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
