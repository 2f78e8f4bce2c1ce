"""Graph credentials from where they live: a managed identity (federation) or the app's Key Vault.

One source per credential reference per worker (`source_for`), so what a source caches lives as long
as the worker: the managed identity's token (azure-identity's cache), a Key Vault certificate or
secret (ours). Values are held in memory only and registered with the redaction the moment they
are read.

Key Vault reads are cached for `refresh_seconds`; then one cheap call asks for the latest version
(`get_certificate` for a certificate: metadata only) and the private key is read again only when the
version changed. `refresh()` re-checks at once: the token provider calls it when Entra refuses the
credential, so a rotated certificate or secret is used without a restart. A vault that cannot be
read while a value is cached keeps the cached value (Entra still accepts it until it is rotated).
"""

from __future__ import annotations

import base64
import functools
import ipaddress
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from azure.core.credentials import TokenCredential
from azure.core.exceptions import (
    AzureError,
    ClientAuthenticationError,
    HttpResponseError,
    ResourceNotFoundError,
)

from shared.graph.config import ClientAssertion, ClientCertificate, ClientSecret, Credential, CredentialSource
from shared.graph.credentials import (
    CredentialSpec,
    FederatedCredentialSpec,
    GraphAppCredential,
    KeyVaultCertificateSpec,
    KeyVaultSecretSpec,
    certificate_from_pem,
)
from shared.graph.errors import GraphAuthError, GraphUnavailable
from shared.redact import register_secret_values

logger = logging.getLogger(__name__)

PEM_CONTENT_TYPE = "application/x-pem-file"
PKCS12_CONTENT_TYPE = "application/x-pkcs12"
_VAULT_RETRY_SECONDS = 5.0


@dataclass(frozen=True)
class IdentityConfig:
    """Which managed identity reads the vault, and the CA to trust (the local simulator's)."""

    client_id: str | None
    ca_bundle: str | None


@functools.cache
def managed_identity(client_id: str | None, ca_bundle: str | None) -> TokenCredential:
    """The worker's azure-identity credential of a managed identity (its token cache lives in it).

    On Azure Functions it reads IDENTITY_ENDPOINT and IDENTITY_HEADER, which the platform sets.
    """
    from azure.identity import ManagedIdentityCredential

    options: dict[str, Any] = {"connection_verify": ca_bundle} if ca_bundle else {}
    return ManagedIdentityCredential(client_id=client_id, **options)


class FederatedAssertion:
    """Workload identity federation: the managed identity's token for the exchange audience is the
    client assertion MSAL sends. azure-identity caches that token for most of its day-long life."""

    def __init__(self, spec: FederatedCredentialSpec, ca_bundle: str | None) -> None:
        self._identity = managed_identity(spec.managed_identity_client_id, ca_bundle)
        self._scope = spec.assertion_audience.rstrip("/") + "/.default"
        self.name = f"federated:{spec.managed_identity_client_id}:{spec.assertion_audience}"
        self._assertion = ClientAssertion(self._fetch, self.name)
        self._lock = threading.Lock()

    def current(self) -> Credential:
        return self._assertion

    def refresh(self) -> bool:
        return False

    def _fetch(self) -> str:
        with self._lock:  # token requests of many tenants at once need one identity token, not many
            token = self._identity.get_token(self._scope).token
        register_secret_values([token])
        return token


@dataclass(frozen=True)
class _Cached:
    version: str
    credential: Credential
    checked_at: float


