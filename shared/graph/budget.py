"""A Graph budget every instance of the app shares: blocks of slots booked in one table row.

Graph counts an app's requests per tenant across all our instances, so pacing in each process
(`shared.graph.pacing`) holds only while one process carries a tenant. Here each (Graph host,
tenant, app) has one row in the `graphbudget` table holding two ledgers (`shared.graph.ledger`):
requests of any kind and writes. A process books a block of slots with one ETag-conditional
write of that row, spends the block locally for at most `hold` seconds, and gives back what it
did not spend in its next booking; so storage round trips stay far below Graph requests, and a
process that dies with slots unspent holds them at most one window. Why a table row and not a
Durable entity or a blob lease: docs/graph-intune.md#a-budget-shared-by-every-instance.

Nothing here blocks for long: a booking further away than the caller may wait is refused
(`ReservationTooLate`, as by the process pacer); so is one whose row stayed contended for
`contention_seconds` (the caller's orchestrator waits and tries again, nothing is sent). A
storage call has a short timeout and no retries, and a budget whose storage fails hands over to
the process's own pacer for `fallback_seconds`. A 429's Retry-After is written to the row, so
every instance holds off, not just the one throttled.
"""

from __future__ import annotations

import logging
import random
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import urlsplit

from azure.core import MatchConditions
from azure.core.exceptions import (
    AzureError,
    ResourceExistsError,
    ResourceModifiedError,
    ResourceNotFoundError,
)
from azure.data.tables import TableClient, UpdateMode

from shared.graph.ledger import Block, Ledger, LedgerFormatError
from shared.graph.pacing import (
    ARRIVAL_SLACK_SECONDS,
    WINDOW_SECONDS,
    Pacer,
    PacingPolicy,
    ReservationTooLate,
    shared_pacer,
)
from shared.storage.keys import encode_key

logger = logging.getLogger(__name__)

CONTENDED_SECONDS = 10.0
"""After a booking planned on the row as this process left it failed (another process had written
it), bookings read the row first for this long: two round trips instead of three."""
COUNTERS = ("claims", "slots", "given_back", "reads", "updates", "conflicts", "throttles", "fallbacks")
"""What every process adds to the row as it writes it: how the budget is used, for benchmarks."""


@dataclass(frozen=True)
class BudgetTuning:
    hold: float = 2.0
    """Seconds a block booked for more than one request may be spent from its start. Given back, it
    keeps only the part of its hold it used: it counts a window after its last request."""
    slack: float = ARRIVAL_SLACK_SECONDS
    """How much later than sent a request may reach Graph, clocks of instances apart included."""
    read_block: int = 20
    """Slots a read booking takes when it needs fewer (one `$batch` round); at most a fifth of the limit."""
    write_block: int = 5
    """Slots a write booking takes when it needs fewer; at most a fifth of the limit."""
    contention_seconds: float = 5.0
    """How long one booking retries a row other processes keep writing before it is refused."""
    contention_backoff: float = 0.1
    """The longest pause between two tries of a contended row (full jitter, doubling from 5 ms)."""
    storage_timeout: float = 3.0
    """Seconds to connect to storage, and again to read its answer; no retries."""
    fallback_seconds: float = 30.0
    """How long a process paces alone after the shared budget could not be reached."""

    def block(self, limit: int, write: bool) -> int:
        wanted = self.write_block if write else self.read_block
        return max(1, min(wanted, limit // 5))


@dataclass(frozen=True)
class BudgetKey:
    """One (Graph host, tenant, app): the unit Graph counts. PartitionKey tenant, RowKey app@host."""

    graph_host: str
    tenant_id: str
    client_id: str

    @classmethod
    def of(cls, graph_base_url: str, tenant_id: str, client_id: str) -> BudgetKey:
        host = urlsplit(graph_base_url).netloc or graph_base_url
        return cls(host.lower(), tenant_id.lower(), client_id.lower())

    @property
    def partition_key(self) -> str:
        return encode_key(self.tenant_id)

    @property
    def row_key(self) -> str:
        return encode_key(f"{self.client_id}@{self.graph_host}")


@dataclass
class BudgetRow:
    """The row as last read or written: both ledgers, the Retry-After holds and the counters."""

    reads: Ledger = field(default_factory=Ledger)
    writes: Ledger = field(default_factory=Ledger)
    reads_blocked_until: float = 0.0
    writes_blocked_until: float = 0.0
    counters: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COUNTERS, 0))
    etag: str | None = None
    """None: the row does not exist yet (the first write inserts it)."""


class BudgetConflict(Exception):
    """Another process wrote the row since we read it."""


