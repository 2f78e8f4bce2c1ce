"""Throttling in graphsim: budgets per app and per tenant, writes apart, 429 shape, Retry-After, recovery."""

from __future__ import annotations

import time

import pytest
import requests

from local.graphsim.testing import GraphSim

DC = "deviceManagement/deviceConfigurations"
SCRIPTS = "deviceManagement/deviceManagementScripts"
WINDOWS = {"@odata.type": "#microsoft.graph.windows10GeneralConfiguration", "displayName": "WIN - Throttle"}


def auth(sim: GraphSim, client_id: str | None = None, secret: str | None = None) -> dict[str, str]:
    return {"Authorization": f"Bearer {sim.token(sim.tenants[0].id, client_id, secret)}"}


def statuses(http: requests.Session, url: str, headers: dict[str, str], count: int) -> list[int]:
    return [http.get(url, headers=headers, timeout=10).status_code for _ in range(count)]


def test_429_past_the_app_budget_then_recovery_after_the_window(
    sim: GraphSim, http: requests.Session
) -> None:
    headers = auth(sim)
    sim.admin.set_throttle(scale=0.01, window_seconds=1.5)  # 10 reads per app per tenant per 1.5 s
    assert statuses(http, sim.graph_url(DC), headers, 10) == [200] * 10
    throttled = http.get(sim.graph_url(DC), headers=headers, timeout=10)
    assert throttled.status_code == 429
    error = throttled.json()["error"]
    assert error["code"] == "TooManyRequests" and error["message"] == "Please retry again later."
    inner = error["innerError"]
    assert {k: inner[k] for k in ("code", "message", "status")} == {
        "code": "429",
        "message": "Please retry after",
        "status": "429",
    }
    assert inner["request-id"] == throttled.headers["request-id"] and "date" in inner
    wait = int(throttled.headers["Retry-After"])
    assert 1 <= wait <= 2
    # Sleeps in this file are what is tested: windows pass in real time, and polling would add requests.
    time.sleep(1.6)
    assert http.get(sim.graph_url(DC), headers=headers, timeout=10).status_code == 200


def test_throttled_requests_still_count(sim: GraphSim, http: requests.Session) -> None:
    headers = auth(sim)
    sim.admin.set_throttle(scale=0.01, window_seconds=1.0)
    statuses(http, sim.graph_url(DC), headers, 10)
    time.sleep(0.6)  # into the window (a sleep under test, as above)
    assert statuses(http, sim.graph_url(DC), headers, 5) == [429] * 5  # hammering during the window
    time.sleep(0.5)  # the first ten left the window, the five throttled ones did not
    assert http.get(sim.graph_url(DC), headers=headers, timeout=10).status_code == 200
    assert len(sim.admin.log(throttled=True)) == 5


def test_the_tenant_budget_is_shared_by_apps(sim: GraphSim, http: requests.Session) -> None:
    tenant = sim.tenants[0].id
    other = sim.admin.register_app("second app")
    sim.admin.consent(tenant, other.client_id, sim.secret_app.roles)
    first, second = auth(sim), auth(sim, other.client_id, other.client_secret)
    sim.admin.set_throttle(scale=0.01, window_seconds=5)  # 10 per app, 20 per tenant
    assert statuses(http, sim.graph_url(DC), first, 10) == [200] * 10
    assert statuses(http, sim.graph_url(DC), second, 10) == [200] * 10
    third = sim.admin.register_app("third app")
    sim.admin.consent(tenant, third.client_id, sim.secret_app.roles)
    assert statuses(http, sim.graph_url(DC), auth(sim, third.client_id, third.client_secret), 1) == [429]


def test_writes_have_their_own_smaller_budget(sim: GraphSim, http: requests.Session) -> None:
    headers = auth(sim)
    sim.admin.set_throttle(scale=0.02, window_seconds=5)  # writes: 2 per app; any: 20 per app
    posts = [
        http.post(sim.graph_url(DC), json=WINDOWS, headers=headers, timeout=10).status_code for _ in range(3)
    ]
    assert posts == [201, 201, 429]
    assert http.get(sim.graph_url(DC), headers=headers, timeout=10).status_code == 200


def test_the_devices_area_has_twice_the_budget(sim: GraphSim, http: requests.Session) -> None:
    headers = auth(sim)
    sim.admin.set_throttle(scale=0.01, window_seconds=5)
    assert statuses(http, sim.graph_url(DC), headers, 11)[-1] == 429
    assert statuses(http, sim.graph_url(SCRIPTS), headers, 20) == [200] * 20
    assert statuses(http, sim.graph_url(SCRIPTS), headers, 1) == [429]


@pytest.mark.parametrize(
    ("style", "check"),
    [
        ("decimal", lambda value: value is not None and "." in value and float(value) > 0),
        ("none", lambda value: value is None),
    ],
)
def test_retry_after_styles(sim: GraphSim, http: requests.Session, style: str, check: object) -> None:
    headers = auth(sim)
    sim.admin.set_throttle(scale=0.0005, window_seconds=5, retry_after=style)  # 1 request per window
    http.get(sim.graph_url(DC), headers=headers, timeout=10)
    throttled = http.get(sim.graph_url(DC), headers=headers, timeout=10)
    assert throttled.status_code == 429
    assert callable(check) and check(throttled.headers.get("Retry-After"))


def test_throttling_can_be_switched_off_and_limits_are_reported(
    sim: GraphSim, http: requests.Session
) -> None:
    limits = sim.admin.counters()["throttle_limits"]
    assert limits["configuration"]["any"] == {"per_tenant": 2000, "per_app_per_tenant": 1000}
    assert limits["devices"]["write"] == {"per_tenant": 400, "per_app_per_tenant": 200}
    sim.admin.set_throttle(scale=0.0005, enabled=False)
    assert statuses(http, sim.graph_url(DC), auth(sim), 5) == [200] * 5
