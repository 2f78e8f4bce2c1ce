"""Fault injection in graphsim: random 503/504/drops and scripted rules, including apply-then-drop."""

from __future__ import annotations

import pytest
import requests

from local.graphsim.admin_client import AdminApiError
from local.graphsim.testing import GraphSim

DC = "deviceManagement/deviceConfigurations"
WINDOWS = {
    "@odata.type": "#microsoft.graph.windows10GeneralConfiguration",
    "displayName": "WIN - Unknown outcome",
}


@pytest.fixture
def headers(sim: GraphSim) -> dict[str, str]:
    return {"Authorization": f"Bearer {sim.token(sim.tenants[0].id)}"}


def test_random_503_carries_retry_after(
    sim: GraphSim, http: requests.Session, headers: dict[str, str]
) -> None:
    sim.admin.set_faults(rate_503=1.0, retry_after_503=1.5)
    response = http.get(sim.graph_url(DC), headers=headers, timeout=10)
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "1.5"
    assert response.json()["error"]["code"] == "ServiceUnavailable"
    assert sim.admin.log(faulted=True)[0]["fault"] == "status:503 (random)"


def test_random_504(sim: GraphSim, http: requests.Session, headers: dict[str, str]) -> None:
    sim.admin.set_faults(rate_504=1.0)
    response = http.get(sim.graph_url(DC), headers=headers, timeout=10)
    assert response.status_code == 504
    assert response.json()["error"]["code"] == "GatewayTimeout"


def test_random_drop_cuts_the_connection(
    sim: GraphSim, http: requests.Session, headers: dict[str, str]
) -> None:
    sim.admin.set_faults(rate_drop=1.0)
    with pytest.raises(requests.ConnectionError):
        http.get(sim.graph_url(DC), headers=headers, timeout=10)
    sim.admin.set_faults(rate_drop=0.0)
    assert http.get(sim.graph_url(DC), headers=headers, timeout=10).status_code == 200


def test_rates_are_roughly_honoured(sim: GraphSim, http: requests.Session, headers: dict[str, str]) -> None:
    sim.admin.set_faults(rate_503=0.5, seed=7)
    codes = [http.get(sim.graph_url(DC), headers=headers, timeout=10).status_code for _ in range(60)]
    assert 15 <= codes.count(503) <= 45
    assert set(codes) == {200, 503}


def test_scripted_rule_fires_on_chosen_occurrences_only(
    sim: GraphSim, http: requests.Session, headers: dict[str, str]
) -> None:
    sim.admin.set_faults(
        rules=[
            {
                "method": "GET",
                "path": r"/beta/deviceManagement/deviceConfigurations$",
                "occurrences": [2, 3],
                "status": 429,
                "code": "TooManyRequests",
            }
        ]
    )
    codes = [http.get(sim.graph_url(DC), headers=headers, timeout=10).status_code for _ in range(4)]
    assert codes == [200, 429, 429, 200]
    assert http.get(sim.graph_url("groups"), headers=headers, timeout=10).status_code == 200
    assert sim.admin.counters()["fault_rule_matches"] == [4]


def test_scripted_drop_loses_the_write(
    sim: GraphSim, http: requests.Session, headers: dict[str, str]
) -> None:
    sim.admin.set_faults(rules=[{"method": "POST", "path": "deviceConfigurations", "action": "drop"}])
    with pytest.raises(requests.ConnectionError):
        http.post(sim.graph_url(DC), json=WINDOWS, headers=headers, timeout=10)
    names = [o["displayName"] for o in sim.admin.tenant_state(sim.tenants[0].id)["collections"][DC]]
    assert WINDOWS["displayName"] not in names


def test_apply_then_drop_keeps_the_write_but_never_answers(
    sim: GraphSim, http: requests.Session, headers: dict[str, str]
) -> None:
    sim.admin.set_faults(
        rules=[
            {
                "method": "POST",
                "path": "deviceConfigurations",
                "occurrences": [1],
                "action": "apply_then_drop",
            }
        ]
    )
    with pytest.raises(requests.ConnectionError):
        http.post(sim.graph_url(DC), json=WINDOWS, headers=headers, timeout=10)
    names = [o["displayName"] for o in sim.admin.tenant_state(sim.tenants[0].id)["collections"][DC]]
    assert names.count(WINDOWS["displayName"]) == 1
    entry = sim.admin.log(method="POST")[-1]
    assert entry["status"] == 201 and entry["fault"] == "apply_then_drop (rule:0)"
    retried = http.post(sim.graph_url(DC), json=WINDOWS, headers=headers, timeout=10)
    assert retried.status_code == 201  # the rule fired once; a blind retry now duplicates the object


def test_bad_fault_config_is_a_clear_400(sim: GraphSim) -> None:
    for faults in (
        {"rules": [{"path": "("}]},
        {"rate_503": 2},
        {"rules": [{"action": "explode"}]},
        {"unknown": 1},
    ):
        with pytest.raises(AdminApiError) as error:
            sim.admin.set_faults(**faults)
        assert error.value.status == 400 and error.value.message


def test_apply_then_drop_inside_a_batch_applies_the_write_and_drops_the_batch(
    sim: GraphSim, http: requests.Session, headers: dict[str, str]
) -> None:
    sim.admin.set_faults(
        rules=[{"method": "POST", "path": "deviceConfigurations", "action": "apply_then_drop"}]
    )
    batch = {
        "requests": [
            {
                "id": "1",
                "method": "POST",
                "url": f"/{DC}",
                "body": WINDOWS,
                "headers": {"Content-Type": "application/json"},
            },
            {"id": "2", "method": "GET", "url": "/groups"},
        ]
    }
    with pytest.raises(requests.ConnectionError):
        http.post(sim.graph_url("$batch"), json=batch, headers=headers, timeout=10)
    names = [o["displayName"] for o in sim.admin.tenant_state(sim.tenants[0].id)["collections"][DC]]
    assert names.count(WINDOWS["displayName"]) == 1
    assert [e["status"] for e in sim.admin.log(in_batch=True)] == [201, 200]
