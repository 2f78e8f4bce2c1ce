"""Append-only audit per tenant: who did what, when, in which run, with which outcome.

Rows are keyed tenant / inverted time + random ID, so a tenant's trail reads newest first and
a time range is a RowKey range. Rows are only ever inserted (`create_entity`), never updated.
Details are redacted before they are stored, and queries name user input only as parameters.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from azure.data.tables import TableEntity

from shared.http.problems import ProblemError
from shared.redact import redact, redact_value
from shared.storage import (
    DEFAULT_PAGE_SIZE,
    Page,
    StorageAccount,
    inverted_time_key,
    map_page,
    names,
    query_page,
)

ANONYMOUS = "anonymous"
"""The actor of a request that carried no valid token."""
SYSTEM = "system"
"""The actor of scheduled and internal work."""

_MAX_DETAILS_CHARS = 16_000
"""Well under a Table property's 64 KiB (UTF-16), leaving room for the other columns."""
_MAX_ACTION_CHARS = 128
_ONE_MICROSECOND = timedelta(microseconds=1)


class AuditOutcome(StrEnum):
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    DENIED = "denied"


class InvalidAuditQuery(ProblemError):
    status = 400
    code = "audit.invalid_query"
    title = "The audit query is invalid."


@dataclass(frozen=True)
class AuditEvent:
    tenant_id: str
    id: str
    at: datetime
    actor: str
    """A principal key (`user:<oid>`, `app:<client id>`), `anonymous` or `system`."""
    action: str
    """What was attempted, e.g. `runs.start`, `auth.denied`."""
    outcome: AuditOutcome
    run_id: str | None = None
    details: Mapping[str, Any] = field(default_factory=dict)


class AuditLog:
    def __init__(self, account: StorageAccount) -> None:
        self._table = account.table(names.AUDIT)

    def record(
        self,
        tenant_id: str,
        action: str,
        actor: str,
        outcome: AuditOutcome,
        *,
        run_id: str | None = None,
        details: Mapping[str, Any] | None = None,
        at: datetime | None = None,
    ) -> AuditEvent:
        """Append one event; `details` are redacted (and cut to fit a Table property) before storing."""
        at = at or datetime.now(UTC)
        event = AuditEvent(
            tenant_id=tenant_id,
            id=uuid.uuid4().hex,
            at=at,
            actor=actor,
            action=_check_action(action),
            outcome=AuditOutcome(outcome),
            run_id=run_id,
            details=redact_value(dict(details or {})),
        )
        self._table.create_entity(_entity(event))
        return event

    def query(
        self,
        tenant_id: str,
        *,
        action: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        page_size: int = DEFAULT_PAGE_SIZE,
        continuation: str | None = None,
    ) -> Page[AuditEvent]:
        """One page of `tenant_id`'s events, newest first, with `since <= at < until` and the action.

        Raises `shared.storage.InvalidContinuationToken` for a token this API did not issue.
        """
        clauses = ["PartitionKey eq @tenant"]
        parameters: dict[str, Any] = {"tenant": tenant_id}
        if since is not None and until is not None and since >= until:
            raise InvalidAuditQuery("`since` must be earlier than `until`.")
        if until is not None:
            clauses.append("RowKey ge @from_key")
            parameters["from_key"] = inverted_time_key(_aware(until, "until") - _ONE_MICROSECOND)
        if since is not None:
            clauses.append("RowKey lt @to_key")
            parameters["to_key"] = inverted_time_key(_aware(since, "since") - _ONE_MICROSECOND)
        if action is not None:
            clauses.append("Action eq @action")
            parameters["action"] = _check_action(action)
        page = query_page(
            self._table, " and ".join(clauses), parameters, page_size=page_size, continuation=continuation
        )
        return map_page(page, _event_from)


def _check_action(action: str) -> str:
    if not action or len(action) > _MAX_ACTION_CHARS:
        raise InvalidAuditQuery(f"An action is 1 to {_MAX_ACTION_CHARS} characters, e.g. `runs.start`.")
    return action


def _aware(moment: datetime, name: str) -> datetime:
    if moment.tzinfo is None:
        raise InvalidAuditQuery(f"`{name}` needs a time zone, e.g. 2026-01-31T12:00:00Z.")
    return moment


def _details_json(details: Mapping[str, Any]) -> str:
    text = json.dumps(details, ensure_ascii=False, default=str, sort_keys=True)
    if len(text) <= _MAX_DETAILS_CHARS:
        return text
    return json.dumps({"truncated": True, "preview": redact(text[: _MAX_DETAILS_CHARS // 2])})


def _entity(event: AuditEvent) -> dict[str, Any]:
    entity: dict[str, Any] = {
        "PartitionKey": event.tenant_id,
        "RowKey": f"{inverted_time_key(event.at)}_{event.id}",
        "At": event.at,
        "Actor": event.actor,
        "Action": event.action,
        "Outcome": str(event.outcome),
        "Details": _details_json(event.details),
    }
    if event.run_id is not None:
        entity["RunId"] = event.run_id
    return entity


def _event_from(entity: TableEntity) -> AuditEvent:
    return AuditEvent(
        tenant_id=entity["PartitionKey"],
        id=entity["RowKey"].rpartition("_")[2],
        at=entity["At"],
        actor=entity["Actor"],
        action=entity["Action"],
        outcome=AuditOutcome(entity["Outcome"]),
        run_id=entity.get("RunId"),
        details=json.loads(entity.get("Details") or "{}"),
    )
