"""graphsim's admin API: tenants, apps, consents, raw objects and drift, state, log, counters, reset."""

from __future__ import annotations

import time
from typing import Any

import pytest
import requests

from local.graphsim.admin_client import AdminApiError
from local.graphsim.testing import GraphSim

DC = "deviceManagement/deviceConfigurations"
RAW_PROFILE: dict[str, Any] = {
    "@odata.type": "#microsoft.graph.windows10CustomConfiguration",
    "id": "11111111-2222-3333-4444-555555555555",
    "displayName": "WIN - OMA-URI - Raw",
    "description": "",
    "roleScopeTagIds": ["0"],
    "createdDateTime": "2024-01-02T03:04:05Z",
    "lastModifiedDateTime": "2024-01-02T03:04:05Z",
    "version": 3,
    "omaSettings": [],
}


def test_requests_without_the_admin_key_are_401(sim: GraphSim, http: requests.Session) -> None:
    for headers in ({}, {"X-Graphsim-Admin-Key": "wrong"}):
        response = http.get(f"{sim.base_url}/_sim/tenants", headers=headers, timeout=10)
        assert response.status_code == 401
        assert "X-Graphsim-Admin-Key" in response.json()["error"]["message"]
    assert http.get(f"{sim.base_url}/_sim/health", timeout=10).json() == {"status": "ok"}


def test_new_tenant_app_and_consent_reach_graph(sim: GraphSim, http: requests.Session) -> None:
    tenant = sim.admin.create_tenant("Woodgrove Bank", seed="none")
    app = sim.admin.register_app("MSP tool")
    sim.admin.consent(tenant, app.client_id, ["DeviceManagementConfiguration.Read.All"])
    token = sim.token(tenant, app.client_id, app.client_secret)
    response = http.get(sim.graph_url(DC), headers={"Authorization": f"Bearer {token}"}, timeout=10)
    assert response.status_code == 200 and response.json()["value"] == []
    state = sim.admin.tenant_state(tenant)
    assert state["tenant"]["name"] == "Woodgrove Bank"
    assert state["tenant"]["domain"] == "woodgrovebank.onmicrosoft.com"
    assert state["consents"] == {app.client_id: ["DeviceManagementConfiguration.Read.All"]}
    assert any(
        a["client_id"] == app.client_id and a["secret_count"] == 1 for a in sim.admin.call("GET", "/apps")
    )


def test_raw_objects_are_served_exactly_and_drift_is_visible(sim: GraphSim, http: requests.Session) -> None:
    tenant = sim.admin.create_tenant(seed="defaults")
    app = sim.admin.register_app("reader")
    sim.admin.consent(tenant, app.client_id, ["DeviceManagementConfiguration.Read.All"])
    headers = {"Authorization": f"Bearer {sim.token(tenant, app.client_id, app.client_secret)}"}
    stored = sim.admin.put_object(tenant, DC, RAW_PROFILE)
    assert stored["id"] == RAW_PROFILE["id"]
    url = sim.graph_url(f"{DC}/{RAW_PROFILE['id']}")
    served = http.get(url, headers=headers, timeout=10).json()
    assert {k: served[k] for k in RAW_PROFILE} == RAW_PROFILE

    sim.admin.patch_object(tenant, DC, RAW_PROFILE["id"], {"displayName": "WIN - OMA-URI - Drifted"})
    assert http.get(url, headers=headers, timeout=10).json()["displayName"] == "WIN - OMA-URI - Drifted"
    sim.admin.delete_object(tenant, DC, RAW_PROFILE["id"])
    assert http.get(url, headers=headers, timeout=10).status_code == 404


def test_seeded_tenant_by_admin_call(sim: GraphSim) -> None:
    tenant = sim.admin.create_tenant("Sized", seed={"objects": 40, "seed": 3})
    total = sum(len(objects) for objects in sim.admin.tenant_state(tenant)["collections"].values())
    assert total > 0
    assert DC in sim.admin.call("GET", "/collections")


