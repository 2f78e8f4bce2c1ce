"""Webhooks on the devhost: a local receiver gets signed deliveries it verifies; a receiver answering
500 is retried by the timer and ends `failed` in the delivery log; a scheduled backup made to fail
reaches the tenant admin's in-app notifications and the webhook; the subscription's secrets are in
the simulator's Key Vault, never in Table Storage."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import requests

from local.apptesting import OPERATOR_A, OPERATOR_B, App
from local.graphsim.testing import GraphSim
from shared.auth.memberships import MembershipStore
from shared.auth.roles import Role
from shared.schedules import SCHEDULED_BACKUP, ScheduleStore
from shared.storage import names
from shared.tenants import TenantRegistry
from tests.e2e.own_tenant import register_own_tenant
from tests.polling import wait_until

ADMIN = "wendy@msp.example"
"""Admin on tenant A for this module."""
RETRY_TIMER = "retry_webhook_deliveries"
SCHEDULE_TIMER = "start_scheduled_backups"


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Receiver:
    """An HTTP receiver on a loopback port that records every POST and answers `status`."""

    status: int = 200
    received: list[Received] = field(default_factory=list)
    url: str = ""

    def for_run(self, run_id: str) -> list[Received]:
        return [r for r in self.received if (r.json.get("run") or {}).get("id") == run_id]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            state.received.append(Received({k.lower(): v for k, v in self.headers.items()}, body))
            self.send_response(state.status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/tenantatlas?sig=query-secret"
    yield state
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def admin(app: App) -> Iterator[str]:
    memberships = MembershipStore(app.storage, TenantRegistry(app.storage))
    memberships.grant(app.principal_key(ADMIN), app.tenant_a, Role.ADMIN, "e2e")
    yield ADMIN
    memberships.revoke(app.principal_key(ADMIN), app.tenant_a)


def _subscribe(app: App, admin: str, receiver: Receiver, **spec: Any) -> dict[str, Any]:
    answer = app.post(f"api/tenants/{app.tenant_a}/webhooks", admin, json={"url": receiver.url, **spec})
    assert answer.status_code == 201, answer.text
    created: dict[str, Any] = answer.json()
    assert answer.headers["Location"].endswith(f"/api/tenants/{app.tenant_a}/webhooks/{created['id']}")
    return created


@pytest.fixture
def subscriptions(app: App, admin: str) -> Iterator[list[str]]:
    """IDs to delete after the test, so no other test's runs are delivered to a dead receiver."""
    made: list[str] = []
    yield made
    for subscription_id in made:
        deleted = requests.delete(
            app.devhost.url(f"api/tenants/{app.tenant_a}/webhooks/{subscription_id}"),
            headers=app.headers(admin),
            timeout=30,
        )
        assert deleted.status_code == 204, deleted.text


def _snapshot(app: App) -> dict[str, Any]:
    """A quick run: one policy snapshot of tenant A, to its end."""
    policy_id = app.new_policy(app.tenant_a)
    started = app.post(app.capture_path(app.tenant_a, policy_id), OPERATOR_A)
    assert started.status_code == 202, started.text
    run: dict[str, Any] = app.wait_until_ended(started.headers["Location"], OPERATOR_A).json()
    return run


def _deliveries(app: App, admin: str, subscription_id: str, run_id: str) -> list[dict[str, Any]]:
    answer = app.get(f"api/tenants/{app.tenant_a}/webhooks/{subscription_id}/deliveries", admin)
    assert answer.status_code == 200, answer.text
    return [d for d in answer.json()["items"] if d["runId"] == run_id]


def _run_timer(app: App, name: str) -> None:
    executed = f"Executed 'Functions.{name}' (Succeeded"
    before = app.devhost.log_text().count(executed)
    answer = requests.post(
        app.devhost.url(f"admin/functions/{name}"),
        json={"input": None},
        headers={"x-functions-key": app.devhost.keys.master},
        timeout=30,
    )
    assert answer.status_code == 202, answer.text
    wait_until(
        lambda: app.devhost.log_text().count(executed) > before, timeout=120, message=f"{name} to have run"
    )


def _verified(secret: str, delivery: Received) -> bool:
    """What a receiver does (docs/alerts.md#verifying-a-delivery), written here independently."""
    timestamp = delivery.headers["x-tenantatlas-timestamp"]
    if abs(time.time() - int(timestamp)) > 300:
        return False
    message = timestamp.encode() + b"." + delivery.body
    expected = hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()
    return hmac.compare_digest("v1=" + expected, delivery.headers["x-tenantatlas-signature"])


