"""Graph credential acquisition against graphsim: workload identity federation (managed identity token,
then the exchange) cold and warm, MSAL's cache hit, a verification's fresh token, and a Key Vault
certificate's first read, cached reads and a version check. Prints the figures (ms), JSON last.

    .venv/bin/python bench/credentials.py [--hits 200]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from azure.identity import ManagedIdentityCredential
from azure.keyvault.certificates import CertificateClient, CertificatePolicy

from local.graphsim.profiles import ALL_INTUNE_PERMISSIONS
from local.graphsim.testing import GraphSim, GraphSimProcess
from shared.graph import GraphClientConfig
from shared.graph.auth import TokenProvider
from shared.graph.credential_sources import IdentityConfig, KeyVaultCertificate, source_for
from shared.graph.credentials import FederatedCredentialSpec, KeyVaultCertificateSpec


def _ms(call: Callable[[], Any]) -> float:
    started = time.perf_counter()
    call()
    return round((time.perf_counter() - started) * 1000, 3)


def _config(sim: GraphSim, tenant: str, client_id: str, credential: Any) -> GraphClientConfig:
    return GraphClientConfig(
        graph_base_url=sim.base_url,
        login_base_url=sim.base_url,
        tenant_id=tenant,
        client_id=client_id,
        credential=credential,
        ca_bundle=sim.ca_file,
        graph_resource="https://graph.microsoft.com",
    )


def measure(sim: GraphSim, hits: int) -> dict[str, float]:
    os.environ.update(sim.identity.environment())  # what Azure Functions gives the app
    identity = IdentityConfig(sim.identity.client_id, sim.ca_file)
    spec = FederatedCredentialSpec(sim.federated_app.client_id, sim.identity.client_id)
    federated = source_for(spec, vault_uri=None, identity=identity, refresh_seconds=300)
    providers = [TokenProvider(_config(sim, t.id, spec.client_id, federated)) for t in sim.tenants]
    figures = {
        "federated_cold_ms": _ms(providers[0].access_token),
        "federated_next_tenant_ms": _ms(providers[1].access_token),
        "msal_cache_hit_median_ms": statistics.median(_ms(providers[0].access_token) for _ in range(hits)),
        "verification_fresh_token_ms": _ms(providers[2].fresh_token),
    }
    app = sim.admin.register_app("bench certificate app", certificate=True)
    for tenant in sim.tenants:
        sim.admin.consent(tenant.id, app.client_id, ALL_INTUNE_PERMISSIONS)
    assert app.private_key_pem is not None and app.certificate_pem is not None
    with (
        ManagedIdentityCredential(client_id=sim.identity.client_id, connection_verify=sim.ca_file) as mi,
        CertificateClient(
            sim.key_vault_url, mi, verify_challenge_resource=False, connection_verify=sim.ca_file
        ) as c,
    ):
        pem = (app.private_key_pem + app.certificate_pem).encode()
        c.import_certificate("bench", pem, policy=CertificatePolicy(content_type="application/x-pem-file"))
    vault = source_for(
        KeyVaultCertificateSpec(app.client_id, "bench"),
        vault_uri=sim.key_vault_url,
        identity=identity,
        refresh_seconds=300,
    )
    assert isinstance(vault, KeyVaultCertificate)
    figures["key_vault_first_read_ms"] = _ms(vault.current)
    figures["key_vault_cached_median_ms"] = statistics.median(_ms(vault.current) for _ in range(hits))
    figures["key_vault_reads_after_cached"] = vault.reads
    figures["key_vault_version_check_ms"] = _ms(vault.refresh)
    figures["key_vault_reads_after_check"] = vault.reads
    figures["key_vault_graph_token_cold_ms"] = _ms(
        TokenProvider(_config(sim, sim.tenants[0].id, app.client_id, vault)).access_token
    )
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--hits", type=int, default=200)
    args = parser.parse_args()
    with GraphSimProcess(profile="empty", tenants=3) as sim:
        figures = measure(sim, args.hits)
        figures["identity_requests"] = sim.admin.counters()["requests"].get("identity.requests", 0)
    for name, value in figures.items():
        print(f"{name:36} {value}")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
