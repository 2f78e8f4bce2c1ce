"""Fleet runs on the devhost: one backup request over three tenants gives one parent and three child
backups, the same again while it runs gives the same runs, and the parent ends from its children; a
tenant the caller does not operate refuses the request with nothing started; a baseline rollout to two
tenants previews both and writes only into the tenant confirmed, after confirmation."""

from __future__ import annotations

import time
from typing import Any

import pytest
import requests

from local.apptesting import OPERATOR_A, App
from local.stack import GRAPHSIM_CREDENTIAL_REF
from shared.auth.memberships import MembershipStore
from shared.auth.roles import Role
from shared.runs.model import FLEET
from shared.storage import encode_key, names
from shared.tenants import TenantRegistry

FLEET_OPERATOR = "flora@msp.example"
"""Operator on tenants A, B and a third, empty one; reader only on a fourth."""


@pytest.fixture(scope="module")
def tenants(app: App) -> dict[str, str]:
    sim = app.graphsim.admin
    registry = TenantRegistry(app.storage)
    memberships = MembershipStore(app.storage, registry)
    extra = {}
    for name in ("Fleet C", "Fleet D"):
        tenant = sim.create_tenant(name=name, seed="none")
        for sim_app in app.graphsim.apps:
            sim.consent(tenant, sim_app.client_id, sim_app.roles)
        registry.add(tenant, name, "public", GRAPHSIM_CREDENTIAL_REF)
        extra[name] = tenant
    key = app.principal_key(FLEET_OPERATOR)
    for tenant in (app.tenant_a, app.tenant_b, extra["Fleet C"]):
        memberships.grant(key, tenant, Role.OPERATOR, "e2e")
    memberships.grant(key, extra["Fleet D"], Role.READER, "e2e")
    return {"a": app.tenant_a, "b": app.tenant_b, "c": extra["Fleet C"], "d": extra["Fleet D"]}


def _fleet_rows(app: App) -> int:
    rows = app.storage.table(names.RUNS).query_entities(
        "PartitionKey eq @fleet", parameters={"fleet": encode_key(FLEET)}
    )
    return len(list(rows))


def _until_ended(app: App, url: str, timeout: float = 300) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        answer = requests.get(url, headers=app.headers(FLEET_OPERATOR), timeout=30)
        assert answer.status_code == 200, answer.text
        run: dict[str, Any] = answer.json()
        if run["status"] not in ("queued", "running"):
            return run
        assert time.monotonic() < deadline, f"fleet run still {run['status']}"
        time.sleep(0.5)


@pytest.mark.slow
def test_a_fleet_backup_of_three_tenants_is_one_parent_and_three_deduped_children(
    app: App, tenants: dict[str, str]
) -> None:
    body = {"tenants": [tenants["a"], tenants["b"], tenants["c"]]}
    started = app.post("api/backups", FLEET_OPERATOR, json=body)
    assert started.status_code == 202, started.text
    parent = started.json()
    assert (parent["type"], parent["tenantId"], parent["reused"]) == ("backup.fleet", FLEET, False)
    assert started.headers["Location"] == parent["statusUrl"]
    assert parent["statusUrl"].endswith(f"/api/fleet/runs/{parent['id']}")
    children = {t["tenantId"]: t["runId"] for t in parent["tenants"]}
    assert set(children) == set(body["tenants"]) and all(children.values())
    assert {t["run"]["type"] for t in parent["tenants"]} == {"backup.tenant"}

    again = app.post("api/backups", FLEET_OPERATOR, json={"tenants": list(reversed(body["tenants"]))})
    assert again.status_code == 202, again.text
    assert (again.json()["id"], again.json()["reused"]) == (parent["id"], True)
    assert {t["tenantId"]: t["runId"] for t in again.json()["tenants"]} == children

    ended = _until_ended(app, parent["statusUrl"])
    assert ended["status"] == "succeeded", ended
    assert (ended["counters"]["total"], ended["counters"]["succeeded"]) == (3, 3)
    assert {t["run"]["status"] for t in ended["tenants"]} == {"succeeded"}
    for tenant, run_id in children.items():
        child = app.get(f"api/tenants/{tenant}/runs/{run_id}", FLEET_OPERATOR).json()
        assert (child["status"], child["requestedBy"]) == ("succeeded", app.principal_key(FLEET_OPERATOR))

    after = app.post("api/backups", FLEET_OPERATOR, json=body)
    assert after.status_code == 202 and after.json()["id"] != parent["id"]
    _until_ended(app, after.json()["statusUrl"])