class BudgetTable:
    """Reads and conditionally writes budget rows; each call once, with short timeouts."""

    def __init__(self, table: TableClient, timeout: float) -> None:
        self.table = table
        self._call_options: dict[str, Any] = {
            "retry_total": 0,
            "connection_timeout": timeout,
            "read_timeout": timeout,
        }

    def read(self, key: BudgetKey) -> BudgetRow:
        try:
            entity = self.table.get_entity(key.partition_key, key.row_key, **self._call_options)
        except ResourceNotFoundError:
            return BudgetRow()
        return BudgetRow(
            reads=_ledger(entity.get("anyLedger")),
            writes=_ledger(entity.get("writeLedger")),
            reads_blocked_until=float(entity.get("readsBlockedUntil") or 0.0),
            writes_blocked_until=float(entity.get("writesBlockedUntil") or 0.0),
            counters={name: int(entity.get(name) or 0) for name in COUNTERS},
            etag=entity.metadata["etag"],
        )

    def write(self, key: BudgetKey, row: BudgetRow) -> str:
        """The new ETag; BudgetConflict when the row changed (or appeared) since `row` was read."""
        entity: dict[str, Any] = {
            "PartitionKey": key.partition_key,
            "RowKey": key.row_key,
            "anyLedger": row.reads.format(),
            "writeLedger": row.writes.format(),
            "readsBlockedUntil": row.reads_blocked_until,
            "writesBlockedUntil": row.writes_blocked_until,
            **{name: _int64(value) for name, value in row.counters.items()},
        }
        try:
            if row.etag is None:
                metadata = self.table.create_entity(entity, **self._call_options)
            else:
                metadata = self.table.update_entity(
                    entity,
                    mode=UpdateMode.REPLACE,
                    etag=row.etag,
                    match_condition=MatchConditions.IfNotModified,
                    **self._call_options,
                )
        except (ResourceExistsError, ResourceModifiedError) as exc:
            raise BudgetConflict() from exc
        return str(metadata["etag"])


@dataclass
class _Held:
    """The block this process is spending for one ledger kind."""

    block: Block
    spent: int = 0
    last_spent: float = 0.0
    """When the last of its slots was handed out: the block's requests were all sent by then."""

    def fits(self, count: int, now: float) -> bool:
        return now <= self.block.end and self.spent + count <= self.block.count

    def spend(self, count: int, now: float) -> float:
        """Hand out `count` slots; the seconds to wait before sending."""
        self.spent += count
        self.last_spent = max(now, self.block.start)
        return max(0.0, self.block.start - now)

    @property
    def spent_for(self) -> float:
        """How long after its start the block was still being spent: the hold it really needed."""
        return max(0.0, min(self.block.hold, self.last_spent - self.block.start))

    @property
    def unspent(self) -> int:
        return self.block.count - self.spent


