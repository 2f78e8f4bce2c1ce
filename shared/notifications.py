"""Notifications for the principal who requested a run: started, succeeded, partially succeeded,
failed, cancelled, each with a link to the run.

One record per (run, status): its RowKey is derived from the run's own stored event time and
a hash of (run, status), so a retried activity finds its earlier record instead of adding one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from azure.core.exceptions import ResourceExistsError, ResourceNotFoundError
from azure.data.tables import TableClient, UpdateMode

from shared.http.problems import ProblemError
from shared.runs.model import FLEET, Run, RunStatus
from shared.storage import (
    DEFAULT_PAGE_SIZE,
    Page,
    decode_key,
    encode_key,
    inverted_time_key,
    map_page,
    query_page,
    stable_hash,
)

NOTIFICATION_ID_PATTERN = re.compile(r"^\d{18}-[0-9a-f]{16}$")

_PHRASES = {
    RunStatus.QUEUED: "started",
    RunStatus.RUNNING: "started",
    RunStatus.SUCCEEDED: "succeeded",
    RunStatus.PARTIALLY_SUCCEEDED: "partially succeeded",
    RunStatus.FAILED: "failed",
    RunStatus.CANCELLED: "was cancelled",
}


class NotificationNotFound(ProblemError):
    """No notification with this ID belongs to the caller (another principal's ID looks the same)."""

    status = 404
    code = "notification.not_found"
    title = "The notification was not found."


@dataclass(frozen=True)
class Notification:
    """One notification; `notification_id` is its RowKey within the principal's partition."""

    notification_id: str
    principal_id: str
    event: str
    title: str
    status: str
    run_id: str
    tenant_id: str
    link: str
    created_at: datetime
    read: bool = False

    def to_api(self) -> dict[str, Any]:
        return {
            "id": self.notification_id,
            "event": self.event,
            "title": self.title,
            "status": self.status,
            "runId": self.run_id,
            "tenantId": self.tenant_id,
            "link": self.link,
            "page": console_run_path(self.tenant_id, self.run_id),
            "createdAt": self.created_at.isoformat(),
            "read": self.read,
        }


def run_link(tenant_id: str, run_id: str) -> str:
    """The API path of a run (relative, so it is right behind any host name)."""
    if tenant_id == FLEET:
        return f"/api/fleet/runs/{quote(run_id, safe='')}"
    return f"/api/tenants/{quote(tenant_id, safe='')}/runs/{quote(run_id, safe='')}"


def console_run_path(tenant_id: str, run_id: str) -> str:
    """The console's page of a run (docs/console.md#pages), next to the API `link`; a fleet run's
    page is `/fleet/runs/{id}`."""
    if tenant_id == FLEET:
        return f"/fleet/runs/{quote(run_id, safe='')}"
    return f"/tenants/{quote(tenant_id, safe='')}/runs/{quote(run_id, safe='')}"


def _event(run: Run) -> tuple[str, datetime]:
    """The event a run's status means, and its time as stored on the run (stable across retries)."""
    if run.status.is_active:
        return "started", run.created_at
    return run.status.value, run.ended_at or run.created_at


def _title(run: Run) -> str:
    label = run.run_type.replace(".", " ").replace("_", " ").strip().capitalize() or "Run"
    return f"{label} {_PHRASES[run.status]}"


def _from_entity(entity: Any) -> Notification:
    return Notification(
        notification_id=entity["RowKey"],
        principal_id=decode_key(entity["PartitionKey"]),
        event=entity["Event"],
        title=entity["Title"],
        status=entity["Status"],
        run_id=entity["RunId"],
        tenant_id=entity["TenantId"],
        link=entity["Link"],
        created_at=entity["CreatedAt"],
        read=bool(entity.get("Read", False)),
    )


def notify_run(table: TableClient, run: Run, recipient: str | None = None) -> tuple[Notification, bool]:
    """Record the notification for the run's current status, for its requester or `recipient`;
    `created` is False if it already existed."""
    event, when = _event(run)
    partition = encode_key(recipient or run.requested_by)
    row = f"{inverted_time_key(when)}-{stable_hash(run.run_id, event)[:16]}"
    entity: dict[str, Any] = {
        "PartitionKey": partition,
        "RowKey": row,
        "Event": event,
        "Title": _title(run),
        "Status": run.status.value,
        "RunId": run.run_id,
        "TenantId": run.tenant_id,
        "Link": run_link(run.tenant_id, run.run_id),
        "CreatedAt": when,
        "Read": False,
    }
    try:
        table.create_entity(entity)
    except ResourceExistsError:
        return _from_entity(table.get_entity(partition, row)), False
    return _from_entity(entity), True


def list_notifications(
    table: TableClient,
    principal_id: str,
    *,
    unread_only: bool = False,
    page_size: int = DEFAULT_PAGE_SIZE,
    continuation: str | None = None,
) -> Page[Notification]:
    """The principal's notifications, newest first."""
    query = "PartitionKey eq @principal"
    parameters: dict[str, Any] = {"principal": encode_key(principal_id)}
    if unread_only:
        query += " and Read eq @read"
        parameters["read"] = False
    page = query_page(table, query, parameters, page_size=page_size, continuation=continuation)
    return map_page(page, _from_entity)


def mark_read(table: TableClient, principal_id: str, notification_id: str) -> Notification:
    """Mark one of the principal's own notifications read; anyone else's ID is simply not found."""
    partition = encode_key(principal_id)
    if not NOTIFICATION_ID_PATTERN.match(notification_id):
        raise NotificationNotFound(f"Notification {notification_id!r} was not found.")
    try:
        current = _from_entity(table.get_entity(partition, notification_id))
        if not current.read:
            change = {"PartitionKey": partition, "RowKey": notification_id, "Read": True}
            table.update_entity({**change, "ReadAt": datetime.now(UTC)}, mode=UpdateMode.MERGE)
    except ResourceNotFoundError as exc:
        raise NotificationNotFound(f"Notification {notification_id!r} was not found.") from exc
    return replace(current, read=True)