def test_a_run_end_reaches_the_receiver_signed_and_the_secrets_stay_out_of_table_storage(
    app: App, admin: str, receiver: Receiver, subscriptions: list[str]
) -> None:
    created = _subscribe(app, admin, receiver, events=["run.succeeded", "run.failed"])
    subscriptions.append(created["id"])
    secret = created["signingSecret"]
    assert created["target"].startswith("http://127.0.0.1:") and "query-secret" not in created["target"]
    listed = app.get(f"api/tenants/{app.tenant_a}/webhooks", admin).json()["items"]
    assert [w for w in listed if w["id"] == created["id"]] and "signingSecret" not in listed[0]

    run = _snapshot(app)
    assert run["status"] == "succeeded", run
    wait_until(lambda: receiver.for_run(run["id"]), message="the delivery to arrive")
    [delivery] = receiver.for_run(run["id"])
    assert _verified(secret, delivery)
    assert not _verified("whsec_another", delivery)
    tampered = Received(delivery.headers, delivery.body.replace(b"succeeded", b"failed"))
    assert not _verified(secret, tampered)
    event = delivery.json
    assert (event["event"], event["run"]["status"], event["tenant"]["id"]) == (
        "run.succeeded", "succeeded", app.tenant_a,
    )
    assert event["run"]["page"] == f"/tenants/{app.tenant_a}/runs/{run['id']}"
    assert delivery.headers["x-tenantatlas-delivery"] == event["id"]
    [logged] = _deliveries(app, admin, created["id"], run["id"])
    assert (logged["status"], logged["attempts"], logged["lastStatusCode"]) == ("delivered", 1, 200)

    stored = json.dumps(list(app.storage.table(names.WEBHOOKS).list_entities()), default=str)
    stored += json.dumps(list(app.storage.table(names.WEBHOOK_DELIVERIES).list_entities()), default=str)
    assert secret not in stored and "query-secret" not in stored
    written = app.graphsim.admin.log(kind="keyvault", method="PUT", path=f"/secrets/webhook-{created['id']}$")
    # One write; the SDK meets Key Vault's challenge first unless an earlier test warmed its cache.
    assert [entry["status"] for entry in written] in ([401, 200], [200])


def test_a_receiver_answering_500_is_retried_then_failed_in_the_delivery_log(
    app: App, admin: str, receiver: Receiver, subscriptions: list[str]
) -> None:
    receiver.status = 500
    created = _subscribe(app, admin, receiver, events=["run.succeeded"])
    subscriptions.append(created["id"])
    run = _snapshot(app)
    wait_until(lambda: receiver.for_run(run["id"]), message="the first attempt")
    [first] = _deliveries(app, admin, created["id"], run["id"])
    assert (first["status"], first["attempts"], first["lastStatusCode"]) == ("pending", 1, 500)
    assert first["lastError"] == "The receiver answered 500."

    def failed() -> bool:
        _run_timer(app, RETRY_TIMER)
        return _deliveries(app, admin, created["id"], run["id"])[0]["status"] == "failed"

    wait_until(failed, timeout=60, interval=1.0, message="the delivery to fail after its retries")
    [last] = _deliveries(app, admin, created["id"], run["id"])
    assert (last["attempts"], last["lastStatusCode"], last["nextAttemptAt"]) == (3, 500, None)
    attempts = receiver.for_run(run["id"])
    assert len(attempts) == 3
    assert {a.headers["x-tenantatlas-delivery"] for a in attempts} == {last["id"]}


def test_a_client_error_is_not_retried_and_other_tenants_events_do_not_reach_a_tenant_webhook(
    app: App, admin: str, receiver: Receiver, subscriptions: list[str]
) -> None:
    receiver.status = 410
    created = _subscribe(app, admin, receiver, events=["run.succeeded"])
    subscriptions.append(created["id"])
    run = _snapshot(app)
    wait_until(lambda: receiver.for_run(run["id"]), message="the delivery")
    [logged] = _deliveries(app, admin, created["id"], run["id"])
    assert (logged["status"], logged["attempts"], logged["lastStatusCode"]) == ("failed", 1, 410)

    policy_id = app.new_policy(app.tenant_b)
    started = app.post(app.capture_path(app.tenant_b, policy_id), OPERATOR_B)
    other = app.wait_until_ended(started.headers["Location"], OPERATOR_B).json()
    _run_timer(app, RETRY_TIMER)
    assert receiver.for_run(other["id"]) == []


def _hourly_schedule(app: App, admin: str) -> dict[str, Any]:
    """An hourly schedule of tenant A, created through the API."""
    created: dict[str, Any] = app.post(
        f"api/tenants/{app.tenant_a}/schedules", admin,
        json={"cron": "0 0 * * * *", "timeZone": "UTC", "retention": {"keepLast": 3}},
    ).json()
    return created


