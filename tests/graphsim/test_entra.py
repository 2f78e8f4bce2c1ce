"""graphsim's Entra side, driven by unmodified MSAL and by plain requests over real HTTPS."""

from __future__ import annotations

import time
from typing import Any

import jwt
import msal
import pytest
import requests

from local.graphsim.testing import GRAPH_SCOPE, GraphSim
from tests.polling import wait_until

DC = "deviceManagement/deviceConfigurations"


def msal_token(
    sim: GraphSim, http: requests.Session, tenant_id: str, client_id: str, credential: Any
) -> dict[str, Any]:
    app = msal.ConfidentialClientApplication(
        client_id,
        client_credential=credential,
        authority=sim.authority(tenant_id),
        instance_discovery=False,
        http_client=http,
    )
    return dict(app.acquire_token_for_client([GRAPH_SCOPE]))


def token_request(sim: GraphSim, http: requests.Session, tenant: str, **form: str) -> requests.Response:
    data = {"grant_type": "client_credentials", "scope": GRAPH_SCOPE, **form}
    return http.post(f"{sim.base_url}/{tenant}/oauth2/v2.0/token", data=data, timeout=10)


def test_msal_secret_gets_a_graph_token_with_entra_claims(sim: GraphSim, http: requests.Session) -> None:
    tenant, app = sim.tenants[0].id, sim.secret_app
    result = msal_token(sim, http, tenant, app.client_id, app.msal_credential())

    assert result["token_type"] == "Bearer"
    assert 3600 <= result["expires_in"] <= 5400
    jwks = http.get(f"{sim.base_url}/{tenant}/discovery/v2.0/keys", timeout=10).json()
    key = jwt.PyJWK(jwks["keys"][0]).key
    claims = jwt.decode(
        result["access_token"], key, algorithms=["RS256"], audience="https://graph.microsoft.com"
    )
    assert claims["tid"] == tenant
    assert claims["appid"] == app.client_id
    assert claims["iss"] == f"https://sts.windows.net/{tenant}/"
    assert set(claims["roles"]) == set(app.roles)
    assert claims["nbf"] <= claims["iat"] < claims["exp"]
    graph = http.get(
        sim.graph_url(DC), headers={"Authorization": f"Bearer {result['access_token']}"}, timeout=10
    )
    assert graph.status_code == 200


@pytest.mark.parametrize("form", ["pem_with_certificate", "sha1_thumbprint"])
def test_msal_certificate_assertion_is_verified_and_accepted(
    sim: GraphSim, http: requests.Session, form: str
) -> None:
    app = sim.certificate_app
    assert app.private_key_file is not None and app.thumbprint is not None
    credential: Any = app.msal_credential()
    if form == "sha1_thumbprint":  # MSAL then signs RS256 with an x5t header instead of PS256 with x5t#S256
        credential = {"private_key": credential["private_key"], "thumbprint": app.thumbprint}
    result = msal_token(sim, http, sim.tenants[1].id, app.client_id, credential)
    assert "access_token" in result, result.get("error_description")


def test_assertion_signed_by_an_unregistered_certificate_is_refused(
    sim: GraphSim, http: requests.Session
) -> None:
    stranger = sim.admin.register_app("stranger", certificate=True)
    app = sim.certificate_app
    credential = {"private_key": stranger.private_key_pem, "public_certificate": stranger.certificate_pem}
    result = msal_token(sim, http, sim.tenants[0].id, app.client_id, credential)
    assert result["error"] == "invalid_client"
    assert result["error_codes"] == [700027]


def test_wrong_secret_is_aadsts7000215_in_entra_shape(sim: GraphSim, http: requests.Session) -> None:
    response = token_request(
        sim, http, sim.tenants[0].id, client_id=sim.secret_app.client_id, client_secret="not-the-secret"
    )
    assert response.status_code == 401
    body = response.json()
    assert body["error"] == "invalid_client"
    assert body["error_codes"] == [7000215]
    assert body["error_description"].startswith("AADSTS7000215: Invalid client secret provided.")
    assert {"timestamp", "trace_id", "correlation_id"} <= set(body)


