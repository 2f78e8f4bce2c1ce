"""Schedule records: what the caller sets (ScheduleSpec), what the timer keeps (slots, claims), and
their Table entity and API forms. Parsing validates everything before anything is written."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from shared.schedules.errors import InvalidRetention, InvalidScheduleField
from shared.schedules.slots import load_zone, normalize_cron, slot_id
from shared.storage import decode_key, encode_key

MAX_KEEP_LAST = 1000
MAX_KEEP_DAYS = 3650
_SPEC_FIELDS = frozenset({"cron", "timeZone", "retention", "enabled"})
_RETENTION_FIELDS = frozenset({"keepLast", "keepDays"})


@dataclass(frozen=True)
class RetentionPolicy:
    """Keep the last `keep_last` backups and/or those newer than `keep_days` days (a backup either
    rule keeps is kept). At least one is set; see `shared.schedules.retention` for the full rules."""

    keep_last: int | None = None
    keep_days: int | None = None

    def __post_init__(self) -> None:
        if self.keep_last is None and self.keep_days is None:
            raise InvalidRetention("Retention needs `keepLast`, `keepDays` or both.")
        _check_bound("keepLast", self.keep_last, MAX_KEEP_LAST)
        _check_bound("keepDays", self.keep_days, MAX_KEEP_DAYS)

    def to_api(self) -> dict[str, int | None]:
        return {"keepLast": self.keep_last, "keepDays": self.keep_days}


def _check_bound(name: str, value: object, maximum: int) -> None:
    # bool is an int in Python, but `true` is not a count.
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= maximum:
        raise InvalidRetention(f"`{name}` must be a whole number from 1 to {maximum}, or absent.")


@dataclass(frozen=True)
class ScheduleSpec:
    """The caller's part of a schedule, validated: six-field cron, IANA zone, retention, enabled."""

    cron: str
    time_zone: str
    retention: RetentionPolicy
    enabled: bool = True

    @property
    def zone(self) -> ZoneInfo:
        return load_zone(self.time_zone)


def parse_schedule_spec(body: object) -> ScheduleSpec:
    """The spec in a request body (`cron`, `timeZone`, `retention: {keepLast, keepDays}`, `enabled`),
    or the ScheduleError that names the first thing to fix."""
    if not isinstance(body, Mapping):
        raise InvalidScheduleField("The body must be a JSON object with `cron`, `timeZone` and `retention`.")
    unknown = sorted(set(body) - _SPEC_FIELDS)
    if unknown:
        raise InvalidScheduleField(f"Unknown field(s) {unknown}; allowed: {sorted(_SPEC_FIELDS)}.")
    cron = normalize_cron(body.get("cron"))
    time_zone = load_zone(body.get("timeZone")).key
    retention = body.get("retention")
    if not isinstance(retention, Mapping) or set(retention) - _RETENTION_FIELDS:
        raise InvalidRetention("`retention` must be an object with `keepLast` and/or `keepDays`.")
    enabled = body.get("enabled", True)
    if not isinstance(enabled, bool):
        raise InvalidScheduleField("`enabled` must be true or false.")
    policy = RetentionPolicy(keep_last=retention.get("keepLast"), keep_days=retention.get("keepDays"))
    return ScheduleSpec(cron=cron, time_zone=time_zone, retention=policy, enabled=enabled)


@dataclass(frozen=True)
class Schedule:
    """One stored schedule. `next_due` is None while disabled; `last_slot` is the last slot started.

    A claim (`claimed_slot` until `claimed_until`) marks a slot a timer is starting right now, so a
    concurrent timer leaves it alone, and a timer that crashed mid-start is taken over after the lease.
    """

    tenant_id: str
    schedule_id: str
    spec: ScheduleSpec
    created_by: str
    created_at: datetime
    updated_by: str
    updated_at: datetime
    next_due: datetime | None = None
    last_slot: datetime | None = None
    last_run_id: str | None = None
    claimed_slot: datetime | None = None
    claimed_until: datetime | None = None
    etag: str | None = field(default=None, compare=False)

    def with_changes(self, **changes: Any) -> Schedule:
        return replace(self, **changes)

    def to_entity(self) -> dict[str, Any]:
        retention = self.spec.retention
        return {
            "PartitionKey": encode_key(self.tenant_id),
            "RowKey": self.schedule_id,
            "TenantId": self.tenant_id,
            "Cron": self.spec.cron,
            "TimeZone": self.spec.time_zone,
            "KeepLast": retention.keep_last,
            "KeepDays": retention.keep_days,
            "Enabled": self.spec.enabled,
            "CreatedBy": self.created_by,
            "CreatedAt": self.created_at,
            "UpdatedBy": self.updated_by,
            "UpdatedAt": self.updated_at,
            "NextDue": self.next_due,
            "LastSlot": self.last_slot,
            "LastRunId": self.last_run_id,
            "ClaimedSlot": self.claimed_slot,
            "ClaimedUntil": self.claimed_until,
        }

    @classmethod
    def from_entity(cls, entity: Any) -> Schedule:
        metadata = getattr(entity, "metadata", {}) or {}
        spec = ScheduleSpec(
            cron=entity["Cron"],
            time_zone=entity["TimeZone"],
            retention=RetentionPolicy(keep_last=entity.get("KeepLast"), keep_days=entity.get("KeepDays")),
            enabled=bool(entity["Enabled"]),
        )
        return cls(
            tenant_id=entity.get("TenantId") or decode_key(entity["PartitionKey"]),
            schedule_id=entity["RowKey"],
            spec=spec,
            created_by=entity["CreatedBy"],
            created_at=entity["CreatedAt"],
            updated_by=entity["UpdatedBy"],
            updated_at=entity["UpdatedAt"],
            next_due=entity.get("NextDue"),
            last_slot=entity.get("LastSlot"),
            last_run_id=entity.get("LastRunId"),
            claimed_slot=entity.get("ClaimedSlot"),
            claimed_until=entity.get("ClaimedUntil"),
            etag=metadata.get("etag"),
        )

    def to_api(self) -> dict[str, Any]:
        """The JSON shape of the schedule routes (camelCase, ISO 8601, no claim internals)."""
        return {
            "id": self.schedule_id,
            "tenantId": self.tenant_id,
            "cron": self.spec.cron,
            "timeZone": self.spec.time_zone,
            "retention": self.spec.retention.to_api(),
            "enabled": self.spec.enabled,
            "createdBy": self.created_by,
            "createdAt": self.created_at.isoformat(),
            "updatedBy": self.updated_by,
            "updatedAt": self.updated_at.isoformat(),
            "nextDue": None if self.next_due is None else slot_id(self.next_due),
            "lastSlot": None if self.last_slot is None else slot_id(self.last_slot),
            "lastRunId": self.last_run_id,
        }