def test_a_failed_scheduled_backup_notifies_the_admin_in_app_and_the_webhook(
    app: App, admin: str, receiver: Receiver, subscriptions: list[str], clean_graph: GraphSim
) -> None:
    created = _subscribe(app, admin, receiver, events=["backup.scheduled_failed"])
    subscriptions.append(created["id"])
    schedule = _hourly_schedule(app, admin)
    store = ScheduleStore(app.storage)
    stored = store.get(app.tenant_a, schedule["id"])
    this_hour = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    store.replace(stored, stored.with_changes(next_due=this_hour - timedelta(hours=1)))
    clean_graph.admin.set_faults(
        rules=[{"method": "GET", "path": ".",
                "action": "status", "status": 403, "code": "Forbidden", "message": "Not allowed."}]
    )
    try:
        _run_timer(app, SCHEDULE_TIMER)

        def scheduled_run() -> dict[str, Any] | None:
            params = {"type": SCHEDULED_BACKUP, "pageSize": "1000"}
            runs = app.get(f"api/tenants/{app.tenant_a}/runs", admin, params=params).json()["items"]
            mine = [r for r in runs if r["source"]["scheduleId"] == schedule["id"]]
            return mine[0] if mine and mine[0]["status"] not in ("queued", "running") else None

        run = wait_until(scheduled_run, timeout=180, message="the scheduled backup to end")
    finally:
        requests.delete(
            app.devhost.url(f"api/tenants/{app.tenant_a}/schedules/{schedule['id']}"),
            headers=app.headers(admin), timeout=30,
        )
    assert run["status"] == "failed", run
    notifications = app.get("api/me/notifications", admin).json()["items"]
    mine = [n for n in notifications if n["runId"] == run["id"]]
    assert [(n["status"], n["event"]) for n in mine] == [("failed", "failed")]
    wait_until(lambda: receiver.for_run(run["id"]), message="the webhook delivery")
    [delivery] = receiver.for_run(run["id"])
    assert delivery.json["event"] == "backup.scheduled_failed"
    assert delivery.json["run"]["requestedBy"] == "system"
    assert _verified(created["signingSecret"], delivery)


def test_slots_a_schedule_missed_reach_its_webhook_once(
    app: App, admin: str, receiver: Receiver, subscriptions: list[str]
) -> None:
    created = _subscribe(app, admin, receiver, events=["backup.scheduled_missed"])
    subscriptions.append(created["id"])
    schedule = _hourly_schedule(app, admin)
    store = ScheduleStore(app.storage)
    stored = store.get(app.tenant_a, schedule["id"])
    now = datetime.now(UTC)
    if now.minute == 59 and now.second > 40:  # the tick must see the same hour
        time.sleep(61 - now.second)
    this_hour = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    store.replace(stored, stored.with_changes(next_due=this_hour - timedelta(hours=3)))
    missed = lambda: [  # noqa: E731 - read again while waiting
        r for r in receiver.received if (r.json.get("schedule") or {}).get("id") == schedule["id"]
    ]
    try:
        _run_timer(app, SCHEDULE_TIMER)
        wait_until(missed, message="the missed-slot delivery")
        _run_timer(app, SCHEDULE_TIMER)  # a second tick finds nothing due and sends nothing more
    finally:
        requests.delete(
            app.devhost.url(f"api/tenants/{app.tenant_a}/schedules/{schedule['id']}"),
            headers=app.headers(admin), timeout=30,
        )
    [delivery] = missed()
    assert delivery.json["event"] == "backup.scheduled_missed"
    assert _verified(created["signingSecret"], delivery)
    slot = lambda hours_ago: (this_hour - timedelta(hours=hours_ago)).strftime("%Y-%m-%dT%H:%M:%SZ")  # noqa: E731
    body = delivery.json["schedule"]
    assert (body["missedSlots"], body["firstMissed"], body["lastMissed"], body["startedSlot"]) == (
        3, slot(3), slot(1), slot(0),
    )
    assert body["page"].endswith(f"/tenants/{app.tenant_a}/runs/{body['runId']}")


