"""Graph credentials from a managed identity (federation) and from Key Vault, against graphsim's identity
endpoint, Entra and Key Vault, through the unmodified azure-identity, azure-keyvault-* and MSAL."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator

import pytest
from azure.identity import ManagedIdentityCredential
from azure.keyvault.certificates import CertificateClient, CertificatePolicy
from azure.keyvault.secrets import SecretClient

from local.graphsim.admin_client import RegisteredApp
from local.graphsim.profiles import ALL_INTUNE_PERMISSIONS
from local.graphsim.testing import GraphSim
from shared.graph import GraphAuthError, GraphClient, GraphClientConfig
from shared.graph.auth import TokenProvider
from shared.graph.config import ClientCertificate
from shared.graph.credential_sources import (
    IdentityConfig,
    KeyVaultCertificate,
    KeyVaultSecret,
    source_for,
)
from shared.graph.credentials import (
    FederatedCredentialSpec,
    KeyVaultCertificateSpec,
    KeyVaultSecretSpec,
    certificate_from_pem,
)
from shared.redact import redact

GRAPH_RESOURCE = "https://graph.microsoft.com"
DC = "/deviceManagement/deviceConfigurations"


@pytest.fixture
def platform(sim: GraphSim, monkeypatch: pytest.MonkeyPatch) -> GraphSim:
    """graphsim with the app's environment as Azure Functions gives it: IDENTITY_ENDPOINT and the header."""
    for name, value in sim.identity.environment().items():
        monkeypatch.setenv(name, value)
    return sim


@pytest.fixture
def vault(platform: GraphSim) -> Iterator[tuple[SecretClient, CertificateClient]]:
    """Key Vault clients with which the test plays the MSP administrator (same identity as the app)."""
    with (
        ManagedIdentityCredential(
            client_id=platform.identity.client_id, connection_verify=platform.ca_file
        ) as mi,
        SecretClient(
            platform.key_vault_url, mi, verify_challenge_resource=False, connection_verify=platform.ca_file
        ) as secrets,
        CertificateClient(
            platform.key_vault_url, mi, verify_challenge_resource=False, connection_verify=platform.ca_file
        ) as certificates,
    ):
        yield secrets, certificates


@pytest.fixture
def client_for(platform: GraphSim) -> Callable[[str, str, object], GraphClient]:
    def make(tenant: str, client_id: str, credential: object) -> GraphClient:
        config = GraphClientConfig(
            graph_base_url=platform.base_url,
            login_base_url=platform.base_url,
            tenant_id=tenant,
            client_id=client_id,
            credential=credential,  # type: ignore[arg-type]
            ca_bundle=platform.ca_file,
            graph_resource=GRAPH_RESOURCE,
        )
        return GraphClient(config)

    return make


def identity(sim: GraphSim) -> IdentityConfig:
    return IdentityConfig(sim.identity.client_id, sim.ca_file)


def consented_app(sim: GraphSim, certificate: bool = False) -> tuple[RegisteredApp, list[str]]:
    """A new app (consented in two fresh tenants): each tenant needs its own first token."""
    app = sim.admin.register_app(f"app {uuid.uuid4().hex[:6]}", certificate=certificate)
    tenants = [sim.admin.create_tenant(seed="none") for _ in range(2)]
    for tenant in tenants:
        sim.admin.consent(tenant, app.client_id, ALL_INTUNE_PERMISSIONS)
    return app, tenants


def pem(app: RegisteredApp) -> bytes:
    assert app.private_key_pem is not None and app.certificate_pem is not None
    return (app.private_key_pem + app.certificate_pem).encode()


