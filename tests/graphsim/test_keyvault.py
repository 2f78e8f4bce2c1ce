"""graphsim's Key Vault subset, driven by the unmodified azure-keyvault-secrets and -certificates clients
with a managed identity credential, over real HTTPS and challenge authentication."""

from __future__ import annotations

import base64
from collections.abc import Iterator

import pytest
import requests
from azure.core.exceptions import ResourceNotFoundError
from azure.identity import ManagedIdentityCredential
from azure.keyvault.certificates import CertificateClient, CertificatePolicy, KeyVaultCertificate
from azure.keyvault.secrets import SecretClient
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12

from local.graphsim.testing import GraphSim


@pytest.fixture
def identity(sim: GraphSim, monkeypatch: pytest.MonkeyPatch) -> Iterator[ManagedIdentityCredential]:
    for name, value in sim.identity.environment().items():
        monkeypatch.setenv(name, value)
    with ManagedIdentityCredential(
        client_id=sim.identity.client_id, connection_verify=sim.ca_file
    ) as credential:
        yield credential


@pytest.fixture
def secrets(sim: GraphSim, identity: ManagedIdentityCredential) -> Iterator[SecretClient]:
    with SecretClient(
        sim.key_vault_url, identity, verify_challenge_resource=False, connection_verify=sim.ca_file
    ) as client:
        yield client


@pytest.fixture
def certificates(sim: GraphSim, identity: ManagedIdentityCredential) -> Iterator[CertificateClient]:
    with CertificateClient(
        sim.key_vault_url, identity, verify_challenge_resource=False, connection_verify=sim.ca_file
    ) as client:
        yield client


def latest_of(certificates: CertificateClient, name: str) -> tuple[str, str]:
    """The latest version of a vault certificate and its SHA-1 thumbprint (hex)."""
    properties = certificates.get_certificate(name).properties
    assert properties is not None and properties.version is not None
    return properties.version, bytes(properties.x509_thumbprint).hex().upper()


def version_of(imported: KeyVaultCertificate) -> str:
    assert imported.properties is not None and imported.properties.version is not None
    return imported.properties.version


def pem_bundle(sim: GraphSim, name: str) -> tuple[bytes, str]:
    """A fresh app certificate as a PEM bundle (key + certificate), and its thumbprint."""
    app = sim.admin.register_app(name, certificate=True)
    assert app.private_key_pem is not None and app.certificate_pem is not None and app.thumbprint is not None
    return (app.private_key_pem + app.certificate_pem).encode(), app.thumbprint


def test_a_request_without_a_token_gets_key_vaults_challenge(sim: GraphSim, http: requests.Session) -> None:
    answer = http.get(f"{sim.key_vault_url}/secrets/anything", params={"api-version": "7.6"}, timeout=10)

    assert answer.status_code == 401
    challenge = answer.headers["WWW-Authenticate"]
    assert f'authorization="{sim.base_url}/{sim.identity.tenant_id}"' in challenge
    assert 'resource="https://vault.azure.net"' in challenge


def test_a_graph_token_is_not_a_vault_token(sim: GraphSim, http: requests.Session) -> None:
    graph_token = sim.token(sim.tenants[0].id)

    answer = http.get(
        f"{sim.key_vault_url}/secrets/anything",
        headers={"Authorization": f"Bearer {graph_token}"},
        timeout=10,
    )

    assert answer.status_code == 401


def test_secrets_have_versions_and_the_latest_wins(sim: GraphSim, secrets: SecretClient) -> None:
    first = secrets.set_secret("graph-msp-app", "first value")
    second = secrets.set_secret("graph-msp-app", "second value")

    assert secrets.get_secret("graph-msp-app").value == "second value"
    assert secrets.get_secret("graph-msp-app", first.properties.version).value == "first value"
    listed = {p.version for p in secrets.list_properties_of_secret_versions("graph-msp-app")}
    assert listed == {first.properties.version, second.properties.version}
    statuses = [e["status"] for e in sim.admin.log(kind="keyvault")]
    # A client's first request to a vault gets the challenge (401), unless the SDK already holds this
    # vault's challenge from an earlier client in the process (it keeps it per vault URL).
    assert statuses.count(401) <= 1 and set(statuses) - {401} == {200}
    assert 401 not in statuses[1:], "only the first request is challenged"


def test_an_unknown_secret_is_a_not_found(secrets: SecretClient) -> None:
    with pytest.raises(ResourceNotFoundError):
        secrets.get_secret("no-such-secret")


def test_an_imported_pem_certificate_keeps_its_key_in_its_secret(
    sim: GraphSim, certificates: CertificateClient, secrets: SecretClient
) -> None:
    bundle, thumbprint = pem_bundle(sim, "pem app")

    imported = certificates.import_certificate(
        "graph-cert", bundle, policy=CertificatePolicy(content_type="application/x-pem-file")
    )

    version, latest_thumbprint = latest_of(certificates, "graph-cert")
    assert version == version_of(imported)
    assert latest_thumbprint == thumbprint
    cer = certificates.get_certificate("graph-cert").cer
    assert cer is not None and x509.load_der_x509_certificate(bytes(cer))
    secret = secrets.get_secret("graph-cert", version)
    assert secret.properties.content_type == "application/x-pem-file"
    assert "PRIVATE KEY" in (secret.value or "")


def test_a_pkcs12_certificate_secret_is_base64_pfx_and_a_new_import_is_a_new_version(
    sim: GraphSim, certificates: CertificateClient, secrets: SecretClient
) -> None:
    bundle, _ = pem_bundle(sim, "first")
    key = serialization.load_pem_private_key(bundle, password=None)
    assert isinstance(key, rsa.RSAPrivateKey)
    cert = x509.load_pem_x509_certificate(bundle)
    pfx = pkcs12.serialize_key_and_certificates(None, key, cert, None, serialization.NoEncryption())
    first = certificates.import_certificate("rotating", pfx)
    rotated_bundle, rotated_thumbprint = pem_bundle(sim, "second")
    rotated = certificates.import_certificate(
        "rotating", rotated_bundle, policy=CertificatePolicy(content_type="application/x-pem-file")
    )

    secret = secrets.get_secret("rotating", version_of(first))
    assert secret.properties.content_type == "application/x-pkcs12"
    loaded_key, loaded_cert, _ = pkcs12.load_key_and_certificates(base64.b64decode(secret.value or ""), None)
    assert loaded_key is not None and loaded_cert == cert
    assert latest_of(certificates, "rotating") == (version_of(rotated), rotated_thumbprint)
    assert version_of(rotated) != version_of(first)
