"""The pure rules of alerts: signatures, which URLs a subscription may name, which events a run's end
is, and the Teams card made from an event."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest

from shared.alerts.events import event_body, render, run_ended_event, scheduled_backup_missed_event
from shared.alerts.signing import sign, verify
from shared.alerts.subscriptions import (
    InvalidWebhook,
    WebhookEvent,
    WebhookFormat,
    display_target,
    parse_webhook_spec,
)
from shared.runs.model import Counters, Run, RunStatus

AT = datetime(2026, 12, 4, 2, 0, tzinfo=UTC)


def _run(run_type: str, status: RunStatus, **changes: object) -> Run:
    run = Run("998-abc", "tenant-1", run_type, status, "key", "inst", "system", AT, AT, AT,
              Counters(total=5, processed=5, succeeded=3, failed=2))
    return run.with_changes(**changes)


def test_a_signature_verifies_only_with_its_secret_its_body_and_a_recent_timestamp() -> None:
    now = int(time.time())
    body = b'{"event":"run.failed"}'
    signature = sign("whsec_1", now, body)
    assert signature.startswith("v1=") and len(signature) == 3 + 64
    assert verify("whsec_1", str(now), body, signature, now=now)
    assert not verify("whsec_2", str(now), body, signature, now=now)
    assert not verify("whsec_1", str(now), body + b" ", signature, now=now)
    assert not verify("whsec_1", str(now + 1), body, signature, now=now)
    assert not verify("whsec_1", str(now), body, signature, now=now + 301)
    assert not verify("whsec_1", "not-a-number", body, signature, now=now)


@pytest.mark.parametrize(
    ("url", "loopback_ok"),
    [
        ("http://hooks.example.com/x", True),
        ("https://127.0.0.1/x", False),
        ("http://127.0.0.1:8080/x", False),
        ("https://192.168.1.10/x", True),
        ("https://169.254.169.254/metadata", True),
        ("https://[::1]/x", False),
        ("https://u:p@hooks.example.com/x", True),
        ("https:///nohost", True),
        ("https://hooks.example.com:99999/x", True),
    ],
)
def test_urls_that_are_not_https_to_a_public_host_are_refused(url: str, loopback_ok: bool) -> None:
    with pytest.raises(InvalidWebhook):
        parse_webhook_spec({"url": url}, allow_loopback_http=loopback_ok)


def test_a_valid_spec_defaults_to_json_and_every_event() -> None:
    spec = parse_webhook_spec({"url": "https://hooks.example.com/a?sig=s"}, allow_loopback_http=False)
    assert (spec.format, spec.events) == (WebhookFormat.JSON, tuple(WebhookEvent))
    local = parse_webhook_spec(
        {"url": "http://127.0.0.1:9/x", "format": "teams", "events": ["run.failed"]}, allow_loopback_http=True
    )
    assert (local.format, local.events) == (WebhookFormat.TEAMS, (WebhookEvent.RUN_FAILED,))


def test_the_display_target_drops_the_query_that_may_hold_a_signature() -> None:
    url = "https://prod-01.westeurope.logic.azure.com/workflows/abc/triggers/manual/paths/invoke?sig=SECRET"
    shown = display_target(url)
    assert "SECRET" not in shown and shown.startswith("https://prod-01.westeurope.logic.azure.com/workflows")


def test_a_failed_scheduled_backup_is_that_event_first_and_a_failed_run_too() -> None:
    event = run_ended_event(_run("backup.scheduled", RunStatus.FAILED), "Contoso", "https://app.example")
    assert event is not None
    assert event.names == (WebhookEvent.SCHEDULED_BACKUP_FAILED, WebhookEvent.RUN_FAILED)
    assert event.data["run"]["page"] == "https://app.example/tenants/tenant-1/runs/998-abc"
    partial = run_ended_event(_run("backup.scheduled", RunStatus.PARTIALLY_SUCCEEDED), "Contoso", None)
    assert partial is not None and partial.names == (WebhookEvent.RUN_PARTIALLY_SUCCEEDED,)
    assert run_ended_event(_run("backup.tenant", RunStatus.RUNNING), "Contoso", None) is None
    again = run_ended_event(_run("backup.scheduled", RunStatus.FAILED), "Contoso", "https://app.example")
    assert again is not None and again.event_id == event.event_id


def test_the_teams_card_names_tenant_run_outcome_counts_and_links_the_run_page() -> None:
    event = run_ended_event(
        _run("backup.tenant", RunStatus.PARTIALLY_SUCCEEDED, error=None), "Contoso", "https://app.example"
    )
    assert event is not None
    message = render(event_body(event, WebhookEvent.RUN_PARTIALLY_SUCCEEDED, "d-1"), WebhookFormat.TEAMS)
    card = message["attachments"][0]["content"]
    facts = {fact["title"]: fact["value"] for fact in card["body"][1]["facts"]}
    assert facts == {
        "Tenant": "Contoso (tenant-1)",
        "Run": "998-abc",
        "Outcome": "partially_succeeded",
        "Items": "3 succeeded, 2 failed, 0 skipped of 5",
    }
    assert card["body"][0]["color"] == "Warning"
    assert card["actions"] == [
        {"type": "Action.OpenUrl", "title": "Open the run", "url": "https://app.example/tenants/tenant-1/runs/998-abc"}
    ]


def test_missed_slots_are_one_event_per_started_slot_and_a_teams_card_that_names_them() -> None:
    missed = [datetime(2026, 12, 4, hour, tzinfo=UTC) for hour in (1, 2, 3)]
    started = (datetime(2026, 12, 4, 4, tzinfo=UTC), "998-abc")
    detected = [datetime(2026, 12, 4, 4, minute, tzinfo=UTC) for minute in (0, 1)]
    first, again = (
        scheduled_backup_missed_event("tenant-1", "Contoso", "s-1", missed, started, at, "https://app.example")
        for at in detected
    )
    assert first.event_id == again.event_id and first.names == (WebhookEvent.SCHEDULED_BACKUP_MISSED,)
    body = event_body(first, WebhookEvent.SCHEDULED_BACKUP_MISSED, "d-1")
    assert body["schedule"] == {
        "id": "s-1",
        "missedSlots": 3,
        "firstMissed": "2026-12-04T01:00:00Z",
        "lastMissed": "2026-12-04T03:00:00Z",
        "startedSlot": "2026-12-04T04:00:00Z",
        "runId": "998-abc",
        "page": "https://app.example/tenants/tenant-1/runs/998-abc",
    }
    card = render(body, WebhookFormat.TEAMS)["attachments"][0]["content"]
    facts = {fact["title"]: fact["value"] for fact in card["body"][1]["facts"]}
    assert facts["Missed"] == "3 slot(s), 2026-12-04T01:00:00Z to 2026-12-04T03:00:00Z"
    assert card["body"][0]["text"] == "TenantAtlas: scheduled backup missed"
    assert card["actions"][0]["url"] == "https://app.example/tenants/tenant-1/runs/998-abc"
