"""Schedules on the devhost: CRUD with ETags (428 without If-Match on update, 412 when stale),
validation problems that write nothing, roles and tenant isolation, and the timer function run twice
through the admin endpoint starting one backup run per slot, a missed slot caught up once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests

from local.apptesting import OPERATOR_A, OPERATOR_B, READER_A, App
from shared.auth.memberships import MembershipStore
from shared.auth.roles import Role
from shared.jobs.retention import RETENTION_RUN_TYPE
from shared.schedules import SCHEDULED_BACKUP, ScheduleStore, slot_id
from shared.tenants import TenantRegistry, TenantStatus
from tests.e2e import trail
from tests.polling import wait_until

ADMIN_A = "ada@msp.example"
"""Admin on tenant A and reader on B (to ask for A's schedule under B)."""
HOURLY = {"cron": "0 0 * * * *", "timeZone": "UTC", "retention": {"keepLast": 3}}
TIMER = "start_scheduled_backups"


@pytest.fixture(scope="module")
def admin(app: App) -> str:
    memberships = MembershipStore(app.storage, TenantRegistry(app.storage))
    memberships.grant(app.principal_key(ADMIN_A), app.tenant_a, Role.ADMIN, "e2e")
    memberships.grant(app.principal_key(ADMIN_A), app.tenant_b, Role.READER, "e2e")
    return ADMIN_A


def _path(app: App, tenant: str | None = None) -> str:
    return f"api/tenants/{tenant or app.tenant_a}/schedules"


def _send(app: App, method: str, path: str, principal: str, **kwargs: Any) -> requests.Response:
    headers = {**app.headers(principal), **kwargs.pop("headers", {})}
    return requests.request(method, app.devhost.url(path), headers=headers, timeout=30, **kwargs)


def _problem(answer: requests.Response, status: int, code: str) -> None:
    assert answer.status_code == status, answer.text
    assert answer.headers["Content-Type"].startswith("application/problem+json")
    assert answer.json()["code"] == code


def _create(app: App, admin: str, body: dict[str, Any] = HOURLY) -> requests.Response:
    answer = _send(app, "POST", _path(app), admin, json=body)
    assert answer.status_code == 201, answer.text
    return answer


def test_crud_with_etags(app: App, admin: str) -> None:
    created = _create(app, admin)
    schedule = created.json()
    url = created.headers["Location"]
    assert url.endswith(f"/{_path(app)}/{schedule['id']}")
    assert created.headers["ETag"] == schedule["etag"]
    assert (schedule["cron"], schedule["retention"], schedule["enabled"]) == (
        "0 0 * * * *",
        {"keepLast": 3, "keepDays": None},
        True,
    )
    one = f"{_path(app)}/{schedule['id']}"
    viewed = _send(app, "GET", one, READER_A)
    assert viewed.status_code == 200 and viewed.headers["ETag"] == schedule["etag"]
    listed = _send(app, "GET", _path(app), READER_A, params={"pageSize": "1000"}).json()["items"]
    assert schedule["id"] in [s["id"] for s in listed]

    daily = {**HOURLY, "cron": "0 30 2 * * *", "timeZone": "Europe/Amsterdam"}
    _problem(_send(app, "PUT", one, admin, json=daily), 428, "schedule.precondition_required")
    stale = {"If-Match": 'W/"datetime\'2000-01-01T00%3A00%3A00Z\'"'}
    _problem(_send(app, "PUT", one, admin, json=daily, headers=stale), 412, "schedule.conflict")
    updated = _send(app, "PUT", one, admin, json=daily, headers={"If-Match": schedule["etag"]})
    assert updated.status_code == 200, updated.text
    assert updated.json()["cron"] == "0 30 2 * * *" and updated.headers["ETag"] != schedule["etag"]
    _problem(_send(app, "PUT", one, admin, json=HOURLY, headers={"If-Match": schedule["etag"]}), 412,
             "schedule.conflict")
    stale_delete = _send(app, "DELETE", one, admin, headers={"If-Match": schedule["etag"]})
    _problem(stale_delete, 412, "schedule.conflict")
    assert _send(app, "GET", one, READER_A).json()["cron"] == "0 30 2 * * *"

    deleted = _send(app, "DELETE", one, admin, headers={"If-Match": updated.headers["ETag"]})
    assert deleted.status_code == 204
    _problem(_send(app, "GET", one, READER_A), 404, "schedule.not_found")
    _problem(_send(app, "DELETE", one, admin), 404, "schedule.not_found")

    audit = _send(app, "GET", f"api/tenants/{app.tenant_a}/audit", admin, params={"pageSize": "1000"}).json()
    mine = [e["action"] for e in audit["items"]
            if (e.get("details") or {}).get("scheduleId") == schedule["id"]]
    assert sorted(mine) == ["schedule.created", "schedule.deleted", "schedule.updated"]


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({**HOURLY, "cron": "every day"}, "schedule.invalid_cron"),
        ({**HOURLY, "cron": "0 */5 * * * *"}, "schedule.too_frequent"),
        ({**HOURLY, "timeZone": "Mars/Olympus"}, "schedule.invalid_timezone"),
        ({**HOURLY, "retention": {}}, "schedule.invalid_retention"),
        ({**HOURLY, "retention": {"keepLast": 0}}, "schedule.invalid_retention"),
        ({**HOURLY, "enabled": "yes"}, "schedule.invalid_field"),
        ({**HOURLY, "owner": "me"}, "schedule.invalid_field"),
        ("not json {", "schedule.invalid_field"),
        ([1, 2], "schedule.invalid_field"),
    ],
)
def test_invalid_schedules_are_problems_that_write_nothing(
    app: App, admin: str, body: Any, code: str
) -> None:
    before = _send(app, "GET", _path(app), READER_A, params={"pageSize": "1000"}).json()["items"]
    kwargs = {"data": body} if isinstance(body, str) else {"json": body}
    _problem(_send(app, "POST", _path(app), admin, **kwargs), 400, code)
    after = _send(app, "GET", _path(app), READER_A, params={"pageSize": "1000"}).json()["items"]
    assert after == before


