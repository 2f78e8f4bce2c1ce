"""Graph credentials on the devhost, end to end: backups through workload identity federation (no secret
or certificate anywhere in the app), through a certificate in Key Vault (rotated while the app runs)
and through a client secret in Key Vault. A devhost of its own, started fresh, so the request log shows
every step: the managed identity token, the assertion exchange, the vault reads, the Graph calls."""

from __future__ import annotations

import json
import secrets
import time
from pathlib import Path
from typing import Any

import pytest
import requests
from azure.identity import ManagedIdentityCredential
from azure.keyvault.certificates import CertificateClient, CertificatePolicy
from azure.keyvault.secrets import SecretClient

from local.azurite import AzuriteEndpoints
from local.devhost.testing import REPO_ROOT, DevhostProcess, start_devhost
from local.graphsim.admin_client import RegisteredApp
from local.graphsim.profiles import ALL_INTUNE_PERMISSIONS
from local.graphsim.testing import GraphSim
from local.stack import graphsim_settings
from local.tokens import demo_object_id, ensure_dev_signing_key, mint_token
from shared.config.settings import DEV_AUDIENCE, DEV_AUTH_FOLDER, DEV_ISSUER

PEM = CertificatePolicy(content_type="application/x-pem-file")


def pem_of(app: RegisteredApp) -> bytes:
    assert app.private_key_pem is not None and app.certificate_pem is not None
    return (app.private_key_pem + app.certificate_pem).encode()