class SharedBudget:
    """This process's side of one shared budget; thread-safe, one per (Graph host, tenant, app)."""

    def __init__(
        self,
        table: BudgetTable,
        key: BudgetKey,
        policy: PacingPolicy,
        *,
        tuning: BudgetTuning | None = None,
        window: float = WINDOW_SECONDS,
        clock: Callable[[], float] = time.time,
        fallback: Pacer | None = None,
    ) -> None:
        self.table = table
        self.key = key
        self.policy = policy
        self.tuning = tuning or BudgetTuning()
        self.window = window + self.tuning.slack
        """Graph's window, plus how much later than sent a request may arrive."""
        self._clock = clock
        self._fallback = fallback or Pacer(policy)
        self._fallback_until = 0.0
        self._owner = secrets.token_hex(4)
        self._sequence = 0
        self._row: BudgetRow | None = None
        self._contended_until = 0.0
        """Until then the row is read before each booking: another process wrote it after us lately."""
        self._held: dict[bool, _Held] = {}
        """The block being spent, per kind (True: writes)."""
        self._to_give_back: list[_Held] = []
        """Blocks no longer spent whose unspent slots the next write of the row gives back."""
        self._pending = dict.fromkeys(COUNTERS, 0)
        self._lock = threading.Lock()

    # -- the pacer interface (shared.graph.pacing.RequestPacer) -----------------------------------------

    def reserve(self, count: int, *, write: bool, max_wait: float) -> float:
        """Seconds to wait before sending `count` requests; ReservationTooLate past `max_wait`."""
        if not self.policy.enabled:
            return 0.0
        count = min(max(count, 1), self.policy.limit(write=write))
        with self._lock:
            now = self._clock()
            if now < self._fallback_until:
                return self._fallback.reserve(count, write=write, max_wait=max_wait)
            held = self._held.get(write)
            if held is not None and held.fits(count, now):
                return held.spend(count, now)
            if held is not None:
                self._to_give_back.append(self._held.pop(write))
            try:
                block = self._book(count, write=write, max_wait=max_wait)
            except _Unreachable as exc:
                self._fall_back(now, exc.reason)
                return self._fallback.reserve(count, write=write, max_wait=max_wait)
            self._held[write] = held = _Held(block)
            wait = held.spend(count, self._clock())
            if block.hold > 0:
                self._give_back_when_held_ends(block)
            return wait

    def throttled(self, retry_after: float, *, write: bool) -> None:
        """Graph answered 429 with `retry_after`: nobody books this kind before it has passed."""
        if not self.policy.enabled or retry_after <= 0:
            return
        with self._lock:
            now = self._clock()
            if now < self._fallback_until:
                return
            self._to_give_back.extend(self._held.values())
            self._held.clear()
            self._pending["throttles"] += 1
            until = now + retry_after
            try:
                self._update(lambda row, now: _blocked(row, until, write=write))
            except _Unreachable as exc:
                self._fall_back(self._clock(), exc.reason)

    def _give_back_when_held_ends(self, block: Block) -> None:
        """Once `block` can no longer be spent, give back what is left of it, unless a booking did.

        Without this, a process that stops booking (its work is done, or waits on an orchestrator)
        would keep its unspent slots for a whole window, and others could not have them.
        """
        delay = max(0.0, block.end - self._clock()) + 0.05
        timer = threading.Timer(delay, self._give_back_unspent, args=(block.block_id,))
        timer.daemon = True
        timer.start()

    def _give_back_unspent(self, block_id: str) -> None:
        with self._lock:
            kind = next((kind for kind, held in self._held.items() if held.block.block_id == block_id), None)
            if kind is None or self._clock() < self._fallback_until:
                return
            held = self._held.pop(kind)
            if held.unspent == 0:
                return
            self._to_give_back.append(held)
            try:
                self._update(lambda row, now: row)
            except Exception as exc:  # noqa: BLE001 - a background thread; the slots leave within a window anyway
                self._row = None
                logger.info(
                    "Graph budget of tenant %s: unspent slots not given back (%s)",
                    self.key.tenant_id,
                    type(exc).__name__,
                )

    # -- booking ----------------------------------------------------------------------------------------

    def _book(self, count: int, *, write: bool, max_wait: float) -> Block:
        limit = self.policy.limit(write=write)
        size = max(count, min(self.tuning.block(limit, write), limit))
        hold = 0.0 if size == count else self.tuning.hold
        self._sequence += 1
        block_id = f"{self._owner}{self._sequence:x}"

        def plan(row: BudgetRow, now: float) -> BudgetRow:
            start = self._earliest_start(row, size, hold, now, write=write)
            if start - now > max_wait:
                raise ReservationTooLate(start - now)
            block = Block(start, size, block_id, hold)
            return replace(
                row,
                reads=row.reads.with_block(block),
                writes=row.writes.with_block(block) if write else row.writes,
                counters=_added(row.counters, {"claims": 1, "slots": size}),
            )

        row = self._update(plan)
        return next(block for block in row.reads.blocks if block.block_id == block_id)

    def _earliest_start(self, row: BudgetRow, size: int, hold: float, now: float, *, write: bool) -> float:
        """The first instant a block fits the ledger of any request and, for a write, the writes' too."""
        start = max(row.reads_blocked_until, row.writes_blocked_until if write else 0.0)
        limits = {kind: self.policy.limit(write=kind) for kind in (False, True)}
        while True:
            start = row.reads.earliest_start(
                size, now=now, window=self.window, limit=limits[False], not_before=start, hold=hold
            )
            if not write:
                return start
            in_writes = row.writes.earliest_start(
                size, now=now, window=self.window, limit=limits[True], not_before=start, hold=hold
            )
            if in_writes <= start:
                return start
            start = in_writes

    def _given_back(self, row: BudgetRow, now: float) -> BudgetRow:
        """`row` pruned, with what the blocks this process stopped spending did not use given back:
        their unspent slots, and the part of their hold after the last slot was handed out."""
        reads, writes = row.reads.pruned(now, self.window), row.writes.pruned(now, self.window)
        for held in self._to_give_back:
            reads = reads.trimmed(held.block.block_id, held.spent, held.spent_for)
            writes = writes.trimmed(held.block.block_id, held.spent, held.spent_for)
        return replace(row, reads=reads, writes=writes)

    def _update(self, plan: Callable[[BudgetRow, float], BudgetRow]) -> BudgetRow:
        """Apply `plan` to the row (pruned, what this process gives back given back) and write it under
        its ETag; re-read and re-plan on a conflict.

        The first attempt plans on the row this process wrote last (no read when nobody else wrote
        since); ReservationTooLate from a plan on such a cached row is checked on a fresh read.
        """
        if self._clock() < self._contended_until:
            self._row = None  # others book often: a write on the row as we left it would fail
        fresh = self._row is None
        deadline = time.monotonic() + self.tuning.contention_seconds
        attempt = 0
        while time.monotonic() < deadline:
            attempt += 1
            if self._row is None:
                self._row = self._read()
                fresh = True
            now = self._clock()
            try:
                planned = plan(self._given_back(self._row, now), now)
            except ReservationTooLate:
                if fresh:
                    raise
                self._row = None
                continue
            given_back = sum(held.unspent for held in self._to_give_back)
            counters = _added(planned.counters, {**self._pending, "updates": 1, "given_back": given_back})
            planned = replace(planned, counters=counters)
            try:
                etag = self.table.write(self.key, planned)
            except BudgetConflict:
                self._pending["conflicts"] += 1
                if not fresh:
                    self._contended_until = self._clock() + CONTENDED_SECONDS
                self._row = None
                time.sleep(random.uniform(0, min(self.tuning.contention_backoff, 0.005 * 2.0**attempt)))
                continue
            except AzureError as exc:
                self._row = None
                raise _Unreachable(f"storage failed ({type(exc).__name__})") from exc
            self._row = replace(planned, etag=etag)
            self._pending = dict.fromkeys(COUNTERS, 0)
            self._to_give_back.clear()
            return self._row
        logger.warning(
            "Graph budget of tenant %s: the row stayed contended for %.0f s (%d tries); the request waits",
            self.key.tenant_id,
            self.tuning.contention_seconds,
            attempt,
        )
        raise ReservationTooLate(self.tuning.contention_seconds)

    def _read(self) -> BudgetRow:
        try:
            row = self.table.read(self.key)
        except AzureError as exc:
            raise _Unreachable(f"storage failed ({type(exc).__name__})") from exc
        self._pending["reads"] += 1
        return row

    def _fall_back(self, now: float, reason: str) -> None:
        self._fallback_until = now + self.tuning.fallback_seconds
        self._held.clear()
        self._to_give_back.clear()
        self._row = None
        self._pending["fallbacks"] += 1
        logger.warning(
            "Graph budget of tenant %s: %s; pacing in this process alone for %.0f s",
            self.key.tenant_id,
            reason,
            self.tuning.fallback_seconds,
        )