def test_app_not_consented_in_tenant_is_aadsts700016(sim: GraphSim, http: requests.Session) -> None:
    new_tenant = sim.admin.create_tenant("Onboarding Ltd")
    app = sim.secret_app
    result = msal_token(sim, http, new_tenant, app.client_id, app.msal_credential())
    assert result["error"] == "unauthorized_client"
    assert result["error_codes"] == [700016]
    assert "was not found in the directory 'Onboarding Ltd'" in result["error_description"]


def test_consent_without_permissions_gives_a_token_without_roles_then_graph_403(
    sim: GraphSim, http: requests.Session
) -> None:
    tenant = sim.tenants[0].id
    app = sim.admin.register_app("consented, no permissions")
    sim.admin.consent(tenant, app.client_id, [])
    token = sim.token(tenant, app.client_id, app.client_secret)
    assert "roles" not in jwt.decode(token, options={"verify_signature": False})
    response = http.get(sim.graph_url(DC), headers={"Authorization": f"Bearer {token}"}, timeout=10)
    assert response.status_code == 403
    assert "Application is not authorized to perform this operation." in response.json()["error"]["message"]


def test_unknown_tenant_and_bad_requests_get_entra_errors(sim: GraphSim, http: requests.Session) -> None:
    discovery = http.get(
        f"{sim.base_url}/00000000-0000-0000-0000-000000000bad/v2.0/.well-known/openid-configuration",
        timeout=10,
    )
    assert discovery.status_code == 400
    assert discovery.json()["error_codes"] == [90002]
    tenant, app = sim.tenants[0].id, sim.secret_app
    wrong_scope = token_request(
        sim, http, tenant, client_id=app.client_id, client_secret=str(app.client_secret), scope="User.Read"
    )
    assert wrong_scope.json()["error"] == "invalid_scope"
    no_grant = http.post(
        f"{sim.base_url}/{tenant}/oauth2/v2.0/token", data={"client_id": app.client_id}, timeout=10
    )
    assert no_grant.json()["error"] == "unsupported_grant_type"
    no_credential = token_request(sim, http, tenant, client_id=app.client_id)
    assert no_credential.status_code == 401
    assert no_credential.json()["error_codes"] == [7000218]


def test_discovery_by_domain_name_points_at_the_tenant_guid(sim: GraphSim, http: requests.Session) -> None:
    tenant = sim.admin.tenant_state(sim.tenants[0].id)["tenant"]
    config = http.get(
        f"{sim.base_url}/{tenant['domain']}/v2.0/.well-known/openid-configuration", timeout=10
    ).json()
    assert config["token_endpoint"] == f"{sim.base_url}/{tenant['id']}/oauth2/v2.0/token"
    assert config["authorization_endpoint"].startswith("https://")


def test_short_token_lifetime_expires_into_graph_401(sim: GraphSim, http: requests.Session) -> None:
    sim.admin.configure(tokens={"lifetime_min_seconds": 1, "lifetime_max_seconds": 1})
    token = sim.token(sim.tenants[0].id)
    headers = {"Authorization": f"Bearer {token}"}
    assert http.get(sim.graph_url(DC), headers=headers, timeout=10).status_code == 200
    expires = jwt.decode(token, options={"verify_signature": False})["exp"]
    wait_until(lambda: time.time() > expires, message="the token's exp to pass")
    expired = http.get(sim.graph_url(DC), headers=headers, timeout=10)
    assert expired.status_code == 401
    assert expired.json()["error"]["code"] == "InvalidAuthenticationToken"
    assert "expired" in expired.json()["error"]["message"]


def test_graphsims_own_url_is_a_graph_resource_like_a_national_cloud(
    sim: GraphSim, http: requests.Session
) -> None:
    tenant, app = sim.tenants[0].id, sim.secret_app
    form = {"client_id": app.client_id, "client_secret": str(app.client_secret)}
    own = token_request(sim, http, tenant, **form, scope=f"{sim.base_url}/.default").json()
    assert jwt.decode(own["access_token"], options={"verify_signature": False})["aud"] == sim.base_url
    graph = http.get(
        sim.graph_url(DC), headers={"Authorization": f"Bearer {own['access_token']}"}, timeout=10
    )
    assert graph.status_code == 200
    other = token_request(sim, http, tenant, **form, scope="https://management.azure.com/.default")
    assert other.json()["error"] == "invalid_resource"