def test_readers_and_operators_cannot_write_and_other_tenants_are_refused(app: App, admin: str) -> None:
    since = trail.now()
    _problem(_send(app, "POST", _path(app), READER_A, json=HOURLY), 403, "auth.insufficient_role")
    _problem(_send(app, "POST", _path(app), OPERATOR_A, json=HOURLY), 403, "auth.insufficient_role")
    schedule = _create(app, admin).json()
    one = f"{_path(app)}/{schedule['id']}"
    headers = {"If-Match": schedule["etag"]}
    _problem(_send(app, "PUT", one, READER_A, json=HOURLY, headers=headers), 403, "auth.insufficient_role")
    _problem(_send(app, "DELETE", one, READER_A, headers=headers), 403, "auth.insufficient_role")
    _problem(_send(app, "GET", one, OPERATOR_B), 403, "auth.forbidden")
    _problem(_send(app, "GET", _path(app), OPERATOR_B), 403, "auth.forbidden")
    under_b = f"{_path(app, app.tenant_b)}/{schedule['id']}"
    _problem(_send(app, "GET", under_b, admin), 403, "auth.forbidden")
    _problem(_send(app, "GET", f"{_path(app)}/{'0' * 32}", READER_A), 404, "schedule.not_found")
    _problem(_send(app, "GET", f"{_path(app)}/not-an-id", READER_A), 404, "schedule.not_found")
    assert _send(app, "GET", one, READER_A).json()["etag"] == schedule["etag"]
    _problem(requests.get(app.devhost.url(_path(app)), timeout=30), 401, "auth.missing_token")
    # Every refusal is in A's trail, the one asked for under B too (A owns the schedule); 404s are not.
    reader, operator, other = (app.principal_key(p) for p in (READER_A, OPERATOR_A, OPERATOR_B))
    assert trail.denials(app, app.tenant_a, READER_A, since) == [
        (reader, "schedule.create", "auth.insufficient_role"),
        (operator, "schedule.create", "auth.insufficient_role"),
        (reader, "schedule.update", "auth.insufficient_role"),
        (reader, "schedule.delete", "auth.insufficient_role"),
        (other, "schedule.view", "auth.forbidden"),
        (other, "schedule.list", "auth.forbidden"),
        (app.principal_key(admin), "schedule.view", "auth.forbidden"),
        ("anonymous", "schedule.list", "auth.missing_token"),
    ]