def test_a_tenant_without_the_operator_role_refuses_the_request_and_starts_nothing(
    app: App, tenants: dict[str, str]
) -> None:
    before = _fleet_rows(app)
    runs_before = app.get(f"api/tenants/{tenants['a']}/runs", FLEET_OPERATOR, params={"pageSize": "1000"})
    refused = app.post("api/backups", FLEET_OPERATOR, json={"tenants": [tenants["a"], tenants["d"]]})
    assert refused.status_code == 403 and refused.json()["code"] == "auth.forbidden", refused.text
    assert tenants["d"] not in refused.text
    assert _fleet_rows(app) == before
    runs_after = app.get(f"api/tenants/{tenants['a']}/runs", FLEET_OPERATOR, params={"pageSize": "1000"})
    assert len(runs_after.json()["items"]) == len(runs_before.json()["items"])


def test_another_caller_cannot_see_a_fleet_run(app: App, tenants: dict[str, str]) -> None:
    started = app.post("api/backups", FLEET_OPERATOR, json={"tenants": [tenants["c"]]})
    assert started.status_code == 202, started.text
    other = requests.get(started.json()["statusUrl"], headers=app.headers("someone@msp.example"), timeout=30)
    assert other.status_code == 404 and other.json()["code"] == "run.not_found"
    _until_ended(app, started.json()["statusUrl"])


@pytest.mark.parametrize("body", [[1], {}, {"tenants": []}, {"tenants": ["not-a-guid"]}, {"tenants": 5}])
def test_invalid_fleet_requests_are_400(app: App, tenants: dict[str, str], body: Any) -> None:
    answer = app.post("api/backups", FLEET_OPERATOR, json=body)
    assert answer.status_code == 400 and answer.json()["code"] == "fleet.invalid_request", answer.text


ROLLER = "bea@msp.example"
"""Admin on two fresh, empty tenants; reader on tenant A, the baseline's source."""
BASELINE_TYPE = "deviceConfigurations"


@pytest.fixture(scope="module")
def rollout_targets(app: App) -> list[str]:
    sim = app.graphsim.admin
    registry = TenantRegistry(app.storage)
    memberships = MembershipStore(app.storage, registry)
    targets = []
    for name in ("Rollout E", "Rollout F"):
        tenant = sim.create_tenant(name=name, seed="none")
        for sim_app in app.graphsim.apps:
            sim.consent(tenant, sim_app.client_id, sim_app.roles)
        registry.add(tenant, name, "public", GRAPHSIM_CREDENTIAL_REF)
        memberships.grant(app.principal_key(ROLLER), tenant, Role.ADMIN, "e2e")
        targets.append(tenant)
    memberships.grant(app.principal_key(ROLLER), app.tenant_a, Role.READER, "e2e")
    return targets


def _configurations(app: App, tenant: str) -> int:
    collections = app.graphsim.admin.tenant_state(tenant)["collections"]
    return len(collections.get(f"deviceManagement/{BASELINE_TYPE}", []))


def _ended_as(app: App, principal: str, url: str) -> dict[str, Any]:
    deadline = time.monotonic() + 300
    while True:
        run: dict[str, Any] = requests.get(url, headers=app.headers(principal), timeout=30).json()
        if run["status"] not in ("queued", "running"):
            return run
        assert time.monotonic() < deadline, f"fleet run still {run['status']}"
        time.sleep(0.5)


@pytest.mark.slow
def test_a_baseline_rollout_previews_every_tenant_and_writes_only_after_confirmation(
    app: App, rollout_targets: list[str]
) -> None:
    started = app.post(f"api/tenants/{app.tenant_a}/backups", OPERATOR_A)
    backup = app.wait_until_ended(started.headers["Location"], OPERATOR_A, timeout=180).json()
    expected = _configurations(app, app.tenant_a)
    assert expected > 0
    preview = app.post("api/restores", ROLLER, json={
        "mode": "preview", "tenants": rollout_targets, "types": [BASELINE_TYPE],
        "source": {"tenantId": app.tenant_a, "backupId": backup["id"]},
    })
    assert preview.status_code == 202, preview.text
    assert preview.json()["type"] == "restore.fleet_preview"
    reviewed = _ended_as(app, ROLLER, preview.json()["statusUrl"])
    assert reviewed["status"] == "succeeded", reviewed
    assert {t["run"]["type"] for t in reviewed["tenants"]} == {"restore.preview"}
    assert [_configurations(app, tenant) for tenant in rollout_targets] == [0, 0]

    unconfirmed = app.post("api/restores", ROLLER, json={"mode": "live", "fleetRunId": reviewed["id"]})
    assert unconfirmed.status_code == 422 and unconfirmed.json()["code"] == "restore.not_confirmed"
    outsider = app.post("api/restores", OPERATOR_A, json={
        "mode": "live", "fleetRunId": reviewed["id"], "confirm": True,
    })
    assert outsider.status_code in (403, 409), outsider.text
    assert [_configurations(app, tenant) for tenant in rollout_targets] == [0, 0]

    live = app.post("api/restores", ROLLER, json={
        "mode": "live", "fleetRunId": reviewed["id"], "confirm": True, "tenants": [rollout_targets[0]],
    })
    assert live.status_code == 202, live.text
    written = _ended_as(app, ROLLER, live.json()["statusUrl"])
    assert written["status"] == "succeeded", written
    assert [t["run"]["type"] for t in written["tenants"]] == ["restore.live"]
    [child] = written["tenants"]
    created = child["run"]["counters"]["succeeded"]
    assert 0 < created <= expected and created + child["run"]["counters"]["skipped"] == expected
    assert [_configurations(app, tenant) for tenant in rollout_targets] == [created, 0]


