"""graphsim's managed identity endpoint, workload identity federation and admin consent, driven by the
unmodified azure-identity and MSAL over real HTTPS."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import jwt
import msal
import pytest
import requests
from azure.core.exceptions import ClientAuthenticationError
from azure.identity import ManagedIdentityCredential

from local.graphsim.testing import GRAPH_SCOPE, GraphSim

EXCHANGE_SCOPE = "api://AzureADTokenExchange/.default"


@pytest.fixture
def identity(sim: GraphSim, monkeypatch: pytest.MonkeyPatch) -> Iterator[ManagedIdentityCredential]:
    """The MSP's managed identity as the app sees it: IDENTITY_ENDPOINT and IDENTITY_HEADER set."""
    for name, value in sim.identity.environment().items():
        monkeypatch.setenv(name, value)
    with ManagedIdentityCredential(
        client_id=sim.identity.client_id, connection_verify=sim.ca_file
    ) as credential:
        yield credential


def federated_token(sim: GraphSim, http: requests.Session, tenant: str, assertion: str) -> dict[str, Any]:
    app = msal.ConfidentialClientApplication(
        sim.federated_app.client_id,
        client_credential={"client_assertion": lambda: assertion},
        authority=sim.authority(tenant),
        instance_discovery=False,
        http_client=http,
    )
    return dict(app.acquire_token_for_client([GRAPH_SCOPE]))


def unverified(token: str) -> dict[str, Any]:
    return dict(jwt.decode(token, options={"verify_signature": False}))


def test_azure_identity_gets_a_token_of_the_identity_for_the_exchange_audience(
    sim: GraphSim, identity: ManagedIdentityCredential
) -> None:
    token = identity.get_token(EXCHANGE_SCOPE)

    claims = unverified(token.token)
    assert claims["aud"] == "api://AzureADTokenExchange"
    assert claims["iss"] == sim.identity.issuer
    assert claims["sub"] == sim.identity.object_id
    assert claims["tid"] == sim.identity.tenant_id
    assert identity.get_token(EXCHANGE_SCOPE).token == token.token, "azure-identity caches the token"
    assert [e["status"] for e in sim.admin.log(kind="identity")] == [200]


def test_a_wrong_identity_header_is_refused(sim: GraphSim, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IDENTITY_ENDPOINT", sim.identity.endpoint)
    monkeypatch.setenv("IDENTITY_HEADER", "not-the-header")
    with (
        ManagedIdentityCredential(
            client_id=sim.identity.client_id, connection_verify=sim.ca_file
        ) as credential,
        pytest.raises(ClientAuthenticationError),
    ):
        credential.get_token(EXCHANGE_SCOPE)
    assert [e["status"] for e in sim.admin.log(kind="identity")] == [401]


def test_the_identity_token_is_the_client_assertion_of_the_federated_app(
    sim: GraphSim, identity: ManagedIdentityCredential, http: requests.Session
) -> None:
    tenant = sim.tenants[0].id
    result = federated_token(sim, http, tenant, identity.get_token(EXCHANGE_SCOPE).token)

    claims = unverified(str(result["access_token"]))
    assert claims["appid"] == sim.federated_app.client_id
    assert claims["tid"] == tenant
    assert set(claims["roles"]) == set(sim.federated_app.roles)
    kinds = [(e["kind"], e["credential"], e["status"]) for e in sim.admin.log()]
    assert kinds == [("identity", None, 200), ("token", "federated", 200)]


def test_an_identity_no_federated_credential_names_is_refused(
    sim: GraphSim, identity: ManagedIdentityCredential, http: requests.Session
) -> None:
    other = sim.admin.add_identity("someone else")
    with ManagedIdentityCredential(client_id=other["client_id"], connection_verify=sim.ca_file) as credential:
        assertion = credential.get_token(EXCHANGE_SCOPE).token

    result = federated_token(sim, http, sim.tenants[0].id, assertion)

    assert result["error"] == "invalid_client"
    assert str(result["error_description"]).startswith("AADSTS700213:")


def test_an_identity_token_for_another_audience_is_refused(
    sim: GraphSim, identity: ManagedIdentityCredential, http: requests.Session
) -> None:
    assertion = identity.get_token("https://vault.azure.net/.default").token

    result = federated_token(sim, http, sim.tenants[0].id, assertion)

    assert str(result["error_description"]).startswith("AADSTS700212:")


def test_a_federated_credential_of_another_issuer_does_not_match(
    sim: GraphSim, identity: ManagedIdentityCredential, http: requests.Session
) -> None:
    app = sim.federated_app.client_id
    sim.admin.remove_federated_credential(app, "tenantatlas-api")
    sim.admin.set_federated_credential(
        app,
        "elsewhere",
        "https://token.actions.githubusercontent.com",
        sim.identity.object_id,
        ["api://AzureADTokenExchange"],
    )

    result = federated_token(sim, http, sim.tenants[0].id, identity.get_token(EXCHANGE_SCOPE).token)

    assert str(result["error_description"]).startswith("AADSTS700211:")


def test_admin_consent_grants_what_the_app_requests_and_redirects_back(
    sim: GraphSim, identity: ManagedIdentityCredential, http: requests.Session
) -> None:
    tenant = sim.admin.create_tenant("Onboarded Ltd")
    assertion = identity.get_token(EXCHANGE_SCOPE).token
    before = federated_token(sim, http, tenant, assertion)
    assert str(before["error_description"]).startswith("AADSTS700016:")

    answer = http.get(
        f"{sim.base_url}/{tenant}/adminconsent",
        params={
            "client_id": sim.federated_app.client_id,
            "redirect_uri": "https://msp.example/done",
            "state": "s1",
        },
        allow_redirects=False,
        timeout=10,
    )

    assert answer.status_code == 302
    assert (
        answer.headers["Location"] == f"https://msp.example/done?admin_consent=True&tenant={tenant}&state=s1"
    )
    consents = sim.admin.tenant_state(tenant)["consents"]
    assert consents == {sim.federated_app.client_id: sorted(sim.federated_app.roles)}
    after = federated_token(sim, http, tenant, assertion)
    assert set(unverified(str(after["access_token"]))["roles"]) == set(sim.federated_app.roles)


def test_admin_consent_for_an_unknown_app_is_an_entra_error(sim: GraphSim, http: requests.Session) -> None:
    answer = http.get(
        f"{sim.base_url}/{sim.tenants[0].id}/adminconsent",
        params={"client_id": "00000000-0000-0000-0000-000000000001"},
        timeout=10,
    )

    assert answer.status_code == 400
    assert answer.json()["error_codes"] == [700016]