def test_teams_gets_an_adaptive_card(
    app: App, admin: str, receiver: Receiver, subscriptions: list[str]
) -> None:
    created = _subscribe(app, admin, receiver, format="teams", events=["run.succeeded"])
    subscriptions.append(created["id"])
    run = _snapshot(app)

    def card() -> list[Received]:
        return [r for r in receiver.received if run["id"] in r.body.decode()]

    wait_until(card, message="the Teams message")
    [message] = card()
    body = message.json
    assert body["type"] == "message"
    [attachment] = body["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    content = attachment["content"]
    assert (content["type"], content["version"]) == ("AdaptiveCard", "1.4")
    facts = {f["title"]: f["value"] for f in content["body"][1]["facts"]}
    assert facts["Run"] == run["id"] and facts["Outcome"] == "succeeded"
    assert app.tenant_a in facts["Tenant"]
    assert facts["Page"] == f"/tenants/{app.tenant_a}/runs/{run['id']}"
    assert "x-tenantatlas-signature" not in message.headers


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"url": "https://10.0.0.5/hook"}, "webhook.invalid"),
        ({"url": "ftp://hooks.example.com/x"}, "webhook.invalid"),
        ({"url": "https://user:pw@hooks.example.com/x"}, "webhook.invalid"),
        ({"url": "https://hooks.example.com/x", "events": ["run.exploded"]}, "webhook.invalid"),
        ({"url": "https://hooks.example.com/x", "format": "slack"}, "webhook.invalid"),
        ([1, 2], "webhook.invalid"),
    ],
)
def test_invalid_subscriptions_are_refused_and_write_nothing(
    app: App, admin: str, body: Any, code: str
) -> None:
    before = len(list(app.storage.table(names.WEBHOOKS).list_entities()))
    answer = app.post(f"api/tenants/{app.tenant_a}/webhooks", admin, json=body)
    assert answer.status_code == 400 and answer.json()["code"] == code, answer.text
    assert len(list(app.storage.table(names.WEBHOOKS).list_entities())) == before


def test_operators_cannot_manage_webhooks_and_global_ones_need_the_platform_role(
    app: App, admin: str
) -> None:
    body = {"url": "https://h.example.com"}
    refused = app.post(f"api/tenants/{app.tenant_a}/webhooks", OPERATOR_A, json=body)
    assert refused.status_code == 403, refused.text
    assert app.get("api/webhooks", admin).status_code == 403
    unknown = app.get(f"api/tenants/{app.tenant_a}/webhooks/{'0' * 32}/deliveries", admin)
    assert unknown.status_code == 404 and unknown.json()["code"] == "webhook.not_found"


def test_a_tenant_turning_unhealthy_reaches_its_webhook_once(app: App, receiver: Receiver) -> None:
    tenant = register_own_tenant(app, "Webhook Unhealthy", {ADMIN: Role.ADMIN}, seed="none")
    answer = app.post(f"api/tenants/{tenant}/webhooks", ADMIN, json={
        "url": receiver.url, "format": "teams", "events": ["tenant.unhealthy"],
    })
    assert answer.status_code == 201, answer.text
    healthy = app.post(f"api/tenants/{tenant}/verify", ADMIN)
    assert healthy.status_code == 200 and healthy.json()["health"]["status"] == "healthy", healthy.text
    for sim_app in app.graphsim.apps:
        app.graphsim.admin.revoke(tenant, sim_app.client_id)
    for _ in range(2):
        verified = app.post(f"api/tenants/{tenant}/verify", ADMIN)
        assert verified.json()["health"]["status"] == "consent_missing", verified.text
    wait_until(lambda: receiver.received, message="the tenant.unhealthy delivery")
    time.sleep(1)
    [message] = receiver.received
    assert message.headers["x-tenantatlas-event"] == "tenant.unhealthy"
    card = message.json["attachments"][0]["content"]
    assert "consent_missing" in card["body"][0]["text"]
    facts = {f["title"]: f["value"] for f in card["body"][1]["facts"]}
    assert facts["Tenant"] == f"Webhook Unhealthy ({tenant})"


def test_deleting_a_webhook_deletes_its_secret_from_key_vault(
    app: App, admin: str, receiver: Receiver
) -> None:
    created = _subscribe(app, admin, receiver, events=["run.succeeded"])
    secret_path = f"/secrets/webhook-{created['id']}$"
    deleted = requests.delete(
        app.devhost.url(f"api/tenants/{app.tenant_a}/webhooks/{created['id']}"),
        headers=app.headers(admin),
        timeout=30,
    )
    assert deleted.status_code == 204, deleted.text
    removed = app.graphsim.admin.log(kind="keyvault", method="DELETE", path=secret_path)
    assert [entry["status"] for entry in removed][-1:] == [200]
    audit = app.get(f"api/tenants/{app.tenant_a}/audit", admin).json()["items"]
    [entry] = [a for a in audit if a["action"] == "webhook.deleted" and a["details"]["id"] == created["id"]]
    assert entry["details"]["secretDeleted"] is True
    # A second delete finds no subscription: nothing else is touched.
    again = requests.delete(
        app.devhost.url(f"api/tenants/{app.tenant_a}/webhooks/{created['id']}"),
        headers=app.headers(admin),
        timeout=30,
    )
    assert again.status_code == 404, again.text
    assert len(app.graphsim.admin.log(kind="keyvault", method="DELETE", path=secret_path)) == len(removed)
