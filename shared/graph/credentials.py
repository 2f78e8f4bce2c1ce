"""Graph app credentials: a tenant record holds a reference name, never the secret.

A reference names a group of GRAPH_CREDENTIAL__<NAME>__* settings that `shared.config.settings`
hands here: the app registration's client ID and where its credential comes from, best first:

- `MANAGED_IDENTITY_CLIENT_ID`: workload identity federation. The managed identity's token (for
  `ASSERTION_AUDIENCE`, `api://AzureADTokenExchange` by default) is the client assertion; the app
  registration has a federated credential for that identity. No secret exists anywhere.
- `KEY_VAULT_CERTIFICATE`: a certificate in the app's Key Vault (`TENANTATLAS_KEY_VAULT_URI`),
  its private key read with the app's managed identity.
- `KEY_VAULT_SECRET`: a client secret in that Key Vault.
- `CLIENT_SECRET` or `CERTIFICATE_PATH`: a secret or a PEM file given directly (local runs).

These are descriptions only; `shared.graph.credential_sources` turns them into credentials.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from shared.config.errors import ConfigurationError, MissingSetting
from shared.graph.config import ClientCertificate, ClientSecret

DEFAULT_ASSERTION_AUDIENCE = "api://AzureADTokenExchange"
"""The audience of a managed identity token exchanged for an app token (Entra's public cloud)."""


@dataclass(frozen=True)
class GraphAppCredential:
    """An app registration with a secret or certificate given in the settings; the secret never prints."""

    client_id: str
    credential: ClientSecret | ClientCertificate


@dataclass(frozen=True)
class FederatedCredentialSpec:
    """An app registration that trusts a managed identity (workload identity federation)."""

    client_id: str
    managed_identity_client_id: str
    assertion_audience: str = DEFAULT_ASSERTION_AUDIENCE


@dataclass(frozen=True)
class KeyVaultCertificateSpec:
    """An app registration whose certificate (with its private key) is in the app's Key Vault."""

    client_id: str
    certificate_name: str


@dataclass(frozen=True)
class KeyVaultSecretSpec:
    """An app registration whose client secret is a secret in the app's Key Vault."""

    client_id: str
    secret_name: str


CredentialSpec = GraphAppCredential | FederatedCredentialSpec | KeyVaultCertificateSpec | KeyVaultSecretSpec
KEY_VAULT_SPECS = (KeyVaultCertificateSpec, KeyVaultSecretSpec)


def credential_kind(spec: CredentialSpec) -> str:
    """What the API shows of a credential: its kind, never a value."""
    if isinstance(spec, FederatedCredentialSpec):
        return "federated"
    if isinstance(spec, KeyVaultCertificateSpec):
        return "key_vault_certificate"
    if isinstance(spec, KeyVaultSecretSpec):
        return "key_vault_secret"
    return "certificate" if isinstance(spec.credential, ClientCertificate) else "client_secret"


_CREDENTIAL_VAR = re.compile(r"GRAPH_CREDENTIAL__([A-Za-z0-9](?:[A-Za-z0-9-]|_(?!_))*)__([A-Z_]+)")
CREDENTIAL_REF = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
"""A credential reference: lower-case letters, digits and inner hyphens."""
_SOURCE_FIELDS = (
    "CLIENT_SECRET",
    "CERTIFICATE_PATH",
    "MANAGED_IDENTITY_CLIENT_ID",
    "KEY_VAULT_CERTIFICATE",
    "KEY_VAULT_SECRET",
)
_CREDENTIAL_FIELDS = ("CLIENT_ID", *_SOURCE_FIELDS, "ASSERTION_AUDIENCE")
_VAULT_NAME = re.compile(r"[A-Za-z0-9-]{1,127}")
_PRIVATE_KEY = re.compile(
    r"-----BEGIN (?:RSA |EC )?PRIVATE KEY-----.*?-----END (?:RSA |EC )?PRIVATE KEY-----", re.DOTALL
)


def load_credentials(
    environ: Mapping[str, str], read: Callable[[str], str | None]
) -> dict[str, CredentialSpec]:
    """GRAPH_CREDENTIAL__<NAME>__CLIENT_ID plus exactly one of the sources above; NAME is the reference a
    tenant record holds (`_` reads as `-`).

    `read` is the settings reader, so empty values and unresolved Key Vault references behave as
    for every other setting.
    """
    grouped: dict[str, dict[str, str]] = {}
    for name in sorted(environ):
        if not name.startswith("GRAPH_CREDENTIAL__"):
            continue
        match = _CREDENTIAL_VAR.fullmatch(name)
        if match is None or match.group(2) not in _CREDENTIAL_FIELDS:
            raise ConfigurationError(
                name, f"expected GRAPH_CREDENTIAL__<NAME>__<{'|'.join(_CREDENTIAL_FIELDS)}>."
            )
        value = read(name)
        if value is not None:
            grouped.setdefault(match.group(1).lower().replace("_", "-"), {})[match.group(2)] = value
    return {ref: _credential(ref, fields) for ref, fields in grouped.items()}


def _credential(ref: str, fields: Mapping[str, str]) -> CredentialSpec:
    prefix = f"GRAPH_CREDENTIAL__{ref.upper().replace('-', '_')}__"
    if not CREDENTIAL_REF.fullmatch(ref):
        raise ConfigurationError(prefix + "*", "the name must be letters, digits and single underscores.")
    if "CLIENT_ID" not in fields:
        raise MissingSetting(prefix + "CLIENT_ID", "the app registration's client ID.")
    client_id = fields["CLIENT_ID"]
    sources = [name for name in _SOURCE_FIELDS if name in fields]
    if len(sources) != 1:
        raise ConfigurationError(
            prefix + (sources[1] if sources[1:] else "MANAGED_IDENTITY_CLIENT_ID"),
            f"give exactly one of {', '.join(_SOURCE_FIELDS)}.",
        )
    source = sources[0]
    if "ASSERTION_AUDIENCE" in fields and source != "MANAGED_IDENTITY_CLIENT_ID":
        raise ConfigurationError(prefix + "ASSERTION_AUDIENCE", "only with MANAGED_IDENTITY_CLIENT_ID.")
    value = fields[source]
    if source == "MANAGED_IDENTITY_CLIENT_ID":
        return FederatedCredentialSpec(
            client_id,
            _guid(prefix + source, value),
            fields.get("ASSERTION_AUDIENCE", DEFAULT_ASSERTION_AUDIENCE),
        )
    if source in ("KEY_VAULT_CERTIFICATE", "KEY_VAULT_SECRET"):
        if not _VAULT_NAME.fullmatch(value):
            raise ConfigurationError(prefix + source, "a Key Vault name: 1-127 letters, digits and dashes.")
        if source == "KEY_VAULT_CERTIFICATE":
            return KeyVaultCertificateSpec(client_id, value)
        return KeyVaultSecretSpec(client_id, value)
    if source == "CLIENT_SECRET":
        return GraphAppCredential(client_id, ClientSecret(value))
    return GraphAppCredential(client_id, _certificate(prefix + source, value))


def _guid(setting: str, value: str) -> str:
    try:
        return str(uuid.UUID(value))
    except ValueError:
        raise ConfigurationError(
            setting, "the client ID (a GUID) of a user-assigned managed identity."
        ) from None


def _certificate(setting: str, path: str) -> ClientCertificate:
    try:
        pem = Path(path).read_text(encoding="ascii")
    except OSError as exc:
        raise ConfigurationError(setting, f"cannot read a PEM certificate at {path} ({exc}).") from exc
    try:
        return certificate_from_pem(pem)
    except ValueError as exc:
        raise ConfigurationError(setting, f"{path}: {exc}") from exc


def certificate_from_pem(pem: str) -> ClientCertificate:
    """The credential in a PEM bundle of an unencrypted private key and its certificate (leaf first);
    ValueError says what is missing."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.serialization import Encoding

    key = _PRIVATE_KEY.search(pem)
    if key is None:
        raise ValueError("no unencrypted PEM private key")
    try:
        certificate = x509.load_pem_x509_certificate(pem.encode("ascii"))
    except ValueError as exc:
        raise ValueError(f"no readable PEM certificate ({exc})") from None
    return ClientCertificate(
        private_key_pem=key.group(0),
        thumbprint=certificate.fingerprint(hashes.SHA1()).hex().upper(),  # noqa: S303 - the thumbprint Entra names
        public_certificate_pem=certificate.public_bytes(Encoding.PEM).decode("ascii"),
    )