class _VaultSource:
    """The cache and the refresh rule shared by the certificate and the secret source."""

    kind = "item"

    def __init__(
        self,
        vault_uri: str,
        item: str,
        refresh_seconds: int,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.name = f"key-vault-{self.kind}:{vault_uri.rstrip('/')}/{item}"
        self._vault_uri = vault_uri
        self._item = item
        self._refresh_seconds = refresh_seconds
        self._clock = clock
        self._cached: _Cached | None = None
        self._lock = threading.Lock()
        self.reads = 0
        """Key Vault calls made, for the measurements in bench/ and the tests."""

    def current(self) -> Credential:
        with self._lock:
            cached = self._cached
            if cached is not None and self._clock() - cached.checked_at < self._refresh_seconds:
                return cached.credential
            return self._check().credential

    def refresh(self) -> bool:
        with self._lock:
            before = self._cached.version if self._cached else None
            return self._check().version != before

    def _check(self) -> _Cached:
        """Ask the vault for the latest version; read the value only when it is new."""
        cached = self._cached
        try:
            version = self._latest_version()
            if cached is not None and cached.version == version:
                self._cached = _Cached(version, cached.credential, self._clock())
                return self._cached
            credential = self._read(version)
        except AzureError as exc:
            error = self._error(exc)
            if cached is not None and isinstance(error, GraphUnavailable):
                logger.warning(
                    "Key Vault unreadable (%s); using the cached %s", type(exc).__name__, self.name
                )
                return cached
            raise error from None
        logger.info("Read %s version %s from Key Vault", self.name, version)
        self._cached = _Cached(version, credential, self._clock())
        return self._cached

    def _latest_version(self) -> str:
        raise NotImplementedError

    def _read(self, version: str) -> Credential:
        raise NotImplementedError

    def _error(self, exc: AzureError) -> GraphAuthError | GraphUnavailable:
        where = f"the {self.kind} {self._item!r} in Key Vault {self._vault_uri}"
        if isinstance(exc, ResourceNotFoundError):
            return GraphAuthError(f"There is no {where}.", code="credential_not_found")
        status = exc.status_code if isinstance(exc, HttpResponseError) else None
        if isinstance(exc, ClientAuthenticationError) or status in (401, 403):
            return GraphAuthError(
                f"The app's managed identity may not read {where} (grant it Key Vault Secrets User and "
                "Key Vault Certificate User on the vault).",
                code="credential_forbidden",
            )
        return GraphUnavailable(
            f"Key Vault did not answer for {where} ({type(exc).__name__}).",
            retry_after=_VAULT_RETRY_SECONDS,
            code="credential_store_unavailable",
        )


class KeyVaultCertificate(_VaultSource):
    """A certificate in Key Vault: its latest version from the certificates API, its private key from
    the secret of the same name and version (PEM or PKCS#12, as the certificate's policy says)."""

    kind = "certificate"

    def __init__(self, clients: VaultClients, name: str, refresh_seconds: int, **kwargs: Any) -> None:
        super().__init__(clients.vault_uri, name, refresh_seconds, **kwargs)
        self._clients = clients

    def _latest_version(self) -> str:
        self.reads += 1
        properties = self._clients.certificates.get_certificate(self._item).properties
        if properties is None or not properties.version:
            raise ResourceNotFoundError(f"Certificate {self._item} has no version.")
        return str(properties.version)

    def _read(self, version: str) -> Credential:
        self.reads += 1
        secret = self._clients.secrets.get_secret(self._item, version)
        value = secret.value or ""
        try:
            credential = _certificate_from_secret(value, secret.properties.content_type)
        except ValueError as exc:
            raise GraphAuthError(
                f"The certificate {self._item!r} in Key Vault cannot be used: {exc}.",
                code="credential_invalid",
            ) from None
        register_secret_values([value.strip(), credential.private_key_pem.strip()])
        return credential


class KeyVaultSecret(_VaultSource):
    """A client secret kept as a Key Vault secret; its latest version is read when the cache is stale."""

    kind = "secret"

    def __init__(self, clients: VaultClients, name: str, refresh_seconds: int, **kwargs: Any) -> None:
        super().__init__(clients.vault_uri, name, refresh_seconds, **kwargs)
        self._clients = clients
        self._value: str | None = None

    def _latest_version(self) -> str:
        self.reads += 1
        secret = self._clients.secrets.get_secret(self._item)
        if not secret.value or not secret.properties.version:
            raise ResourceNotFoundError(f"Secret {self._item} has no value.")
        register_secret_values([secret.value])
        self._value = secret.value
        return str(secret.properties.version)

    def _read(self, version: str) -> Credential:
        assert self._value is not None
        return ClientSecret(self._value)


class VaultClients:
    """The worker's Key Vault clients of one vault, authenticated as the app's managed identity."""

    def __init__(self, vault_uri: str, identity: IdentityConfig) -> None:
        from azure.keyvault.certificates import CertificateClient
        from azure.keyvault.secrets import SecretClient

        credential = managed_identity(identity.client_id, identity.ca_bundle)
        options: dict[str, Any] = {
            # Key Vault clients check that the vault's host is a subdomain of the resource its challenge
            # names (vault.azure.net); a loopback vault (the local simulator's) has an IP address instead.
            "verify_challenge_resource": not _is_loopback(vault_uri),
        }
        if identity.ca_bundle:
            options["connection_verify"] = identity.ca_bundle
        self.vault_uri = vault_uri
        self.secrets = SecretClient(vault_uri, credential, **options)
        self.certificates = CertificateClient(vault_uri, credential, **options)


def _certificate_from_secret(value: str, content_type: str | None) -> ClientCertificate:
    if content_type == PKCS12_CONTENT_TYPE or not value.lstrip().startswith("-----"):
        return _certificate_from_pkcs12(value)
    return certificate_from_pem(value)


def _certificate_from_pkcs12(value: str) -> ClientCertificate:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.serialization import pkcs12

    try:
        key, certificate, _ = pkcs12.load_key_and_certificates(base64.b64decode(value), None)
    except ValueError as exc:
        raise ValueError(f"not a readable PKCS#12 file without a password ({exc})") from None
    if key is None or certificate is None:
        raise ValueError("the PKCS#12 file holds no private key and certificate")
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode("ascii")
    return certificate_from_pem(
        key_pem + certificate.public_bytes(serialization.Encoding.PEM).decode("ascii")
    )


def _is_loopback(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


_sources: dict[tuple[object, ...], CredentialSource] = {}
_vaults: dict[tuple[str, IdentityConfig], VaultClients] = {}
_sources_lock = threading.Lock()


def source_for(
    spec: CredentialSpec,
    *,
    vault_uri: str | None,
    identity: IdentityConfig,
    refresh_seconds: int,
) -> Credential | CredentialSource:
    """The worker's credential (or credential source) for a reference's spec; made on first use."""
    if isinstance(spec, GraphAppCredential):
        return spec.credential
    key = (spec, vault_uri, identity, refresh_seconds)
    with _sources_lock:
        source = _sources.get(key)
        if source is None:
            source = _sources[key] = _new_source(spec, vault_uri, identity, refresh_seconds)
        return source


def _new_source(
    spec: FederatedCredentialSpec | KeyVaultCertificateSpec | KeyVaultSecretSpec,
    vault_uri: str | None,
    identity: IdentityConfig,
    refresh_seconds: int,
) -> CredentialSource:
    if isinstance(spec, FederatedCredentialSpec):
        return FederatedAssertion(spec, identity.ca_bundle)
    assert vault_uri is not None, "settings require TENANTATLAS_KEY_VAULT_URI for a Key Vault credential"
    clients = _vaults.get((vault_uri, identity))
    if clients is None:
        clients = _vaults[(vault_uri, identity)] = VaultClients(vault_uri, identity)
    if isinstance(spec, KeyVaultCertificateSpec):
        return KeyVaultCertificate(clients, spec.certificate_name, refresh_seconds)
    return KeyVaultSecret(clients, spec.secret_name, refresh_seconds)