class _Unreachable(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _blocked(row: BudgetRow, until: float, *, write: bool) -> BudgetRow:
    if write:
        return replace(row, writes_blocked_until=max(row.writes_blocked_until, until))
    return replace(row, reads_blocked_until=max(row.reads_blocked_until, until))


def _added(counters: dict[str, int], more: dict[str, int]) -> dict[str, int]:
    return {name: counters.get(name, 0) + more.get(name, 0) for name in COUNTERS}


def _ledger(text: Any) -> Ledger:
    """A stored ledger; one that does not parse starts over (logged), never stops the app."""
    try:
        return Ledger.parse(text if isinstance(text, str) else None)
    except LedgerFormatError as exc:
        logger.warning("Graph budget: a stored ledger was unreadable and starts over (%s)", exc)
        return Ledger()


def _int64(value: int) -> int:
    return min(value, 2**63 - 1)


# -- one budget per (table, Graph host, tenant, app) in this process -------------------------------------

_BUDGETS: dict[tuple[str, BudgetKey], SharedBudget] = {}
_BUDGETS_LOCK = threading.Lock()


def shared_budget(
    table: TableClient, graph_base_url: str, tenant_id: str, client_id: str, policy: PacingPolicy
) -> SharedBudget:
    """The process's budget of one (Graph host, tenant, app) in `table`: every client of it shares it.

    Its fallback is the process pacer of the same key, so pacing alone goes on from where it was.
    """
    key = BudgetKey.of(graph_base_url, tenant_id, client_id)
    with _BUDGETS_LOCK:
        budget = _BUDGETS.get((table.url, key))
        if budget is None or budget.policy != policy:
            tuning = BudgetTuning()
            budget = SharedBudget(
                BudgetTable(table, tuning.storage_timeout),
                key,
                policy,
                tuning=tuning,
                fallback=shared_pacer(graph_base_url, tenant_id, client_id, policy),
            )
            _BUDGETS[(table.url, key)] = budget
        return budget