def test_cancelling_a_fleet_backup_cancels_its_tenant_runs_then_itself(
    app: App, tenants: dict[str, str], clean_graph: Any
) -> None:
    clean_graph.admin.set_latency(base_ms=1500)  # every Graph call slow: the backups are still running
    started = app.post("api/backups", FLEET_OPERATOR, json={"tenants": [tenants["a"], tenants["c"]]})
    assert started.status_code == 202, started.text
    parent = started.json()
    cancel_url = parent["statusUrl"] + "/cancel"

    other = requests.post(cancel_url, headers=app.headers("someone@msp.example"), timeout=30)
    assert other.status_code == 404 and other.json()["code"] == "run.not_found"

    answer = requests.post(cancel_url, headers=app.headers(FLEET_OPERATOR), timeout=60)
    assert answer.status_code == 200, answer.text
    cancelled = answer.json()
    assert (cancelled["status"], cancelled["leftRunning"]) == ("cancelled", {})
    assert {t["tenantId"]: t["run"]["status"] for t in cancelled["tenants"]} == {
        tenants["a"]: "cancelled",
        tenants["c"]: "cancelled",
    }
    for child in cancelled["tenants"]:
        trail = app.get(f"api/tenants/{child['tenantId']}/audit", FLEET_OPERATOR).json()["items"]
        assert any(a["action"] == "run.cancel" and a.get("runId") == child["runId"] for a in trail)
    assert cancelled["counters"]["failed"] == 2  # each tenant's item says its run was cancelled

    again = requests.post(cancel_url, headers=app.headers(FLEET_OPERATOR), timeout=30)
    assert again.status_code == 409 and again.json()["code"] == "run.not_active", again.text
    time.sleep(3)  # a terminated orchestration does not bring a run back
    after = requests.get(parent["statusUrl"], headers=app.headers(FLEET_OPERATOR), timeout=30).json()
    assert after["status"] == "cancelled" and {t["run"]["status"] for t in after["tenants"]} == {"cancelled"}


def test_another_operators_tenant_run_is_left_running_with_the_reason(
    app: App, tenants: dict[str, str], clean_graph: Any
) -> None:
    clean_graph.admin.set_latency(base_ms=1500)
    theirs = app.post(f"api/tenants/{tenants['a']}/backups", OPERATOR_A)
    assert theirs.status_code == 202, theirs.text
    their_run = theirs.json()
    started = app.post("api/backups", FLEET_OPERATOR, json={"tenants": [tenants["a"], tenants["c"]]})
    assert started.status_code == 202, started.text
    assert {t["tenantId"]: t["runId"] for t in started.json()["tenants"]}[tenants["a"]] == their_run["id"]

    answer = requests.post(
        started.json()["statusUrl"] + "/cancel", headers=app.headers(FLEET_OPERATOR), timeout=60
    )
    assert answer.status_code == 200, answer.text
    cancelled = answer.json()
    assert list(cancelled["leftRunning"]) == [tenants["a"]]
    assert cancelled["leftRunning"][tenants["a"]].startswith("auth.forbidden")
    status = {t["tenantId"]: t["run"]["status"] for t in cancelled["tenants"]}
    assert status[tenants["c"]] == "cancelled" and status[tenants["a"]] in ("queued", "running")
    mine = app.post(f"api/tenants/{tenants['a']}/runs/{their_run['id']}/cancel", OPERATOR_A)
    assert mine.status_code == 200 and mine.json()["status"] == "cancelled", mine.text
