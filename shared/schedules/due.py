"""Which schedules are due, and starting each due slot exactly once under late, repeated or
overlapping timers.

The timer trigger does, per tick:

    for due in due_backups(store, now):
        started = claim_and_start(store, run_tables, due, now)
        if started is None:
            continue                       # another timer has it
        if not started.reused or started.run.status is RunStatus.QUEUED:
            ...start the orchestration with started.run.instance_id...
        mark_started(store, started.due, started.run.run_id, now)

Three guards, each for a different failure:
- the claim (ETag-conditional write of the schedule) lets one of two concurrent timers through;
- `mark_started` records the slot as the schedule's `last_slot` and moves `next_due` past it, so a
  repeated or late timer finds nothing due, even after the run has ended and released its dedupe key;
- the dedupe key (`backup.scheduled` + schedule + slot) makes a timer that takes over an expired
  claim (the first one crashed before `mark_started`) reuse the run the first one created.
Missed slots collapse: the slot started is always the latest one at or before `now`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from shared.audit import SYSTEM
from shared.runs import Run, RunTables, start_or_reuse
from shared.schedules.errors import ScheduleConflict, ScheduleNotFound
from shared.schedules.model import Schedule
from shared.schedules.slots import latest_slot, next_slot, slot_id
from shared.schedules.store import ScheduleStore

SCHEDULED_BACKUP = "backup.scheduled"
"""Run type of scheduled tenant backups; the dedupe parts are the schedule ID and the slot."""
CLAIM_LEASE = timedelta(minutes=5)
"""How long a claim keeps other timers off a slot: far longer than claim + start + mark takes."""
STALE_INDEX_GRACE = timedelta(minutes=10)
"""An index row that disagrees with its schedule is removed only after this, so a row written just
before its schedule (see shared.schedules.store) is never mistaken for a leftover."""
_MARK_ATTEMPTS = 5


@dataclass(frozen=True)
class DueBackup:
    """A slot to start. `schedule` is the version read (its ETag makes the claim conditional)."""

    tenant_id: str
    schedule_id: str
    slot: datetime
    schedule: Schedule

    @property
    def dedupe_parts(self) -> tuple[str, str]:
        return (self.schedule_id, slot_id(self.slot))


@dataclass(frozen=True)
class StartedBackup:
    """A claimed slot with its run; `reused` when the run already existed (a taken-over claim)."""

    due: DueBackup
    run: Run
    reused: bool


def due_slot(schedule: Schedule, now: datetime) -> datetime | None:
    """The slot to start now, or None: disabled, not due yet, already started, or claimed by a live timer."""
    if not schedule.spec.enabled or schedule.next_due is None or schedule.next_due > now:
        return None
    slot = latest_slot(schedule.spec.cron, schedule.spec.zone, now)
    if schedule.last_slot is not None and slot <= schedule.last_slot:
        return None
    live_claim = schedule.claimed_until is not None and schedule.claimed_until > now
    if live_claim and schedule.claimed_slot == slot:
        return None
    return slot


MISSED_SLOTS_LISTED = 1000
"""At most this many missed slots are counted (an hourly schedule down for a month misses 720)."""


def missed_slots(due: DueBackup) -> list[datetime]:
    """The schedule's slots that came and went unstarted before `due.slot`, oldest first: from its
    `next_due` (the first slot not yet started) up to the slot started now, which stands in for them
    (missed slots collapse). Empty when the timer is on time, or merely late for this one slot."""
    missed: list[datetime] = []
    slot = due.schedule.next_due
    spec = due.schedule.spec
    while slot is not None and slot < due.slot and len(missed) < MISSED_SLOTS_LISTED:
        missed.append(slot)
        slot = next_slot(spec.cron, spec.zone, slot)
    return missed


def due_backups(store: ScheduleStore, now: datetime) -> list[DueBackup]:
    """Every slot due at `now`, across all tenants: one index range read plus a point read per due row."""
    found: list[DueBackup] = []
    for entry in store.due_entries(now):
        try:
            schedule: Schedule | None = store.get(entry.tenant_id, entry.schedule_id)
        except ScheduleNotFound:
            schedule = None
        if schedule is None or schedule.next_due != entry.due:
            if schedule is None or entry.due < now - STALE_INDEX_GRACE:
                store.drop_due_entry(entry)
            continue
        slot = due_slot(schedule, now)
        if slot is not None:
            found.append(DueBackup(schedule.tenant_id, schedule.schedule_id, slot, schedule))
    return found


def claim(store: ScheduleStore, due: DueBackup, now: datetime) -> DueBackup | None:
    """Take the slot for `CLAIM_LEASE`; None if the schedule changed since `due` was read (someone else)."""
    claimed = due.schedule.with_changes(claimed_slot=due.slot, claimed_until=now + CLAIM_LEASE)
    try:
        stored = store.replace(due.schedule, claimed)
    except (ScheduleConflict, ScheduleNotFound):
        return None
    return replace(due, schedule=stored)


def claim_and_start(
    store: ScheduleStore, run_tables: RunTables, due: DueBackup, now: datetime
) -> StartedBackup | None:
    """Claim the slot, then create (or find) its run; None when another timer holds the slot."""
    claimed = claim(store, due, now)
    if claimed is None:
        return None
    run, reused = start_or_reuse(
        run_tables,
        due.tenant_id,
        SCHEDULED_BACKUP,
        claimed.dedupe_parts,
        SYSTEM,
        source={"scheduleId": due.schedule_id, "slot": slot_id(due.slot)},
        now=now,
    )
    return StartedBackup(claimed, run, reused)


def mark_started(store: ScheduleStore, due: DueBackup, run_id: str, now: datetime) -> Schedule:
    """Record `due.slot` as started by `run_id`, release the claim and move `next_due` past `now`.

    Call it after the orchestration was started. An admin edit in between only makes it re-read and
    retry; if another timer already recorded this slot (or a later one), nothing is written.
    """
    return _record_slot(store, due, run_id, now)


def skip_slot(store: ScheduleStore, due: DueBackup, now: datetime) -> Schedule:
    """Record `due.slot` as passed without a run (`last_run_id` None): its tenant takes no new job.

    The schedule moves on to its next slot as after a start, so a tenant enabled again is backed up
    from its next slot on, not with a catch-up of the slots it was disabled for.
    """
    return _record_slot(store, due, None, now)


def _record_slot(store: ScheduleStore, due: DueBackup, run_id: str | None, now: datetime) -> Schedule:
    schedule = due.schedule
    for _ in range(_MARK_ATTEMPTS):
        if schedule.last_slot is not None and schedule.last_slot >= due.slot:
            return schedule
        spec = schedule.spec
        updated = schedule.with_changes(
            last_slot=due.slot,
            last_run_id=run_id,
            claimed_slot=None,
            claimed_until=None,
            next_due=next_slot(spec.cron, spec.zone, max(due.slot, now)) if spec.enabled else None,
        )
        try:
            return store.replace(schedule, updated)
        except ScheduleConflict:
            schedule = store.get(due.tenant_id, due.schedule_id)
    raise ScheduleConflict("The schedule kept changing while its slot was recorded; retry.")
