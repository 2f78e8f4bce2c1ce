"""Scheduled tenant backups: schedules (NCRONTAB in a time zone, retention), their storage and due
index, exactly-once slots for the timer, and the retention plan
(docs/architecture.md#scheduled-backups-and-retention).

`access` (a schedule named in a tenant route, under the isolation rules) serves the HTTP routes and
is imported by module, not re-exported: it builds on auth and the worker's services.
"""

from shared.schedules.due import (
    CLAIM_LEASE,
    SCHEDULED_BACKUP,
    DueBackup,
    StartedBackup,
    claim,
    claim_and_start,
    due_backups,
    due_slot,
    mark_started,
    missed_slots,
    skip_slot,
)
from shared.schedules.errors import (
    InvalidCron,
    InvalidRetention,
    InvalidScheduleField,
    InvalidTimeZone,
    ScheduleConflict,
    ScheduleError,
    ScheduleNotFound,
    ScheduleTooFrequent,
)
from shared.schedules.model import RetentionPolicy, Schedule, ScheduleSpec, parse_schedule_spec
from shared.schedules.retention import BackupSetSummary, plan_retention
from shared.schedules.slots import latest_slot, load_zone, next_slot, normalize_cron, slot_id, slot_instant
from shared.schedules.store import ScheduleStore

__all__ = [
    "CLAIM_LEASE",
    "SCHEDULED_BACKUP",
    "BackupSetSummary",
    "DueBackup",
    "InvalidCron",
    "InvalidRetention",
    "InvalidScheduleField",
    "InvalidTimeZone",
    "RetentionPolicy",
    "Schedule",
    "ScheduleConflict",
    "ScheduleError",
    "ScheduleNotFound",
    "ScheduleSpec",
    "ScheduleStore",
    "ScheduleTooFrequent",
    "StartedBackup",
    "claim",
    "claim_and_start",
    "due_backups",
    "due_slot",
    "latest_slot",
    "load_zone",
    "mark_started",
    "missed_slots",
    "next_slot",
    "normalize_cron",
    "parse_schedule_spec",
    "plan_retention",
    "skip_slot",
    "slot_id",
    "slot_instant",
]
