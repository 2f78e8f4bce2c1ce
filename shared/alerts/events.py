"""The events deliveries carry, and their two formats: the JSON event (signed) and a Teams message
with an Adaptive Card (tenant, run, outcome, counts, a link to the run's page)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from shared.alerts.subscriptions import WebhookEvent, WebhookFormat
from shared.notifications import console_run_path, run_link
from shared.runs.model import Run, RunStatus
from shared.schedules import SCHEDULED_BACKUP, slot_id
from shared.storage import stable_hash

ADAPTIVE_CARD = "application/vnd.microsoft.card.adaptive"
_RUN_EVENTS = {
    RunStatus.SUCCEEDED: WebhookEvent.RUN_SUCCEEDED,
    RunStatus.PARTIALLY_SUCCEEDED: WebhookEvent.RUN_PARTIALLY_SUCCEEDED,
    RunStatus.FAILED: WebhookEvent.RUN_FAILED,
    RunStatus.CANCELLED: WebhookEvent.RUN_CANCELLED,
}
_COLOURS = {
    RunStatus.SUCCEEDED: "Good",
    RunStatus.PARTIALLY_SUCCEEDED: "Warning",
    RunStatus.FAILED: "Attention",
    RunStatus.CANCELLED: "Default",
}


@dataclass(frozen=True)
class Event:
    """One thing that happened, before it is matched to subscriptions. `names` lists what it is,
    most specific first (a failed scheduled backup is also a failed run); `event_id` is stable, so
    the same happening is delivered once per subscription however often it is published."""

    event_id: str
    names: tuple[WebhookEvent, ...]
    occurred_at: datetime
    tenant_id: str
    tenant_name: str
    data: dict[str, Any]
    run_id: str | None = None


def run_ended_event(run: Run, tenant_name: str, base_url: str | None) -> Event | None:
    """The event of a run's end; None while the run is active."""
    name = _RUN_EVENTS.get(run.status)
    if name is None:
        return None
    names: tuple[WebhookEvent, ...] = (name,)
    if run.run_type == SCHEDULED_BACKUP and run.status is RunStatus.FAILED:
        names = (WebhookEvent.SCHEDULED_BACKUP_FAILED, name)
    c = run.counters
    counters = {"total": c.total, "succeeded": c.succeeded, "failed": c.failed, "skipped": c.skipped}
    if c.conflicts:
        counters["conflict"] = c.conflicts
    when = run.ended_at or run.created_at
    data = {
        "id": run.run_id,
        "type": run.run_type,
        "status": run.status.value,
        "requestedBy": run.requested_by,
        "createdAt": run.created_at.isoformat(),
        "endedAt": when.isoformat(),
        "counters": counters,
        "error": run.error,
        "link": _absolute(base_url, run_link(run.tenant_id, run.run_id)),
        "page": _absolute(base_url, console_run_path(run.tenant_id, run.run_id)),
    }
    event_id = stable_hash("run", run.run_id, run.status.value)[:32]
    return Event(event_id, names, when, run.tenant_id, tenant_name, {"run": data}, run.run_id)


def tenant_unhealthy_event(
    tenant_id: str, tenant_name: str, status: str, checked_at: datetime, detail: str | None
) -> Event:
    """A verification found the tenant unhealthy (`status`: consent_missing, permissions_missing, ...)."""
    event_id = stable_hash("tenant.unhealthy", tenant_id, checked_at.isoformat())[:32]
    data = {"health": {"status": status, "checkedAt": checked_at.isoformat(), "detail": detail}}
    return Event(event_id, (WebhookEvent.TENANT_UNHEALTHY,), checked_at, tenant_id, tenant_name, data)