def _run_timer(app: App) -> None:
    """Run the timer function now and wait until this invocation has been logged as executed."""
    executed = f"Executed 'Functions.{TIMER}' (Succeeded"
    before = app.devhost.log_text().count(executed)
    answer = requests.post(
        app.devhost.url(f"admin/functions/{TIMER}"),
        json={"input": None},
        headers={"x-functions-key": app.devhost.keys.master},
        timeout=30,
    )
    assert answer.status_code == 202, answer.text
    wait_until(lambda: app.devhost.log_text().count(executed) > before, message=f"{TIMER} to have run")


def _missed_schedule(app: App, admin: str) -> tuple[dict[str, Any], datetime]:
    """A new hourly schedule whose last three slots were missed (as if the app had been down); the slot
    the timer must start is the current hour."""
    schedule = _create(app, admin).json()
    store = ScheduleStore(app.storage)
    stored = store.get(app.tenant_a, schedule["id"])
    this_hour = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    store.replace(stored, stored.with_changes(next_due=this_hour - timedelta(hours=3)))
    return schedule, this_hour


def _scheduled_runs(app: App, schedule_id: str) -> list[dict[str, Any]]:
    params = {"type": SCHEDULED_BACKUP, "pageSize": "1000"}
    runs = _send(app, "GET", f"api/tenants/{app.tenant_a}/runs", READER_A, params=params).json()["items"]
    return [r for r in runs if r["source"].get("scheduleId") == schedule_id]


def test_a_repeated_timer_makes_one_run_for_the_latest_missed_slot(app: App, admin: str) -> None:
    schedule, this_hour = _missed_schedule(app, admin)
    _run_timer(app)
    _run_timer(app)
    assert [r["source"]["slot"] for r in _scheduled_runs(app, schedule["id"])] == [slot_id(this_hour)]


def test_a_started_slot_is_recorded_and_its_backup_orchestration_runs(app: App, admin: str) -> None:
    schedule, this_hour = _missed_schedule(app, admin)
    _run_timer(app)
    _run_timer(app)
    [run] = _scheduled_runs(app, schedule["id"])
    after = _send(app, "GET", f"{_path(app)}/{schedule['id']}", READER_A).json()
    assert (after["lastSlot"], after["lastRunId"]) == (slot_id(this_hour), run["id"])
    assert after["nextDue"] == slot_id(this_hour + timedelta(hours=1))
    log = app.devhost.log_text()
    assert log.count(f"schedule {schedule['id']}, slot {slot_id(this_hour)}, run {run['id']}") == 1
    status = requests.get(
        app.devhost.url(f"runtime/webhooks/durabletask/instances/{run['instanceId']}"),
        params={"code": app.devhost.keys.durable_extension},
        timeout=30,
    )
    assert status.status_code in (200, 202), status.text
    retention = _send(app, "GET", f"api/tenants/{app.tenant_a}/runs", READER_A,
                      params={"type": RETENTION_RUN_TYPE, "pageSize": "1000"}).json()["items"]
    this_prune = {"scheduleId": schedule["id"], "trigger": slot_id(this_hour)}
    pruned = [r for r in retention if r["source"] == this_prune]
    assert [r["status"] for r in pruned] == ["succeeded"]


def test_the_timer_starts_no_backup_for_a_disabled_tenant(app: App, admin: str) -> None:
    schedule, this_hour = _missed_schedule(app, admin)
    registry = TenantRegistry(app.storage)
    registry.set_status(app.tenant_a, TenantStatus.DISABLED)
    try:
        _run_timer(app)
    finally:
        registry.set_status(app.tenant_a, TenantStatus.ACTIVE)
    assert _scheduled_runs(app, schedule["id"]) == []
    after = _send(app, "GET", f"{_path(app)}/{schedule['id']}", READER_A).json()
    assert (after["lastSlot"], after["lastRunId"]) == (slot_id(this_hour), None)
    assert f"tenant {app.tenant_a} is not active (schedule {schedule['id']}" in app.devhost.log_text()
