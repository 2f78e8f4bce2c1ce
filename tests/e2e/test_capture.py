"""Capture snapshot end to end: dedupe under 50 concurrent requests, a quiet request path, a Graph
that throttles, fails and expires tokens, 60 settings across pages, and a deleted policy."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests

from local.apptesting import OPERATOR_A, SETTINGS_CATALOG, App
from local.devhost.engine.history import parse_time
from local.graphsim.testing import GraphSim

CHOICE = "#microsoft.graph.deviceManagementConfigurationChoiceSettingInstance"


def _instances(app: App, prefix: str) -> list[Any]:
    answer = requests.get(
        app.devhost.url("runtime/webhooks/durabletask/instances"),
        params={"instanceIdPrefix": prefix, "code": app.devhost.keys.durable_extension},
        timeout=30,
    )
    answer.raise_for_status()
    return list(answer.json())


def _history(app: App, instance_id: str) -> list[dict[str, Any]]:
    answer = requests.get(
        app.devhost.url(f"runtime/webhooks/durabletask/instances/{instance_id}"),
        params={"code": app.devhost.keys.durable_extension, "showHistory": "true"},
        timeout=30,
    )
    answer.raise_for_status()
    return list(answer.json()["historyEvents"])


def _started_activity_count(log: str, name: str) -> int:
    return log.count(f"Executed 'Functions.{name}'")


def test_fifty_concurrent_requests_make_one_run_and_one_orchestration(
    app: App, clean_graph: GraphSim
) -> None:
    policy_id = app.new_policy(app.tenant_a)
    path = app.capture_path(app.tenant_a, policy_id)
    log_before = len(app.devhost.log_text())
    headers = app.headers(OPERATOR_A)
    # Graph answers slowly, so the run is surely still running while the 50 requests arrive (a request
    # that comes after the run ended rightly starts a new one).
    clean_graph.admin.set_latency(base_ms=4000)

    def start(_: int) -> requests.Response:
        return requests.post(app.devhost.url(path), headers=headers, timeout=60)

    with ThreadPoolExecutor(max_workers=50) as pool:
        answers = list(pool.map(start, range(50)))

    refused = [answer.text for answer in answers if answer.status_code != 202]
    assert refused == []
    bodies = [answer.json() for answer in answers]
    run_ids = {body["id"] for body in bodies}
    assert len(run_ids) == 1
    assert sorted(body["reused"] for body in bodies) == [False] + [True] * 49
    assert {answer.headers["Location"] for answer in answers} == {bodies[0]["statusUrl"]}
    run = bodies[0]
    clean_graph.admin.set_latency(base_ms=0)
    ended = app.wait_until_ended(run["statusUrl"], OPERATOR_A)
    assert ended.status_code == 200 and ended.json()["status"] == "succeeded"

    runs = app.get(f"api/tenants/{app.tenant_a}/runs", OPERATOR_A, params={"pageSize": "1000"}).json()
    assert [r["id"] for r in runs["items"] if r["source"].get("policyId") == policy_id] == [run["id"]]
    prefix = run["instanceId"][: -len(run["id"])]
    assert [i["instanceId"] for i in _instances(app, prefix)] == [run["instanceId"]]
    log = app.devhost.log_text()[log_before:]
    assert _started_activity_count(log, "begin_run") == 1
    assert _started_activity_count(log, "capture_policy_item") == 1

    again = app.post(path, OPERATOR_A)
    assert again.status_code == 202 and again.json()["reused"] is False
    assert again.json()["id"] != run["id"]
    assert app.wait_until_ended(again.headers["Location"], OPERATOR_A).json()["status"] == "succeeded"
    assert len(_instances(app, prefix)) == 2


def test_answering_the_post_makes_no_graph_call(app: App, clean_graph: GraphSim) -> None:
    policy_id = app.new_policy(app.tenant_a)
    clean_graph.admin.clear_log()
    sent_at = datetime.now(UTC)
    started = app.post(app.capture_path(app.tenant_a, policy_id), OPERATOR_A)
    answered_at = datetime.now(UTC)
    assert started.status_code == 202
    app.wait_until_ended(started.headers["Location"], OPERATOR_A)

    entries = clean_graph.admin.log(since=sent_at.isoformat())
    assert entries, "the capture itself must show up in the simulator's log"
    during_post = [e for e in entries if datetime.fromisoformat(e["time"]) <= answered_at]
    assert during_post == []
    assert any(policy_id in entry["path"] for entry in entries)


def test_the_run_succeeds_through_429s_503s_and_an_expired_token(app: App, clean_graph: GraphSim) -> None:
    policy_id = app.new_policy(app.tenant_a)
    path = f"deviceConfigurations/{policy_id}$"
    clean_graph.admin.set_faults(
        rules=[
            {"path": path, "occurrences": [1], "action": "status", "status": 401,
             "code": "InvalidAuthenticationToken",
             "message": "Lifetime validation failed, the token is expired."},
            {"path": path, "occurrences": [2], "action": "status", "status": 429, "retry_after": "1.5"},
            {"path": path, "occurrences": [3], "action": "status", "status": 429},
            {"path": path, "occurrences": [4], "action": "status", "status": 503, "retry_after": "0.5"},
        ]
    )
    clean_graph.admin.clear_log()
    started = app.post(app.capture_path(app.tenant_a, policy_id), OPERATOR_A)
    ended = app.wait_until_ended(started.headers["Location"], OPERATOR_A)
    assert ended.status_code == 200 and ended.json()["status"] == "succeeded", ended.text

    statuses = [entry["status"] for entry in clean_graph.admin.log(path=policy_id + "$", kind="graph")]
    assert statuses == [401, 429, 429, 503, 200]
    assert clean_graph.admin.log(kind="token"), "the expired token was replaced by a new one"
    items = app.get(f"api/tenants/{app.tenant_a}/runs/{started.json()['id']}/items", OPERATOR_A).json()
    assert [(i["itemId"], i["outcome"]) for i in items["items"]] == [
        (f"deviceConfigurations:{policy_id}", "succeeded")
    ]


def test_a_settings_catalog_policy_with_sixty_settings_is_captured_whole(
    app: App, clean_graph: GraphSim
) -> None:
    settings = [
        {
            "settingInstance": {
                "@odata.type": CHOICE,
                "settingDefinitionId": f"device_vendor_msft_policy_config_e2e_setting{n:03d}",
                "choiceSettingValue": {"value": f"device_vendor_msft_policy_config_e2e_setting{n:03d}_1",
                                       "children": []},
            }
        }
        for n in range(60)
    ]
    policy = {"name": "WIN - Sixty settings", "description": "", "platforms": "windows10",
              "technologies": "mdm", "roleScopeTagIds": ["0"], "settings": settings}
    policy_id = clean_graph.admin.put_object(app.tenant_a, SETTINGS_CATALOG, policy)["id"]

    started = app.post(app.capture_path(app.tenant_a, policy_id, "configurationPolicies"), OPERATOR_A)
    ended = app.wait_until_ended(started.headers["Location"], OPERATOR_A)
    assert ended.json()["status"] == "succeeded", ended.text

    items = app.get(f"api/tenants/{app.tenant_a}/runs/{started.json()['id']}/items", OPERATOR_A).json()
    version_id = items["items"][0]["versionId"]
    base = f"api/tenants/{app.tenant_a}/policies/configurationPolicies/{policy_id}/versions"
    versions = app.get(base, OPERATOR_A).json()["items"]
    assert [v["id"] for v in versions] == [version_id]
    version = app.get(f"{base}/{version_id}", OPERATOR_A).json()
    captured = version["content"]["settings"]
    assert len(captured) == 60
    assert {s["settingInstance"]["settingDefinitionId"] for s in captured} == {
        s["settingInstance"]["settingDefinitionId"] for s in settings
    }


def test_a_policy_deleted_in_graph_fails_the_run_with_a_clear_error_and_a_notification(
    app: App, clean_graph: GraphSim
) -> None:
    policy_id = app.new_policy(app.tenant_a)
    clean_graph.admin.delete_object(app.tenant_a, "deviceManagement/deviceConfigurations", policy_id)
    started = app.post(app.capture_path(app.tenant_a, policy_id), OPERATOR_A)
    run_id = started.json()["id"]

    ended = app.wait_until_ended(started.headers["Location"], OPERATOR_A)
    assert ended.status_code == 200
    run = ended.json()
    assert run["status"] == "failed"
    assert "404" in run["error"] and policy_id in run["error"]
    assert run["counters"] == {"total": 1, "processed": 1, "succeeded": 0, "failed": 1, "skipped": 0}

    strict = app.get(f"api/tenants/{app.tenant_a}/runs/{run_id}/status", OPERATOR_A,
                     params={"failOnError": "true"})
    assert strict.status_code == 422 and strict.json()["code"] == "run.failed"
    assert strict.json()["run"]["id"] == run_id

    notes = app.get("api/me/notifications", OPERATOR_A, params={"unread": "true", "pageSize": "1000"})
    mine = [n for n in notes.json()["items"] if n["runId"] == run_id]
    assert {n["event"] for n in mine} == {"started", "failed"}
    failed = next(n for n in mine if n["event"] == "failed")
    assert failed["link"] == f"/api/tenants/{app.tenant_a}/runs/{run_id}"
    read = app.post(f"api/me/notifications/{failed['id']}/read", OPERATOR_A)
    assert read.status_code == 200 and read.json()["read"] is True
    unread = app.get("api/me/notifications", OPERATOR_A, params={"unread": "true", "pageSize": "1000"})
    assert failed["id"] not in {n["id"] for n in unread.json()["items"]}

    trail = app.get(f"api/tenants/{app.tenant_a}/audit", OPERATOR_A).json()["items"]
    actions = {(e["action"], e["outcome"]) for e in trail if e["runId"] == run_id}
    assert actions == {("policy.capture_snapshot.requested", "succeeded"),
                       ("policy.capture_snapshot.finished", "failed")}


@pytest.mark.slow
def test_throttling_beyond_the_client_budget_is_waited_out_by_a_durable_timer(
    app: App, clean_graph: GraphSim
) -> None:
    """A Retry-After longer than the Graph client's 30 s budget comes back to the orchestrator, which
    sleeps on a durable timer (no activity sleeps) and calls the capture again."""
    policy_id = app.new_policy(app.tenant_a)
    rule = {"path": f"deviceConfigurations/{policy_id}$", "occurrences": [1], "action": "status",
            "status": 429, "retry_after": "30.5"}
    clean_graph.admin.set_faults(rules=[rule])
    log_before = len(app.devhost.log_text())
    started = app.post(app.capture_path(app.tenant_a, policy_id), OPERATOR_A)
    ended = app.wait_until_ended(started.headers["Location"], OPERATOR_A, timeout=90)
    assert ended.json()["status"] == "succeeded", ended.text
    history = _history(app, started.json()["instanceId"])
    timers = [(parse_time(e["Timestamp"]), parse_time(e["FireAt"])) for e in history
              if e["EventType"] == "TimerCreated"]
    [fire_at] = [fire_at for created, fire_at in timers if fire_at - created >= timedelta(seconds=30)]
    fired = [parse_time(e["Timestamp"]) for e in history
             if e["EventType"] == "TimerFired" and parse_time(e["FireAt"]) == fire_at]
    assert len(fired) == 1 and fired[0] >= fire_at, "one timer for the Retry-After, not fired early"
    log = app.devhost.log_text()[log_before:]
    assert _started_activity_count(log, "capture_policy_item") == 2
