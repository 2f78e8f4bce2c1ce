"""Run states, allowed transitions, counters and the run record with its Table entity form."""

from __future__ import annotations

import json
import re
import secrets
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from typing import Any

from shared.runs.errors import InvalidRunTransition
from shared.storage import decode_key, encode_key, inverted_time_key

_MAX_JSON_CHARS = 30_000
RUN_ID_PATTERN = re.compile(r"^\d{18}-[0-9a-f]{12}$")
FLEET = "fleet"
"""The runs partition of fleet runs (one request over many tenants; docs/fleet.md): no tenant's."""


class RunStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    PARTIALLY_SUCCEEDED = "partially_succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def is_active(self) -> bool:
        """Queued or running: a run in these states holds its dedupe key."""
        return self in (RunStatus.QUEUED, RunStatus.RUNNING)


_ALLOWED: dict[RunStatus, frozenset[RunStatus]] = {
    RunStatus.QUEUED: frozenset({RunStatus.RUNNING, RunStatus.FAILED, RunStatus.CANCELLED}),
    RunStatus.RUNNING: frozenset(
        {RunStatus.SUCCEEDED, RunStatus.PARTIALLY_SUCCEEDED, RunStatus.FAILED, RunStatus.CANCELLED}
    ),
}


def check_transition(current: RunStatus, target: RunStatus) -> bool:
    """True if the change must be written, False if the run is already there (a retried call).

    Raises InvalidRunTransition for anything else: ended runs never change, and a run must
    have been running to succeed.
    """
    if current == target:
        return False
    if target not in _ALLOWED.get(current, frozenset()):
        raise InvalidRunTransition(f"A run cannot go from {current.value} to {target.value}.")
    return True


@dataclass(frozen=True)
class Counters:
    """Item counts; at the end of a run they equal the recorded item outcomes."""

    total: int = 0
    processed: int = 0
    succeeded: int = 0
    failed: int = 0
    skipped: int = 0
    conflicts: int = 0
    """Items not written because their target changed or is ambiguous (restores only)."""


def derive_status(counters: Counters, *, fatal: bool) -> RunStatus:
    """The end status a run's outcomes imply: no failure (or conflict) is a success, failures with
    successes are partial."""
    if fatal:
        return RunStatus.FAILED
    if counters.failed == 0 and counters.conflicts == 0:
        return RunStatus.SUCCEEDED
    if counters.succeeded > 0:
        return RunStatus.PARTIALLY_SUCCEEDED
    return RunStatus.FAILED


def new_run_id(created_at: datetime) -> str:
    """Inverted creation time plus randomness: as a RowKey it sorts newest first and is unique."""
    return f"{inverted_time_key(created_at)}-{secrets.token_hex(6)}"


def dump_json(value: dict[str, Any] | None) -> str | None:
    """JSON text for a Table property, bounded below the 64 KiB property limit."""
    if value is None:
        return None
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    if len(text) > _MAX_JSON_CHARS:
        raise ValueError(
            f"Run details are limited to {_MAX_JSON_CHARS} JSON characters; pass blob references."
        )
    return text


def load_json(text: str | None) -> dict[str, Any] | None:
    return None if text is None else dict(json.loads(text))


@dataclass(frozen=True)
class Run:
    """One run record. `etag` is the version read from storage, used for conditional updates."""

    run_id: str
    tenant_id: str
    run_type: str
    status: RunStatus
    dedupe_key: str
    instance_id: str
    requested_by: str
    created_at: datetime
    started_at: datetime | None = None
    ended_at: datetime | None = None
    counters: Counters = field(default_factory=Counters)
    summary: dict[str, Any] | None = None
    error: str | None = None
    source: dict[str, Any] | None = None
    parameters: dict[str, Any] | None = None
    etag: str | None = field(default=None, compare=False)

    def with_changes(self, **changes: Any) -> Run:
        return replace(self, **changes)

    def to_entity(self) -> dict[str, Any]:
        c = self.counters
        return {
            "PartitionKey": encode_key(self.tenant_id),
            "RowKey": self.run_id,
            "TenantId": self.tenant_id,
            "RunType": self.run_type,
            "Status": self.status.value,
            "DedupeKey": self.dedupe_key,
            "InstanceId": self.instance_id,
            "RequestedBy": self.requested_by,
            "CreatedAt": self.created_at,
            "StartedAt": self.started_at,
            "EndedAt": self.ended_at,
            "Total": c.total,
            "Processed": c.processed,
            "Succeeded": c.succeeded,
            "Failed": c.failed,
            "Skipped": c.skipped,
            "Conflicts": c.conflicts,
            "Summary": dump_json(self.summary),
            "Error": self.error,
            "Source": dump_json(self.source),
            "Parameters": dump_json(self.parameters),
        }

    @classmethod
    def from_entity(cls, entity: Any) -> Run:
        metadata = getattr(entity, "metadata", {}) or {}
        return cls(
            run_id=entity["RowKey"],
            tenant_id=entity.get("TenantId") or decode_key(entity["PartitionKey"]),
            run_type=entity["RunType"],
            status=RunStatus(entity["Status"]),
            dedupe_key=entity["DedupeKey"],
            instance_id=entity["InstanceId"],
            requested_by=entity["RequestedBy"],
            created_at=entity["CreatedAt"],
            started_at=entity.get("StartedAt"),
            ended_at=entity.get("EndedAt"),
            counters=Counters(
                total=entity.get("Total", 0),
                processed=entity.get("Processed", 0),
                succeeded=entity.get("Succeeded", 0),
                failed=entity.get("Failed", 0),
                skipped=entity.get("Skipped", 0),
                conflicts=entity.get("Conflicts", 0),
            ),
            summary=load_json(entity.get("Summary")),
            error=entity.get("Error"),
            source=load_json(entity.get("Source")),
            parameters=load_json(entity.get("Parameters")),
            etag=metadata.get("etag"),
        )

    def to_api(self) -> dict[str, Any]:
        """The JSON shape returned by the run routes (camelCase, ISO 8601 times, no storage internals)."""

        def iso(moment: datetime | None) -> str | None:
            return None if moment is None else moment.isoformat()

        return {
            "id": self.run_id,
            "tenantId": self.tenant_id,
            "type": self.run_type,
            "status": self.status.value,
            "instanceId": self.instance_id,
            "requestedBy": self.requested_by,
            "createdAt": iso(self.created_at),
            "startedAt": iso(self.started_at),
            "endedAt": iso(self.ended_at),
            "counters": self._counters_api(),
            "summary": self.summary,
            "error": self.error,
            "source": self.source,
            "parameters": self.parameters,
        }

    def _counters_api(self) -> dict[str, int]:
        """`conflict` appears only when an item conflicted, so runs that cannot conflict keep their shape."""
        c = self.counters
        counters = {
            "total": c.total,
            "processed": c.processed,
            "succeeded": c.succeeded,
            "failed": c.failed,
            "skipped": c.skipped,
        }
        if c.conflicts:
            counters["conflict"] = c.conflicts
        return counters