@pytest.mark.parametrize(
    ("call", "status"),
    [
        (lambda a: a.tenant_state("00000000-0000-0000-0000-000000000001"), 404),
        (lambda a: a.create_tenant(tenant_id="not-a-guid"), 400),
        (lambda a: a.create_tenant(seed="lots"), 400),
        (lambda a: a.consent("00000000-0000-0000-0000-000000000001", "x", []), 404),
        (lambda a: a.call("POST", "/apps", {"name": 5}), 400),
        (lambda a: a.call("POST", "/apps", {"certificate_pem": "nope"}), 400),
        (lambda a: a.call("PATCH", "/config", {"latency": {"base_ms": -1}}), 400),
        (lambda a: a.call("GET", "/log", params={"status": "abc"}), 400),
        (lambda a: a.call("GET", "/log", params={"colour": "red"}), 400),
    ],
)
def test_bad_admin_input_is_a_clear_4xx(sim: GraphSim, call: object, status: int) -> None:
    with pytest.raises(AdminApiError) as error:
        assert callable(call)
        call(sim.admin)
    assert error.value.status == status
    assert error.value.message


def test_bad_object_input_is_400_not_500(sim: GraphSim, http: requests.Session) -> None:
    tenant = sim.tenants[0].id
    body: dict[str, Any]
    for body in (
        {"collection": "deviceManagement/noSuchThing", "object": {}},
        {"collection": DC},
        {"object": {}},
    ):
        with pytest.raises(AdminApiError) as error:
            sim.admin.call("POST", f"/tenants/{tenant}/objects", body)
        assert error.value.status == 400
    with pytest.raises(AdminApiError) as error:
        sim.admin.patch_object(tenant, DC, "00000000-0000-0000-0000-00000000dead", {"displayName": "x"})
    assert error.value.status == 400
    raw = http.post(f"{sim.base_url}/_sim/tenants", data=b"{oops", timeout=10, headers=sim.admin.auth_headers)
    assert raw.status_code == 400 and "not valid JSON" in raw.json()["error"]["message"]


def test_request_log_filters_and_clears(sim: GraphSim, http: requests.Session) -> None:
    headers = {"Authorization": f"Bearer {sim.token(sim.tenants[0].id)}"}
    started = time.time()
    http.get(sim.graph_url(DC), headers=headers, timeout=10)
    http.get(sim.graph_url("groups"), headers=headers, timeout=10)
    http.get(sim.graph_url(DC), timeout=10)
    assert [e["path"] for e in sim.admin.log(kind="graph")] == [f"/beta/{DC}", "/beta/groups", f"/beta/{DC}"]
    assert len(sim.admin.log(kind="token")) == 1
    assert [e["status"] for e in sim.admin.log(path="deviceConfigurations")] == [200, 401]
    assert len(sim.admin.log(tenant=sim.tenants[0].id, app=sim.secret_app.client_id, kind="graph")) == 2
    assert len(sim.admin.log(since=started - 1, limit=1)) == 1
    entry = sim.admin.log(status=200, kind="graph")[0]
    assert set(entry) >= {
        "time",
        "tenant",
        "app",
        "method",
        "path",
        "status",
        "throttled",
        "faulted",
        "in_batch",
    }
    counters = sim.admin.counters()["requests"]
    assert counters["graph.requests"] == 3 and counters["graph.status.401"] == 1
    sim.admin.clear_log()
    assert sim.admin.log() == [] and sim.admin.counters()["requests"] == {}


def test_reset_restores_the_start_state_and_keeps_tokens_valid(sim: GraphSim, http: requests.Session) -> None:
    tenant = sim.tenants[0].id
    headers = {"Authorization": f"Bearer {sim.token(tenant)}"}
    extra = sim.admin.create_tenant("Temporary")
    sim.admin.set_latency(base_ms=5)
    created = http.post(
        sim.graph_url(DC),
        headers=headers,
        timeout=10,
        json={
            "@odata.type": "#microsoft.graph.windows10GeneralConfiguration",
            "displayName": "WIN - Temporary",
        },
    )
    assert created.status_code == 201
    before = sim.admin.tenant_state(tenant)["collections"][DC]

    sim.admin.reset()
    assert [t["id"] for t in sim.admin.call("GET", "/tenants")] == [t.id for t in sim.tenants]
    assert extra not in [t["id"] for t in sim.admin.call("GET", "/tenants")]
    assert sim.admin.call("GET", "/config")["latency"]["base_ms"] == 0
    after = sim.admin.tenant_state(tenant)["collections"][DC]
    assert len(after) == len(before) - 1
    assert http.get(sim.graph_url(DC), headers=headers, timeout=10).status_code == 200

    sim.admin.reset(reseed=False)
    assert sim.admin.call("GET", "/tenants") == []
    assert http.get(sim.graph_url(DC), headers=headers, timeout=10).status_code == 401