class Api:
    def __init__(self, devhost: DevhostProcess, headers: dict[str, str]) -> None:
        self.devhost, self.headers = devhost, headers

    def call(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        url = path if path.startswith("http") else self.devhost.url(f"api/{path}")
        return requests.request(method, url, headers=self.headers, timeout=60, **kwargs)

    def onboard(self, tenant_id: str, ref: str, operator: str) -> None:
        added = self.call(
            "POST", "tenants", json={"tenant": tenant_id, "displayName": ref, "credentialRef": ref}
        )
        assert added.status_code == 201, added.text
        self.call("PUT", f"tenants/{tenant_id}/members/{operator}", json={"role": "operator"})

    def backup(self, tenant_id: str) -> dict[str, Any]:
        started = self.call("POST", f"tenants/{tenant_id}/backups")
        assert started.status_code == 202, started.text
        deadline = time.monotonic() + 120
        while True:
            answer = self.call("GET", started.headers["Location"])
            if answer.status_code != 202:
                return dict(answer.json())
            assert time.monotonic() < deadline, "backup still running"
            time.sleep(0.2)


def test_backups_through_federation_and_key_vault_with_a_rotation(
    graphsim: GraphSim, azurite: AzuriteEndpoints, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sim = graphsim
    cert_app = sim.admin.register_app("vault certificate app", certificate=True)
    secret_app = sim.admin.register_app("vault secret app")
    federated, by_cert, by_rotated_cert, by_secret = (sim.admin.create_tenant(seed="none") for _ in range(4))
    sim.admin.consent(federated, sim.federated_app.client_id, ALL_INTUNE_PERMISSIONS)
    for tenant in (by_cert, by_rotated_cert):
        sim.admin.consent(tenant, cert_app.client_id, ALL_INTUNE_PERMISSIONS)
    sim.admin.consent(by_secret, secret_app.client_id, ALL_INTUNE_PERMISSIONS)
    for name, value in sim.identity.environment().items():
        monkeypatch.setenv(name, value)
    with (
        ManagedIdentityCredential(client_id=sim.identity.client_id, connection_verify=sim.ca_file) as mi,
        SecretClient(
            sim.key_vault_url, mi, verify_challenge_resource=False, connection_verify=sim.ca_file
        ) as vault,
        CertificateClient(
            sim.key_vault_url, mi, verify_challenge_resource=False, connection_verify=sim.ca_file
        ) as certificates,
    ):
        certificates.import_certificate("graph-vault-cert", pem_of(cert_app), policy=PEM)
        assert secret_app.client_secret is not None
        vault.set_secret("graph-vault-secret", secret_app.client_secret)

        key = ensure_dev_signing_key(tmp_path / DEV_AUTH_FOLDER)
        settings = {
            "TENANTATLAS_ENVIRONMENT": "local",
            "TENANTATLAS_AUTH_DEV_MODE": "true",
            "TENANTATLAS_AUTH_AUDIENCE": DEV_AUDIENCE,
            "TENANTATLAS_AUTH_ISSUERS": DEV_ISSUER,
            "TENANTATLAS_STATE_DIR": str(tmp_path),
            "TENANTATLAS_STORAGE_PREFIX": "cred" + secrets.token_hex(4),
            "TENANTATLAS_KEY_VAULT_REFRESH_SECONDS": "3600",
            **graphsim_settings(sim.state_dir / "credentials.json"),
            "GRAPH_CREDENTIAL__VAULT_CERT__CLIENT_ID": cert_app.client_id,
            "GRAPH_CREDENTIAL__VAULT_CERT__KEY_VAULT_CERTIFICATE": "graph-vault-cert",
            "GRAPH_CREDENTIAL__VAULT_SECRET__CLIENT_ID": secret_app.client_id,
            "GRAPH_CREDENTIAL__VAULT_SECRET__KEY_VAULT_SECRET": "graph-vault-secret",
        }
        assert not [name for name in settings if name.endswith(("__CLIENT_SECRET", "__CERTIFICATE_PATH"))]
        operator = f"user:{demo_object_id('cora@msp.example')}"
        platform = mint_token(key, principal_name="pat@msp.example", extra_claims={"roles": ["msp.admin"]})
        devhost = start_devhost(REPO_ROOT, tmp_path / "devhost", azurite.connection_string, settings=settings)
        try:
            admin = Api(devhost, {"Authorization": f"Bearer {platform}"})
            api = Api(
                devhost, {"Authorization": f"Bearer {mint_token(key, principal_name='cora@msp.example')}"}
            )
            for tenant, ref in (
                (federated, "graphsim"),
                (by_cert, "vault-cert"),
                (by_rotated_cert, "vault-cert"),
                (by_secret, "vault-secret"),
            ):
                admin.onboard(tenant, ref, operator)
            sim.admin.clear_log()

            assert api.backup(federated)["status"] == "succeeded"
            chain = [
                (e["kind"], e["credential"], e["status"]) for e in sim.admin.log() if e["kind"] != "graph"
            ]
            assert chain == [("identity", None, 200), ("token", "federated", 200)]
            assert len(sim.admin.log(kind="graph", tenant=federated)) > 10, "every type listed through Graph"

            sim.admin.clear_log()
            assert api.backup(by_cert)["status"] == "succeeded"
            vault_reads = [
                (e["method"], e["path"].split("/")[1], e["status"]) for e in sim.admin.log(kind="keyvault")
            ]
            assert ("GET", "certificates", 200) in vault_reads and ("GET", "secrets", 200) in vault_reads
            assert [(e["credential"], e["status"]) for e in sim.admin.log(kind="token")] == [
                ("certificate", 200)
            ]

            successor = sim.admin.register_app("successor certificate", certificate=True)
            sim.admin.add_certificate(cert_app.client_id, successor.certificate_pem or "")
            certificates.import_certificate("graph-vault-cert", pem_of(successor), policy=PEM)
            assert cert_app.thumbprint is not None
            sim.admin.remove_certificate(cert_app.client_id, cert_app.thumbprint)
            sim.admin.clear_log()
            assert api.backup(by_rotated_cert)["status"] == "succeeded", "the rotated certificate, no restart"
            tokens = [(e["tenant"], e["status"]) for e in sim.admin.log(kind="token")]
            assert tokens == [(by_rotated_cert, 401), (by_rotated_cert, 200)]

            assert api.backup(by_secret)["status"] == "succeeded"
            assert [e["credential"] for e in sim.admin.log(kind="token", tenant=by_secret)] == ["secret"]
            log = devhost.log_text()
            for value in (secret_app.client_secret, (cert_app.private_key_pem or "").splitlines()[1]):
                assert value not in log
            assert json.loads((tmp_path / "devhost" / "settings.json").read_text())[
                "Values"
            ].keys() == settings.keys() | {
                "FUNCTIONS_WORKER_RUNTIME",
                "AzureWebJobsStorage",
            }
        finally:
            devhost.stop()
