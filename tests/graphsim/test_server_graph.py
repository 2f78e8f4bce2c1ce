"""Graph's front door in graphsim: auth, tenant isolation, headers, routing and bad input."""

from __future__ import annotations

import time

import jwt
import requests
from cryptography.hazmat.primitives.asymmetric import rsa

from local.graphsim.testing import GraphSim

DC = "deviceManagement/deviceConfigurations"
WINDOWS = {"@odata.type": "#microsoft.graph.windows10GeneralConfiguration", "displayName": "WIN - Baseline"}


def bearer(sim: GraphSim, tenant_index: int = 0) -> dict[str, str]:
    return {"Authorization": f"Bearer {sim.token(sim.tenants[tenant_index].id)}"}


def test_demo_profile_has_three_seeded_tenants_and_both_apps(sim: GraphSim, http: requests.Session) -> None:
    assert [(t.name, t.objects) for t in sim.tenants] == [
        ("Contoso Dental", 150),
        ("Fabrikam Legal", 150),
        ("Northwind Clinics", 150),
    ]
    for app in sim.apps:
        assert set(app.tenants) == {t.id for t in sim.tenants}
    for tenant in sim.tenants:
        response = http.get(
            sim.graph_url("groups"), headers={"Authorization": f"Bearer {sim.token(tenant.id)}"}, timeout=10
        )
        assert response.status_code == 200
        assert response.json()["value"], "the seed gives every tenant groups for assignments"
        stored = sim.admin.tenant_state(tenant.id)["collections"]
        assert 120 <= sum(len(objects) for objects in stored.values()) <= 200, "about 150 objects per tenant"


def test_missing_forged_and_expired_tokens_are_401_in_graph_shape(
    sim: GraphSim, http: requests.Session
) -> None:
    tenant = sim.tenants[0].id
    now = int(time.time())
    claims = {
        "aud": "https://graph.microsoft.com",
        "iss": f"https://sts.windows.net/{tenant}/",
        "tid": tenant,
        "appid": sim.secret_app.client_id,
        "roles": list(sim.secret_app.roles),
        "iat": now,
        "nbf": now,
        "exp": now + 600,
    }
    forged = jwt.encode(
        claims, rsa.generate_private_key(public_exponent=65537, key_size=2048), algorithm="RS256"
    )
    for headers, message in [
        ({}, "Access token is empty."),
        ({"Authorization": "Basic abc"}, "Access token is empty."),
        ({"Authorization": f"Bearer {forged}"}, "Signature validation failed"),
        ({"Authorization": "Bearer not-a-jwt"}, "malformed"),
    ]:
        response = http.get(sim.graph_url(DC), headers=headers, timeout=10)
        assert response.status_code == 401, headers
        error = response.json()["error"]
        assert error["code"] == "InvalidAuthenticationToken"
        assert message in error["message"]
        assert error["innerError"]["request-id"] == response.headers["request-id"]
        assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_request_ids_are_echoed(sim: GraphSim, http: requests.Session) -> None:
    response = http.get(
        sim.graph_url(DC), headers={**bearer(sim), "client-request-id": "abc-123"}, timeout=10
    )
    assert response.headers["client-request-id"] == "abc-123"
    assert len(response.headers["request-id"]) == 36
    entry = sim.admin.log(path="deviceConfigurations")[-1]
    assert entry["request_id"] == response.headers["request-id"]
    assert entry["tenant"] == sim.tenants[0].id and entry["app"] == sim.secret_app.client_id


def test_403_when_app_lacks_the_permission(sim: GraphSim, http: requests.Session) -> None:
    tenant = sim.tenants[0].id
    app = sim.admin.register_app("groups only")
    sim.admin.consent(tenant, app.client_id, ["Group.Read.All"])
    headers = {"Authorization": f"Bearer {sim.token(tenant, app.client_id, app.client_secret)}"}
    response = http.get(sim.graph_url(DC), headers=headers, timeout=10)
    assert response.status_code == 403
    assert "DeviceManagementConfiguration.Read.All" in response.json()["error"]["message"]
    assert http.get(sim.graph_url("groups"), headers=headers, timeout=10).status_code == 200


def test_a_tenant_never_sees_another_tenants_objects(sim: GraphSim, http: requests.Session) -> None:
    created = http.post(sim.graph_url(DC), json=WINDOWS, headers=bearer(sim, 0), timeout=10)
    assert created.status_code == 201, created.text
    object_id = created.json()["id"]
    assert http.get(sim.graph_url(f"{DC}/{object_id}"), headers=bearer(sim, 0), timeout=10).status_code == 200
    assert http.get(sim.graph_url(f"{DC}/{object_id}"), headers=bearer(sim, 1), timeout=10).status_code == 404


def test_v1_and_beta_are_served_and_unknown_versions_are_400(sim: GraphSim, http: requests.Session) -> None:
    assert http.get(sim.graph_url(DC, "v1.0"), headers=bearer(sim), timeout=10).status_code == 200
    response = http.get(f"{sim.base_url}/v2.0/{DC}", headers=bearer(sim), timeout=10)
    assert response.status_code == 400
    assert response.json()["error"]["message"] == "Invalid version: v2.0"
    nowhere = http.get(f"{sim.base_url}/nowhere", timeout=10)
    assert nowhere.status_code == 404 and nowhere.json()["error"]["code"] == "NotFound"


def test_bad_json_and_wrong_methods_are_clear_errors_not_500(sim: GraphSim, http: requests.Session) -> None:
    headers = {**bearer(sim), "Content-Type": "application/json"}
    bad_json = http.post(sim.graph_url(DC), data=b"{not json", headers=headers, timeout=10)
    assert bad_json.status_code == 400
    assert bad_json.json()["error"]["message"].startswith("Unable to read JSON request payload.")
    wrong_method = http.put(f"{sim.base_url}/_sim/log", headers=headers, timeout=10)
    assert wrong_method.status_code == 404
    assert "No admin route for PUT /_sim/log" in wrong_method.json()["error"]["message"]
    too_big = http.post(sim.graph_url(DC), data=b"x" * (33 * 1024 * 1024), headers=headers, timeout=30)
    assert too_big.status_code == 413
    assert too_big.json()["error"]["code"] == "RequestEntityTooLarge"


def test_admin_prefix_is_never_graph_and_graph_never_admin(sim: GraphSim, http: requests.Session) -> None:
    as_graph = http.get(sim.graph_url("_sim/log"), headers=bearer(sim), timeout=10)
    assert as_graph.status_code in (400, 404)
    assert "responses" not in as_graph.text and "time" not in as_graph.json()
    without_key = http.get(f"{sim.base_url}/_sim/log", headers=bearer(sim), timeout=10)
    assert without_key.status_code == 401


def test_latency_is_added_per_request(sim: GraphSim, http: requests.Session) -> None:
    headers = bearer(sim)
    sim.admin.set_latency(base_ms=150, jitter_ms=50)
    started = time.monotonic()
    assert http.get(sim.graph_url(DC), headers=headers, timeout=10).status_code == 200
    # A lower bound only: the injected wait is the behaviour; how fast the rest is belongs in bench/.
    assert time.monotonic() - started >= 0.15
    sim.admin.set_latency(0, 0)
