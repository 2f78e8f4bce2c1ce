"""Runs kept true to the engine, and cancel, on the devhost: a cancelled backup ends `cancelled` with its
items so far, audited and notified; a terminated orchestration's run ends `failed` at the next read and
frees its tenant for a new backup; a run recorded by a trigger that died before starting it is started."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import requests

from local.apptesting import OPERATOR_A, OPERATOR_B, READER_A, App
from local.graphsim.testing import GraphSim
from shared.jobs.backup import RUN_TYPE
from shared.runs import RunTables, start_or_reuse
from tests.polling import wait_until

SLOW_GRAPH_MS = 1500
"""Each Graph call this slow keeps a backup running long enough to act on it."""


def _start_slow_backup(app: App, graph: GraphSim) -> dict[str, Any]:
    graph.admin.set_latency(base_ms=SLOW_GRAPH_MS)
    started = app.post(f"api/tenants/{app.tenant_a}/backups", OPERATOR_A)
    assert started.status_code == 202, started.text
    run: dict[str, Any] = started.json()
    assert not run["reused"]
    wait_until(
        lambda: _run(app, run["id"])["status"] == "running",
        timeout=60,
        message="the backup never started running",
    )
    return run


def _run(app: App, run_id: str, principal: str = OPERATOR_A) -> dict[str, Any]:
    answer = app.get(f"api/tenants/{app.tenant_a}/runs/{run_id}", principal)
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


def test_a_cancelled_backup_ends_cancelled_audited_and_notified_and_frees_the_tenant(
    app: App, clean_graph: GraphSim
) -> None:
    run = _start_slow_backup(app, clean_graph)
    cancel = f"api/tenants/{app.tenant_a}/runs/{run['id']}/cancel"

    refused = app.post(cancel, READER_A)
    assert (refused.status_code, refused.json()["code"]) == (403, "auth.insufficient_role")
    elsewhere = app.post(f"api/tenants/{app.tenant_b}/runs/{run['id']}/cancel", OPERATOR_B)
    assert (elsewhere.status_code, elsewhere.json()["code"]) == (403, "auth.forbidden")
    assert _run(app, run["id"])["status"] == "running"

    answer = app.post(cancel, OPERATOR_A)
    assert answer.status_code == 200, answer.text
    assert answer.json()["status"] == "cancelled"
    again = app.post(cancel, OPERATOR_A)
    assert (again.status_code, again.json()["code"]) == (409, "run.not_active")

    clean_graph.admin.set_latency(base_ms=0)
    ended = _run(app, run["id"])
    assert ended["status"] == "cancelled" and ended["endedAt"]
    assert ended["error"] == f"Cancelled by {app.principal_key(OPERATOR_A)}."
    audit = app.get(f"api/tenants/{app.tenant_a}/audit", OPERATOR_A, params={"action": "run.cancel"}).json()
    [event] = [e for e in audit["items"] if e.get("runId") == run["id"]]
    assert event["actor"] == app.principal_key(OPERATOR_A) and event["details"]["status"] == "cancelled"
    notes = app.get("api/me/notifications", OPERATOR_A).json()["items"]
    assert any(n["runId"] == run["id"] and n["event"] == "cancelled" for n in notes)

    following = app.post(f"api/tenants/{app.tenant_a}/backups", OPERATOR_A)
    assert following.status_code == 202 and not following.json()["reused"]
    assert app.wait_until_ended(following.headers["Location"], OPERATOR_A, timeout=180).json()["status"] == (
        "succeeded"
    )


def test_a_terminated_orchestration_ends_its_run_failed_at_the_next_read_and_frees_the_tenant(
    app: App, clean_graph: GraphSim
) -> None:
    run = _start_slow_backup(app, clean_graph)
    instance = app.devhost.url(f"runtime/webhooks/durabletask/instances/{run['instanceId']}/terminate")
    terminated = requests.post(
        instance, params={"reason": "test"}, headers={"x-functions-key": app.devhost.keys.master}, timeout=30
    )
    assert terminated.status_code == 202, terminated.text
    clean_graph.admin.set_latency(base_ms=0)

    def reconciled() -> dict[str, Any] | None:
        body = _run(app, run["id"])
        return body if body["status"] != "running" else None

    ended = wait_until(reconciled, timeout=30, message="the run of a terminated orchestration stayed running")
    assert ended["status"] == "failed"
    assert "ended (terminated) without ending the run" in ended["error"]

    following = app.post(f"api/tenants/{app.tenant_a}/backups", OPERATOR_A)
    assert following.status_code == 202 and not following.json()["reused"]
    assert app.wait_until_ended(following.headers["Location"], OPERATOR_A, timeout=180).json()["status"] == (
        "succeeded"
    )


def test_a_run_whose_trigger_died_before_starting_it_is_started_when_read(
    app: App, clean_graph: GraphSim
) -> None:
    recorded, reused = start_or_reuse(
        RunTables.from_account(app.storage),
        app.tenant_a,
        RUN_TYPE,
        [],
        app.principal_key(OPERATOR_A),
        source={},
        now=datetime.now(UTC) - timedelta(minutes=5),
    )
    assert not reused and recorded.status.value == "queued"

    _run(app, recorded.run_id)
    status = app.devhost.url(f"api/tenants/{app.tenant_a}/runs/{recorded.run_id}/status")
    ended = app.wait_until_ended(status, OPERATOR_A, timeout=180).json()
    assert ended["status"] == "succeeded" and ended["counters"]["succeeded"] > 0