def scheduled_backup_missed_event(
    tenant_id: str,
    tenant_name: str,
    schedule_id: str,
    missed: Sequence[datetime],
    started: tuple[datetime, str],
    detected_at: datetime,
    base_url: str | None,
) -> Event:
    """Slots of a schedule passed with no backup; `started` is the slot started now in their stead
    and its run. One event per (schedule, started slot), however often the timer publishes it."""
    slot, run_id = started
    event_id = stable_hash("backup.scheduled_missed", tenant_id, schedule_id, slot_id(slot))[:32]
    data = {
        "schedule": {
            "id": schedule_id,
            "missedSlots": len(missed),
            "firstMissed": slot_id(missed[0]),
            "lastMissed": slot_id(missed[-1]),
            "startedSlot": slot_id(slot),
            "runId": run_id,
            "page": _absolute(base_url, console_run_path(tenant_id, run_id)),
        }
    }
    names = (WebhookEvent.SCHEDULED_BACKUP_MISSED,)
    return Event(event_id, names, detected_at, tenant_id, tenant_name, data, run_id)


def event_body(event: Event, name: WebhookEvent, delivery_id: str) -> dict[str, Any]:
    """The JSON event a `json` subscription receives."""
    return {
        "id": delivery_id,
        "eventId": event.event_id,
        "event": name.value,
        "occurredAt": event.occurred_at.isoformat(),
        "tenant": {"id": event.tenant_id, "displayName": event.tenant_name},
        **event.data,
    }


def render(body: dict[str, Any], fmt: WebhookFormat) -> dict[str, Any]:
    """What is sent: the event itself, or a Teams message made from it."""
    return body if fmt is WebhookFormat.JSON else teams_message(body)


def teams_message(body: dict[str, Any]) -> dict[str, Any]:
    """A message with one Adaptive Card (1.4, what Teams renders), as Workflows and incoming webhooks take."""
    tenant = body["tenant"]
    run = body.get("run")
    facts = [{"title": "Tenant", "value": f"{tenant['displayName']} ({tenant['id']})"}]
    actions: list[dict[str, Any]] = []
    if run is not None:
        status = RunStatus(run["status"])
        title = f"{run['type']} {status.value.replace('_', ' ')}"
        colour = _COLOURS.get(status, "Default")
        counts = run["counters"]
        facts += [
            {"title": "Run", "value": run["id"]},
            {"title": "Outcome", "value": status.value},
            {
                "title": "Items",
                "value": f"{counts['succeeded']} succeeded, {counts['failed']} failed, "
                f"{counts['skipped']} skipped of {counts['total']}",
            },
        ]
        if run.get("error"):
            facts.append({"title": "Error", "value": str(run["error"])[:300]})
        if str(run["page"]).startswith("https://"):
            actions.append({"type": "Action.OpenUrl", "title": "Open the run", "url": run["page"]})
        else:
            facts.append({"title": "Page", "value": run["page"]})
    elif body.get("schedule") is not None:
        schedule = body["schedule"]
        title, colour = "scheduled backup missed", "Warning"
        missed = f"{schedule['missedSlots']} slot(s), {schedule['firstMissed']} to {schedule['lastMissed']}"
        facts += [
            {"title": "Schedule", "value": schedule["id"]},
            {"title": "Missed", "value": missed},
            {"title": "Started instead", "value": f"{schedule['startedSlot']} (run {schedule['runId']})"},
        ]
        if str(schedule["page"]).startswith("https://"):
            actions.append({"type": "Action.OpenUrl", "title": "Open the run", "url": schedule["page"]})
    else:
        title = f"{body['event']} ({(body.get('health') or {}).get('status', '')})"
        colour = "Attention" if body["event"] == WebhookEvent.TENANT_UNHEALTHY else "Default"
        detail = (body.get("health") or {}).get("detail")
        if detail:
            facts.append({"title": "Detail", "value": str(detail)[:300]})
    card: dict[str, Any] = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": [
            {
                "type": "TextBlock",
                "size": "Medium",
                "weight": "Bolder",
                "color": colour,
                "text": f"TenantAtlas: {title}",
                "wrap": True,
            },
            {"type": "FactSet", "facts": facts},
        ],
        "actions": actions,
    }
    return {
        "type": "message",
        "attachments": [{"contentType": ADAPTIVE_CARD, "contentUrl": None, "content": card}],
    }


def _absolute(base_url: str | None, path: str) -> str:
    return f"{base_url}{path}" if base_url else path