def test_federation_needs_no_secret_and_reuses_both_tokens(
    platform: GraphSim, client_for: Callable[[str, str, object], GraphClient]
) -> None:
    app = platform.federated_app
    spec = FederatedCredentialSpec(app.client_id, platform.identity.client_id)
    source = source_for(spec, vault_uri=None, identity=identity(platform), refresh_seconds=300)
    tenant = platform.tenants[0].id

    client = client_for(tenant, app.client_id, source)
    assert client.get(DC, params={"$top": "1"})["value"] is not None
    client.get(DC, params={"$top": "1"})

    entries = [(e["kind"], e["credential"]) for e in platform.admin.log() if e["kind"] != "graph"]
    # The identity's token may come from an earlier test of this process (azure-identity caches it for
    # the process): at most one identity request, and exactly one exchange, for two Graph calls.
    assert entries in ([("identity", None), ("token", "federated")], [("token", "federated")]), entries
    assert len(platform.admin.log(kind="graph", tenant=tenant)) == 2


def test_an_identity_the_platform_does_not_know_is_a_clear_auth_error(
    platform: GraphSim, client_for: Callable[[str, str, object], GraphClient]
) -> None:
    spec = FederatedCredentialSpec(platform.federated_app.client_id, str(uuid.uuid4()))
    source = source_for(spec, vault_uri=None, identity=identity(platform), refresh_seconds=300)

    with pytest.raises(GraphAuthError) as raised:
        client_for(platform.tenants[0].id, spec.client_id, source).get(DC)

    assert raised.value.code == "managed_identity_unavailable"


def test_a_vault_certificate_is_cached_and_a_rotation_is_used_without_a_restart(
    platform: GraphSim,
    vault: tuple[SecretClient, CertificateClient],
    client_for: Callable[[str, str, object], GraphClient],
) -> None:
    _, certificates = vault
    app, (first_tenant, second_tenant) = consented_app(platform, certificate=True)
    certificates.import_certificate(
        "graph-rotating", pem(app), policy=CertificatePolicy(content_type="application/x-pem-file")
    )
    source = source_for(
        KeyVaultCertificateSpec(app.client_id, "graph-rotating"),
        vault_uri=platform.key_vault_url,
        identity=identity(platform),
        refresh_seconds=3600,
    )
    assert isinstance(source, KeyVaultCertificate)

    client_for(first_tenant, app.client_id, source).get(DC)
    assert source.reads == 2, "the latest version, then its private key"
    client_for(first_tenant, app.client_id, source).get(DC)
    assert source.reads == 2, "cached: no vault call within the refresh interval"

    successor = platform.admin.register_app("successor", certificate=True)
    platform.admin.add_certificate(app.client_id, successor.certificate_pem or "")
    certificates.import_certificate(
        "graph-rotating", pem(successor), policy=CertificatePolicy(content_type="application/x-pem-file")
    )
    assert app.thumbprint is not None
    platform.admin.remove_certificate(app.client_id, app.thumbprint)
    platform.admin.clear_log()

    client_for(second_tenant, app.client_id, source).get(DC)

    tokens = [(e["status"], e["credential"]) for e in platform.admin.log(kind="token")]
    assert tokens == [(401, "certificate"), (200, "certificate")], "refused, vault read again, accepted"
    assert source.reads == 4
    vault_calls = [e["path"] for e in platform.admin.log(kind="keyvault") if e["status"] == 200]
    assert vault_calls[0] == "/certificates/graph-rotating/"
    assert vault_calls[1].startswith("/secrets/graph-rotating/")


def test_a_pkcs12_vault_certificate_works_too(
    platform: GraphSim,
    vault: tuple[SecretClient, CertificateClient],
    client_for: Callable[[str, str, object], GraphClient],
) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.hazmat.primitives.serialization import pkcs12
    from cryptography.x509 import load_pem_x509_certificate

    _, certificates = vault
    app, (tenant, _) = consented_app(platform, certificate=True)
    key = serialization.load_pem_private_key(pem(app), password=None)
    assert isinstance(key, rsa.RSAPrivateKey)
    pfx = pkcs12.serialize_key_and_certificates(
        None, key, load_pem_x509_certificate(pem(app)), None, serialization.NoEncryption()
    )
    certificates.import_certificate("graph-pfx", pfx)
    source = source_for(
        KeyVaultCertificateSpec(app.client_id, "graph-pfx"),
        vault_uri=platform.key_vault_url,
        identity=identity(platform),
        refresh_seconds=3600,
    )

    assert client_for(tenant, app.client_id, source).get(DC)["value"] is not None


