"""Schedules in Table Storage (PK tenant, RK schedule ID) and the due index the timer reads.

Finding due schedules across all tenants must not scan every tenant's partition on every tick.
The `scheduledue` table holds one row per enabled schedule in a single partition, keyed by
`<next due, UTC ISO>|<tenant>|<schedule>`, so "everything due by now" is one RowKey range read
that returns only due rows. One partition is fine at our scale (a row written per schedule change
and per slot; a partition takes thousands of writes a second).

The two tables cannot share a transaction, so each change writes the new index row first, then
the schedule (ETag-conditional), then deletes the old row. A crash leaves at worst an extra row,
which `due_backups` recognises (its time is not the schedule's `next_due`) and removes; an
enabled schedule is never left without its row.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from azure.core import MatchConditions
from azure.core.exceptions import ResourceModifiedError, ResourceNotFoundError
from azure.data.tables import UpdateMode

from shared.schedules.errors import ScheduleConflict, ScheduleNotFound
from shared.schedules.model import Schedule, ScheduleSpec
from shared.schedules.slots import next_slot, slot_id
from shared.storage import DEFAULT_PAGE_SIZE, Page, StorageAccount, encode_key, map_page, names, query_page

DUE_PARTITION = "due"
_SCHEDULE_ID_CHARS = frozenset("0123456789abcdef")
_CHANGED = "The schedule changed since it was read; read it again and retry."


@dataclass(frozen=True)
class DueEntry:
    """One row of the due index: the schedule it names and the due time the row was written for."""

    tenant_id: str
    schedule_id: str
    due: datetime
    row_key: str


def due_row_key(schedule: Schedule) -> str | None:
    if schedule.next_due is None:
        return None
    return f"{slot_id(schedule.next_due)}|{encode_key(schedule.tenant_id)}|{schedule.schedule_id}"


class ScheduleStore:
    """CRUD for schedules and the due index; every write of a schedule is ETag-conditional."""

    def __init__(self, account: StorageAccount) -> None:
        self._table = account.table(names.SCHEDULES)
        self._due = account.table(names.SCHEDULE_DUE)

    def create(self, tenant_id: str, spec: ScheduleSpec, actor: str, now: datetime) -> Schedule:
        """A new schedule; its first slot is the first one after `now` (no catch-up of the past)."""
        schedule = Schedule(
            tenant_id=tenant_id,
            schedule_id=uuid.uuid4().hex,
            spec=spec,
            created_by=actor,
            created_at=now,
            updated_by=actor,
            updated_at=now,
            next_due=next_slot(spec.cron, spec.zone, now) if spec.enabled else None,
        )
        self._write_due_row(schedule)
        metadata = self._table.create_entity(schedule.to_entity())
        return schedule.with_changes(etag=metadata["etag"])

    def get(self, tenant_id: str, schedule_id: str) -> Schedule:
        if not schedule_id or not set(schedule_id) <= _SCHEDULE_ID_CHARS:
            raise ScheduleNotFound(f"Schedule {schedule_id[:64]!r} was not found.")
        try:
            return Schedule.from_entity(self._table.get_entity(encode_key(tenant_id), schedule_id))
        except ResourceNotFoundError as exc:
            raise ScheduleNotFound(f"Schedule {schedule_id!r} was not found.") from exc

    def list(
        self, tenant_id: str, *, page_size: int = DEFAULT_PAGE_SIZE, continuation: str | None = None
    ) -> Page[Schedule]:
        page = query_page(
            self._table,
            "PartitionKey eq @tenant",
            {"tenant": encode_key(tenant_id)},
            page_size=page_size,
            continuation=continuation,
        )
        return map_page(page, Schedule.from_entity)

    def update(
        self,
        tenant_id: str,
        schedule_id: str,
        spec: ScheduleSpec,
        actor: str,
        etag: str | None,
        now: datetime,
    ) -> Schedule:
        """Replace the caller's part. `etag` is what the caller read (If-Match); None means "whatever is
        stored now", still written conditionally on the version read here.

        The next due slot is kept while cron, zone and enabled are unchanged; otherwise it is the first
        slot after `now`, so changing or re-enabling a schedule never starts a backup for the past.
        """
        current = self.get(tenant_id, schedule_id)
        if etag is not None and etag != current.etag:
            raise ScheduleConflict(_CHANGED)
        unchanged = (current.spec.cron, current.spec.time_zone, current.spec.enabled) == (
            spec.cron,
            spec.time_zone,
            spec.enabled,
        )
        if not spec.enabled:
            next_due = None
        elif unchanged and current.next_due is not None:
            next_due = current.next_due
        else:
            next_due = next_slot(spec.cron, spec.zone, now)
        updated = current.with_changes(spec=spec, updated_by=actor, updated_at=now, next_due=next_due)
        return self.replace(current, updated)

    def replace(self, current: Schedule, updated: Schedule) -> Schedule:
        """Write `updated` if the stored schedule is still `current` (by ETag), keeping the index in step.

        Raises ScheduleConflict if it changed, ScheduleNotFound if it was deleted.
        """
        old_row, new_row = due_row_key(current), due_row_key(updated)
        if new_row != old_row:
            self._write_due_row(updated)
        try:
            metadata = self._table.update_entity(
                updated.to_entity(),
                mode=UpdateMode.REPLACE,
                etag=current.etag,
                match_condition=MatchConditions.IfNotModified,
            )
        except ResourceModifiedError as exc:
            self._delete_due_row(new_row if new_row != old_row else None)
            raise ScheduleConflict(_CHANGED) from exc
        except ResourceNotFoundError as exc:
            self._delete_due_row(new_row)
            raise ScheduleNotFound(f"Schedule {current.schedule_id!r} was not found.") from exc
        if new_row != old_row:
            self._delete_due_row(old_row)
        return updated.with_changes(etag=metadata["etag"])

    def delete(self, tenant_id: str, schedule_id: str, etag: str | None = None) -> None:
        """Delete the schedule (conditionally on `etag` when given) and its index row."""
        current = self.get(tenant_id, schedule_id)
        if etag is not None and etag != current.etag:
            raise ScheduleConflict(_CHANGED)
        try:
            self._table.delete_entity(
                encode_key(tenant_id),
                schedule_id,
                etag=current.etag,
                match_condition=MatchConditions.IfNotModified,
            )
        except ResourceModifiedError as exc:
            raise ScheduleConflict(_CHANGED) from exc
        self._delete_due_row(due_row_key(current))

    def due_entries(self, now: datetime) -> Iterator[DueEntry]:
        """Index rows due at or before `now`, oldest first: one range read over one partition."""
        rows = self._due.query_entities(
            "PartitionKey eq @pk and RowKey lt @upper",
            parameters={"pk": DUE_PARTITION, "upper": slot_id(now) + "~"},
        )
        for row in rows:
            yield DueEntry(row["TenantId"], row["ScheduleId"], row["Due"], row["RowKey"])

    def drop_due_entry(self, entry: DueEntry) -> None:
        """Remove an index row that no longer matches its schedule (left by a crash or a race)."""
        self._delete_due_row(entry.row_key)

    def _write_due_row(self, schedule: Schedule) -> None:
        row_key = due_row_key(schedule)
        if row_key is None:
            return
        self._due.upsert_entity(
            {
                "PartitionKey": DUE_PARTITION,
                "RowKey": row_key,
                "TenantId": schedule.tenant_id,
                "ScheduleId": schedule.schedule_id,
                "Due": schedule.next_due,
            },
            mode=UpdateMode.REPLACE,
        )

    def _delete_due_row(self, row_key: str | None) -> None:
        if row_key is not None:
            with contextlib.suppress(ResourceNotFoundError):
                self._due.delete_entity(DUE_PARTITION, row_key)
