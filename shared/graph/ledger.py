"""The arithmetic of a shared Graph budget: blocks of slots booked on a sliding window, no I/O.

A ledger lists the blocks booked in one budget (requests of any kind, or writes, of one app in one
tenant): when each block may start being spent, for how long (`hold`: 0 for a block one request
spends at once, such as a `$batch` round), how many slots it holds and who booked it. Its requests
reach Graph between its start and its end (start + hold) plus the arrival slack, so two blocks
share a Graph window only if one starts less than a window (Graph's window + slack) after the
other ends. A block is booked at the first instant where the blocks it could share a window with
leave room for it: every window it is in holds only such blocks, so every Graph window stays
under the limit whoever spends the blocks (docs/graph-intune.md#throttling). A block booked for
later keeps its place: one booked after it may start before it only where both fit.

The encoding is a short string, so a ledger fits one table property.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

ENTRY_SEPARATOR = ";"
FIELD_SEPARATOR = ":"
RESOLUTION = 0.001
"""Starts and holds are whole milliseconds, as stored; a block starts at least this long after the one
it waits for leaves the window, so a boundary never depends on how floats round."""


class LedgerFormatError(ValueError):
    """A stored ledger that does not parse; the budget starts it over rather than trusting part of it."""


@dataclass(frozen=True)
class Block:
    """`count` slots the booker `block_id` names may spend from `start` (epoch seconds) to `end`."""

    start: float
    count: int
    block_id: str
    hold: float = 0.0

    @property
    def end(self) -> float:
        return self.start + self.hold


@dataclass(frozen=True)
class Ledger:
    blocks: tuple[Block, ...] = ()

    @classmethod
    def parse(cls, text: str | None) -> Ledger:
        """`start_ms:count:id[:hold_ms];...` as stored; an empty or missing value is an empty ledger."""
        if not text:
            return cls()
        blocks = []
        for entry in text.split(ENTRY_SEPARATOR):
            parts = entry.split(FIELD_SEPARATOR)
            numbers = [parts[0], parts[1], *parts[3:]] if len(parts) in (3, 4) else []
            if not numbers or not all(number.isdigit() for number in numbers) or not parts[2]:
                raise LedgerFormatError(f"not a ledger entry: {entry[:40]!r}")
            hold = int(parts[3]) / 1000.0 if len(parts) == 4 else 0.0
            blocks.append(Block(int(parts[0]) / 1000.0, int(parts[1]), parts[2], hold))
        return cls(tuple(sorted(blocks, key=lambda block: block.start)))

    def format(self) -> str:
        return ENTRY_SEPARATOR.join(_entry(block) for block in self.blocks)

    def pruned(self, now: float, window: float) -> Ledger:
        """Without the blocks no window from `now` on can hold any more."""
        return Ledger(tuple(block for block in self.blocks if block.end > now - window and block.count > 0))

    def earliest_start(
        self, count: int, *, now: float, window: float, limit: int, not_before: float, hold: float = 0.0
    ) -> float:
        """The first instant from `max(now, not_before)` at which a block of `count` slots spent over
        `hold` seconds fits every window it would be in.

        Only the instants where a block leaves the window can be the first that fits after the
        earliest. `count` above `limit` is booked as `limit` by the caller; here it is an error,
        since no instant would fit it.
        """
        if count > limit:
            raise ValueError(f"a block of {count} cannot fit a window of {limit}")
        earliest = max(now, not_before)
        leaving = sorted(block.end + window + RESOLUTION for block in self.blocks)
        for start in (earliest, *(instant for instant in leaving if instant > earliest)):
            near = sum(
                block.count
                for block in self.blocks
                if block.end > start - window and block.start < start + hold + window
            )
            if near + count <= limit:
                return math.ceil(round(start / RESOLUTION, 6)) * RESOLUTION
        raise AssertionError("unreachable: after the last block has left, any block fits")

    def with_block(self, block: Block) -> Ledger:
        return Ledger((*self.blocks, block))

    def trimmed(self, block_id: str, spent: int, spent_for: float) -> Ledger:
        """The booker of `block_id` gives back what it did not use: the slots beyond `spent`, the hold
        beyond `spent_for` (never more than it booked)."""
        return Ledger(
            tuple(
                replace(block, count=min(block.count, spent), hold=min(block.hold, spent_for))
                if block.block_id == block_id
                else block
                for block in self.blocks
            )
        )

    def used(self, since: float) -> int:
        """Slots of the blocks that end after `since` (for tests and figures)."""
        return sum(block.count for block in self.blocks if block.end > since)


def _entry(block: Block) -> str:
    fields = [str(round(block.start * 1000)), str(block.count), block.block_id]
    if block.hold > 0:
        fields.append(str(math.ceil(block.hold * 1000)))
    return FIELD_SEPARATOR.join(fields)