def test_a_vault_secret_is_redacted_once_read_and_its_rotation_is_used(
    platform: GraphSim,
    vault: tuple[SecretClient, CertificateClient],
    client_for: Callable[[str, str, object], GraphClient],
) -> None:
    secrets, _ = vault
    app, (first_tenant, second_tenant) = consented_app(platform)
    assert app.client_secret is not None
    secrets.set_secret("graph-secret", app.client_secret)
    source = source_for(
        KeyVaultSecretSpec(app.client_id, "graph-secret"),
        vault_uri=platform.key_vault_url,
        identity=identity(platform),
        refresh_seconds=3600,
    )
    assert isinstance(source, KeyVaultSecret)
    client_for(first_tenant, app.client_id, source).get(DC)
    assert redact(f"it was {app.client_secret}") == "it was [REDACTED]"

    rotated = platform.admin.new_secret(app.client_id, replace=True)
    secrets.set_secret("graph-secret", rotated)
    client_for(second_tenant, app.client_id, source).get(DC)

    tokens = [e["status"] for e in platform.admin.log(kind="token", tenant=second_tenant)]
    assert tokens == [401, 200]
    assert redact(f"now {rotated}") == "now [REDACTED]"


@pytest.mark.parametrize("spec_type", [KeyVaultCertificateSpec, KeyVaultSecretSpec])
def test_a_missing_vault_item_is_an_auth_error_naming_it(
    platform: GraphSim,
    vault: tuple[SecretClient, CertificateClient],
    client_for: Callable[[str, str, object], GraphClient],
    spec_type: type[KeyVaultCertificateSpec | KeyVaultSecretSpec],
) -> None:
    source = source_for(
        spec_type("00000000-0000-0000-0000-000000000009", "graph-nowhere"),
        vault_uri=platform.key_vault_url,
        identity=identity(platform),
        refresh_seconds=60,
    )
    assert isinstance(source, KeyVaultCertificate | KeyVaultSecret)

    with pytest.raises(GraphAuthError) as raised:
        client_for(platform.tenants[0].id, "00000000-0000-0000-0000-000000000009", source).get(DC)

    assert raised.value.code == "credential_not_found"
    assert "graph-nowhere" in raised.value.message


class RefreshedElsewhere:
    """A source whose refresh finds nothing new because another thread's refresh already swapped in the
    new credential: the race of many activities meeting a rotation at once, made deterministic."""

    name = "refreshed-elsewhere"

    def __init__(self, old: ClientCertificate, new: ClientCertificate) -> None:
        self.served, self._new = old, new

    def current(self) -> ClientCertificate:
        return self.served

    def refresh(self) -> bool:
        self.served = self._new
        return False


def test_a_refusal_is_retried_when_another_refresh_already_found_the_new_credential(
    platform: GraphSim,
) -> None:
    app, (tenant, _) = consented_app(platform, certificate=True)
    successor = platform.admin.register_app("elsewhere successor", certificate=True)
    platform.admin.add_certificate(app.client_id, successor.certificate_pem or "")
    assert app.thumbprint is not None
    platform.admin.remove_certificate(app.client_id, app.thumbprint)
    source = RefreshedElsewhere(
        certificate_from_pem(pem(app).decode()), certificate_from_pem(pem(successor).decode())
    )
    config = GraphClientConfig(
        graph_base_url=platform.base_url,
        login_base_url=platform.base_url,
        tenant_id=tenant,
        client_id=app.client_id,
        credential=source,
        ca_bundle=platform.ca_file,
        graph_resource=GRAPH_RESOURCE,
    )

    assert TokenProvider(config).access_token()

    assert [e["status"] for e in platform.admin.log(kind="token", tenant=tenant)] == [401, 200]
