"""Tokens through unmodified MSAL against graphsim's Entra: secret, certificate, typed AADSTS errors,
one token per app and tenant for the worker's life, and a token Graph calls expired refreshed once."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import jwt
import msal
import pytest

from local.graphsim.testing import GraphSim
from shared.graph import ClientCertificate, ClientSecret, GraphAuthError, GraphClient
from shared.graph.auth import shared_token_provider
from tests.polling import wait_until

DEVICE_CONFIGURATIONS = "/deviceManagement/deviceConfigurations"
ClientFactory = Callable[..., GraphClient]


def _fresh_app(sim: GraphSim, tenant_id: str) -> tuple[str, str]:
    """A newly registered app consented in `tenant_id`: its own MSAL app and token cache in the worker."""
    app = sim.admin.register_app("graph client test")
    assert app.client_secret is not None
    sim.admin.consent(tenant_id, app.client_id, ["DeviceManagementConfiguration.ReadWrite.All"])
    return app.client_id, app.client_secret


def test_client_secret_gets_a_token_once_per_app_and_tenant(
    sim: GraphSim, make_client: ClientFactory
) -> None:
    tenant = sim.tenants[1].id
    client_id, secret = _fresh_app(sim, tenant)
    for _ in range(2):
        client = make_client(tenant, client_id=client_id, credential=ClientSecret(secret))
        assert isinstance(client.get_all(DEVICE_CONFIGURATIONS), list)
        client.get(DEVICE_CONFIGURATIONS, params={"$top": 1})
    assert len(sim.admin.log(kind="token", app=client_id)) == 1
    assert len(sim.admin.log(kind="graph", app=client_id, status=200)) == 4


@pytest.mark.parametrize("form", ["public_certificate", "sha1_thumbprint"])
def test_certificate_credential(sim: GraphSim, make_client: ClientFactory, form: str) -> None:
    app = sim.certificate_app
    assert app.private_key_file and app.certificate_file and app.thumbprint
    key = Path(app.private_key_file).read_text()
    if form == "public_certificate":
        credential = ClientCertificate(key, public_certificate_pem=Path(app.certificate_file).read_text())
    else:
        credential = ClientCertificate(key, thumbprint=app.thumbprint)
    client = make_client(sim.tenants[2].id, client_id=app.client_id, credential=credential)
    assert client.get(DEVICE_CONFIGURATIONS)["value"]
    assert sim.admin.log(kind="token", app=app.client_id, status=200)


def test_app_not_consented_in_the_tenant_is_aadsts700016(sim: GraphSim, make_client: ClientFactory) -> None:
    app = sim.admin.register_app("not consented anywhere")
    assert app.client_secret is not None
    client = make_client(
        sim.tenants[0].id, client_id=app.client_id, credential=ClientSecret(app.client_secret)
    )
    with pytest.raises(GraphAuthError) as caught:
        client.get(DEVICE_CONFIGURATIONS)
    assert (caught.value.code, caught.value.aadsts) == ("unauthorized_client", "AADSTS700016")
    assert caught.value.request_id and caught.value.client_request_id
    assert not sim.admin.log(kind="graph", app=app.client_id)


def test_wrong_secret_is_aadsts7000215_and_the_secret_is_not_repeated(
    sim: GraphSim, make_client: ClientFactory
) -> None:
    client_id, _ = _fresh_app(sim, sim.tenants[0].id)
    wrong = "Wr0ngQ~secret-value-that-is-long-enough"
    client = make_client(sim.tenants[0].id, client_id=client_id, credential=ClientSecret(wrong))
    with pytest.raises(GraphAuthError) as caught:
        client.get(DEVICE_CONFIGURATIONS)
    assert (caught.value.code, caught.value.aadsts) == ("invalid_client", "AADSTS7000215")
    assert wrong not in str(caught.value) + repr(caught.value.to_dict())


def test_requests_ca_bundle_in_the_environment_does_not_override_the_configured_ca(
    sim: GraphSim, make_client: ClientFactory, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(tmp_path / "no-such-bundle.pem"))
    monkeypatch.setenv("CURL_CA_BUNDLE", str(tmp_path / "no-such-bundle.pem"))
    monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:9")
    client_id, secret = _fresh_app(sim, sim.tenants[0].id)
    client = make_client(client_id=client_id, credential=ClientSecret(secret))
    assert "value" in client.get(DEVICE_CONFIGURATIONS)


def test_a_token_graph_calls_expired_is_dropped_and_refetched_once(
    sim: GraphSim, make_client: ClientFactory
) -> None:
    sim.admin.configure(tokens={"lifetime_min_seconds": 1, "lifetime_max_seconds": 1})
    tenant = sim.tenants[0].id
    client_id, secret = _fresh_app(sim, tenant)
    client = make_client(tenant, client_id=client_id, credential=ClientSecret(secret))
    client.get(DEVICE_CONFIGURATIONS)
    cache = shared_token_provider(client.config)._msal_app().token_cache
    [entry] = cache.search(msal.TokenCache.CredentialType.ACCESS_TOKEN, now=0)  # now=0: do not prune it
    expires = jwt.decode(entry["secret"], options={"verify_signature": False})["exp"]
    wait_until(lambda: time.time() > expires, message="the token's exp to pass")
    # MSAL still trusts the token (as with clock skew or a revocation): its cache says an hour left.
    cache.modify(
        msal.TokenCache.CredentialType.ACCESS_TOKEN, entry, {"expires_on": str(int(time.time()) + 3600)}
    )

    assert "value" in client.get(DEVICE_CONFIGURATIONS)

    # graphsim cannot name the app of a token it rejects, so the 401 is logged without one.
    assert [entry["status"] for entry in sim.admin.log(kind="graph")] == [200, 401, 200]
    assert len(sim.admin.log(kind="token", app=client_id)) == 2
