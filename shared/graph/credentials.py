"""Graph app credentials: a tenant record holds a reference name, never the secret.

In Azure the reference names two Key Vault secrets (`key_vault_secret_names`); in local runs
it names a group of GRAPH_CREDENTIAL__<NAME>__* variables that `shared.config.settings` hands here.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from shared.config.errors import ConfigurationError, MissingSetting
from shared.graph.config import ClientCertificate, ClientSecret, Credential


@dataclass(frozen=True)
class GraphAppCredential:
    """An app registration the app acts as in managed tenants; the secret part never prints."""

    client_id: str
    credential: Credential


def key_vault_secret_names(credential_ref: str) -> tuple[str, str]:
    """Key Vault secret names of a credential reference: (client ID, client secret or certificate)."""
    return f"graph-{credential_ref}-client-id", f"graph-{credential_ref}-credential"


_CREDENTIAL_VAR = re.compile(r"GRAPH_CREDENTIAL__([A-Za-z0-9](?:[A-Za-z0-9-]|_(?!_))*)__([A-Z_]+)")
CREDENTIAL_REF = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
"""A credential reference: also a valid part of a Key Vault secret name."""
_CREDENTIAL_FIELDS = ("CLIENT_ID", "CLIENT_SECRET", "CERTIFICATE_PATH")
_PRIVATE_KEY = re.compile(
    r"-----BEGIN (?:RSA |EC )?PRIVATE KEY-----.*?-----END (?:RSA |EC )?PRIVATE KEY-----", re.DOTALL
)


def load_local_credentials(
    environ: Mapping[str, str], read: Callable[[str], str | None]
) -> dict[str, GraphAppCredential]:
    """GRAPH_CREDENTIAL__<NAME>__CLIENT_ID plus __CLIENT_SECRET or __CERTIFICATE_PATH (a PEM file with
    the private key and the certificate); NAME is the reference a tenant record holds (`_` reads as `-`).

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
    return {ref: _local_credential(ref, fields) for ref, fields in grouped.items()}


def _local_credential(ref: str, fields: Mapping[str, str]) -> GraphAppCredential:
    prefix = f"GRAPH_CREDENTIAL__{ref.upper().replace('-', '_')}__"
    if not CREDENTIAL_REF.fullmatch(ref):
        raise ConfigurationError(prefix + "*", "the name must be letters, digits and single underscores.")
    if "CLIENT_ID" not in fields:
        raise MissingSetting(prefix + "CLIENT_ID", "the app registration's client ID.")
    if ("CLIENT_SECRET" in fields) == ("CERTIFICATE_PATH" in fields):
        raise ConfigurationError(prefix + "CLIENT_SECRET", "give one of CLIENT_SECRET or CERTIFICATE_PATH.")
    if "CLIENT_SECRET" in fields:
        return GraphAppCredential(fields["CLIENT_ID"], ClientSecret(fields["CLIENT_SECRET"]))
    certificate = _certificate(prefix + "CERTIFICATE_PATH", fields["CERTIFICATE_PATH"])
    return GraphAppCredential(fields["CLIENT_ID"], certificate)


def _certificate(setting: str, path: str) -> ClientCertificate:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.serialization import Encoding

    try:
        pem = Path(path).read_text(encoding="ascii")
        key = _PRIVATE_KEY.search(pem)
        certificate = x509.load_pem_x509_certificate(pem.encode("ascii"))
    except (OSError, ValueError) as exc:
        raise ConfigurationError(setting, f"cannot read a PEM certificate at {path} ({exc}).") from exc
    if key is None:
        raise ConfigurationError(setting, f"{path} holds no unencrypted PEM private key.")
    return ClientCertificate(
        private_key_pem=key.group(0),
        thumbprint=certificate.fingerprint(hashes.SHA1()).hex().upper(),  # noqa: S303 - the thumbprint Entra names
        public_certificate_pem=certificate.public_bytes(Encoding.PEM).decode("ascii"),
    )
