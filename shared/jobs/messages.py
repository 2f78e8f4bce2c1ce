"""Every message between orchestrators and activities, and the names they are called by.

One module so that a reader sees the whole durable surface in one place: each orchestrator and
activity is named in `Orchestrator` and `Activity` (the names the worker indexes, checked by a test),
and each input and output is a small frozen record below.

On the wire a record is a Durable Functions custom object: the SDK calls `to_json` and wraps the
result as `{"__class__", "__module__", "__data__"}`; the receiving side looks the class up in this
(already imported) module and calls `from_json`. `__data__` is camelCase JSON, one key style for
every message. The records are pydantic models: the camelCase aliases, the frozen fields, the
conversion of JSON lists to tuples and a clear error for a malformed message come from a well-kept
library instead of a hand-written codec per record (and the same models can describe the API).

Moving a record to another module or renaming it breaks the histories of orchestrations in flight
(their events name the class): deploy such a change only with no run active.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from enum import StrEnum
from typing import Any, Literal, Self

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel


class Orchestrator(StrEnum):
    """The orchestrator functions, by the name the worker indexes them under."""

    TENANT_BACKUP = "tenant_backup"
    RESTORE = "restore"
    CAPTURE_POLICY_SNAPSHOT = "capture_policy_snapshot"
    FLEET_RUN = "fleet_run"


class Activity(StrEnum):
    """The activity functions, by the name the worker indexes them under."""

    BEGIN_RUN = "begin_run"
    END_RUN = "end_run"
    BEGIN_BACKUP = "begin_backup"
    BACKUP_LIST_TYPES = "backup_list_types"
    BACKUP_CAPTURE_CHUNK = "backup_capture_chunk"
    BACKUP_TOTAL = "backup_total"
    BACKUP_PROGRESS = "backup_progress"
    FINISH_BACKUP = "finish_backup"
    CAPTURE_POLICY_ITEM = "capture_policy_item"
    BEGIN_RESTORE = "begin_restore"
    RESTORE_PLAN_CHUNK = "restore_plan_chunk"
    RESTORE_FINISH_PREVIEW = "restore_finish_preview"
    RESTORE_SAFETY_BACKUP = "restore_safety_backup"
    RESTORE_APPLY_CHUNK = "restore_apply_chunk"
    RESTORE_PROGRESS = "restore_progress"
    FOLLOW_FLEET = "follow_fleet"


Output = dict[str, Any]
"""What an orchestrator returns: its result record's JSON (`record.to_json()`). The SDK refuses a custom
object as an orchestration's output (it checks the output with a plain `json.dumps`), so the record is
unwrapped here; its class still names the shape, and `Record.from_json` reads it back."""


class Message(BaseModel):
    """A frozen record with camelCase keys on the wire; `to_json`/`from_json` are the hooks the
    Durable Functions SDK calls for a custom object."""

    model_config = ConfigDict(
        frozen=True,
        alias_generator=to_camel,
        validate_by_name=True,
        validate_by_alias=True,
        serialize_by_alias=True,
    )

    def to_json(self) -> dict[str, Any]:
        return self.model_dump(mode="json")

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Self:
        return cls.model_validate(data)


# Runs: every job begins and ends its run.


class RunRef(Message):
    """Which run: the input of the activities that need nothing else, and of the backup and restore
    orchestrations."""

    tenant_id: str
    run_id: str


class RunEnd(RunRef):
    """End the run (or finish a backup's manifest); `error` makes it failed."""

    error: str | None = None


class RunBegun(Message):
    """`active` False: the run was not queued (ended or cancelled before), so the job does nothing."""

    active: bool
    status: str
    error: str | None = None


class RunEnded(Message):
    status: str
    error: str | None = None


class Counters(Message):
    """The run's counters after a progress report; None when the run is gone."""

    total: int | None = None
    processed: int | None = None


class PartProgress(RunRef):
    """One part's processed figure (a backup type, the restore plan, a write group): absolute, so a
    retried or replayed report changes nothing."""

    part: str
    processed: int


class PartsProgress(RunRef):
    """Several parts' processed figures at once (a backup's types): absolute, like `PartProgress`."""

    parts: dict[str, int]


# Chunks: the fan-out unit of backups and restores.


class RetryableChunk(RunRef):
    """A chunk of items, or only `retry` among them; on the final attempt the activity records what
    Graph still throttles as failed instead of handing it back."""

    retry: tuple[str, ...] = ()
    final_attempt: bool = False


class ChunkRequest(RetryableChunk):
    """Items `[start, end)` of the run's staged list, or only `retry` among them."""

    start: int
    end: int


class ChunkOutcome(Message):
    """A chunk's answer: its items counted by outcome, and the IDs Graph throttled, to be run again
    after `retry_after` seconds."""

    succeeded: int = 0
    failed: int = 0
    skipped: int = 0
    conflict: int = 0
    throttled: tuple[str, ...] = ()
    retry_after: float = 0.0

    @classmethod
    def of(cls, outcomes: Iterable[str], throttled: Iterable[str] = (), retry_after: float = 0.0) -> Self:
        """The counts of settled items' outcomes (`succeeded`, `failed`, `skipped`, `conflict`)."""
        counted = Counter(outcomes)
        return cls(
            succeeded=counted["succeeded"],
            failed=counted["failed"],
            skipped=counted["skipped"],
            conflict=counted["conflict"],
            throttled=tuple(throttled),
            retry_after=retry_after,
        )

    def count(self, outcome: str) -> int:
        value: int = getattr(self, outcome)
        return value


# Backups.


class BackupBegun(RunBegun):
    """The types to list; for a retry only those with failed items, and `retry_of` the run retried."""

    types: tuple[str, ...] = ()
    retry_of: str | None = None


class TypeListing(Message):
    """A type's listing: how many objects were staged, or that Graph throttled it."""

    policy_type: str
    count: int = 0
    skipped: int = 0
    throttled: bool = False
    retry_after: float = 0.0
    error: str | None = None


class TypesRequest(RunRef):
    """List these object types of the run's tenant (one activity, the types side by side); for a retry
    (`retry_of`) keep only the failed IDs."""

    policy_types: tuple[str, ...]
    retry_of: str | None = None


class TypeListings(Message):
    """Every requested type's listing, in the order requested."""

    listings: tuple[TypeListing, ...]


class ChunkSpan(Message):
    """Objects `[start, end)` of one type's staged listing."""

    policy_type: str
    start: int
    end: int


class BackupChunk(RetryableChunk):
    """Spans of one or more types captured by one activity (small types share a chunk); `retry` holds
    `type:id` keys."""

    spans: tuple[ChunkSpan, ...]


class BackupTotal(RunRef):
    total: int


class FinishBackup(RunEnd):
    """Finish a backup's manifest; `type_errors` names the types whose capture stopped, and why."""

    type_errors: dict[str, str] = {}


class BackupFinished(Message):
    backup_id: str
    manifest: str
    deleted_in_graph: int


class BackupEnded(RunEnded):
    """The backup orchestration's result."""

    backup_id: str | None = None


# Policy snapshots.


class CaptureJob(RunRef):
    """The snapshot orchestration's input: which run, and which policy it captures."""

    policy_type: str
    policy_id: str

    @property
    def item_id(self) -> str:
        """Stable across retries and runs, so a retried activity overwrites its own item."""
        return f"{self.policy_type}:{self.policy_id}"


class CaptureAttempt(Message):
    job: CaptureJob
    final_attempt: bool = False


class CaptureOutcome(Message):
    outcome: Literal["succeeded", "failed", "throttled"]
    retry_after: float = 0.0
    version_id: str | None = None
    changed: bool | None = None
    error: str | None = None


# Restores.


class ItemRange(Message):
    """Items `[start, end)` of a restore's staged list."""

    start: int
    end: int


class RestoreBegun(RunBegun):
    """Preview: the chunks to plan. Live: the groups of chunks to write, one group after another."""

    mode: Literal["preview", "live"] | None = None
    chunks: tuple[ItemRange, ...] = ()
    groups: tuple[tuple[ItemRange, ...], ...] = ()


class PreviewFinished(Message):
    planned: int
    actions: dict[str, int] = {}


class SafetyBackup(Message):
    """The safety backup before a live restore's first write: done, throttled, or failed (`error`)."""

    throttled: bool = False
    retry_after: float = 0.0
    error: str | None = None
    backup_id: str | None = None
    captured: int = 0
    failed: int = 0


class FleetProgress(Message):
    """A fleet run's children: how many are still active, how many tenants have an outcome."""

    active: int
    ended: int
