"""The arithmetic of a shared Graph budget: blocks of slots booked on a sliding window, no I/O.

A ledger lists the blocks booked in one budget (reads or writes of one app in one tenant), oldest
first: when each block may start being spent, how many slots it holds and who booked it. A block
is spent within `hold` seconds of its start, so every request it covers reaches Graph in
`[start, start + hold + arrival slack]`; booking blocks on a window of Graph's window + hold +
slack therefore keeps every Graph window under the limit whoever spends them
(docs/graph-intune.md#throttling).

Blocks are booked first come, first served: a new block never starts before the last booked one,
so checking the blocks of the window that ends at its start is enough. The encoding is a short
string, so a ledger fits one table property.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

ENTRY_SEPARATOR = ";"
FIELD_SEPARATOR = ":"
RESOLUTION = 0.001
"""Starts are whole milliseconds, as stored; a block starts at least this long after the one it waits for
leaves the window, so a boundary never depends on how floats round."""


class LedgerFormatError(ValueError):
    """A stored ledger that does not parse; the budget starts it over rather than trusting part of it."""


@dataclass(frozen=True)
class Block:
    """`count` slots that may be spent from `start` (epoch seconds) by the booker `block_id` names."""

    start: float
    count: int
    block_id: str


@dataclass(frozen=True)
class Ledger:
    blocks: tuple[Block, ...] = ()

    @classmethod
    def parse(cls, text: str | None) -> Ledger:
        """`start_ms:count:id;...` as stored; an empty or missing value is an empty ledger."""
        if not text:
            return cls()
        blocks = []
        for entry in text.split(ENTRY_SEPARATOR):
            parts = entry.split(FIELD_SEPARATOR)
            if len(parts) != 3 or not parts[0].isdigit() or not parts[1].isdigit() or not parts[2]:
                raise LedgerFormatError(f"not a ledger entry: {entry[:40]!r}")
            blocks.append(Block(int(parts[0]) / 1000.0, int(parts[1]), parts[2]))
        return cls(tuple(sorted(blocks, key=lambda block: block.start)))

    def format(self) -> str:
        return ENTRY_SEPARATOR.join(
            f"{round(block.start * 1000)}{FIELD_SEPARATOR}{block.count}{FIELD_SEPARATOR}{block.block_id}"
            for block in self.blocks
        )

    def pruned(self, now: float, window: float) -> Ledger:
        """Without the blocks no window from `now` on can hold any more."""
        return Ledger(tuple(block for block in self.blocks if block.start > now - window and block.count > 0))

    def earliest_start(
        self, count: int, *, now: float, window: float, limit: int, not_before: float
    ) -> float:
        """The first instant from `max(now, not_before)` at which `count` more slots fit the window.

        First come, first served: never before the last booked block. `count` above `limit` is
        booked as `limit` by the caller; here it is an error, since no instant would fit it.
        """
        if count > limit:
            raise ValueError(f"a block of {count} cannot fit a window of {limit}")
        start = max(now, not_before, self.blocks[-1].start if self.blocks else now)
        in_window = [block for block in self.blocks if block.start > start - window]
        used = sum(block.count for block in in_window)
        for block in in_window:
            if used + count <= limit:
                break
            start = max(start, block.start + window + RESOLUTION)
            used -= block.count
        return math.ceil(start / RESOLUTION) * RESOLUTION

    def with_block(self, block: Block) -> Ledger:
        return Ledger((*self.blocks, block))

    def trimmed(self, block_id: str, spent: int) -> Ledger:
        """The booker of `block_id` gives back what it did not spend (never more than it booked)."""
        return Ledger(
            tuple(
                replace(block, count=min(block.count, spent)) if block.block_id == block_id else block
                for block in self.blocks
            )
        )

    def used(self, since: float) -> int:
        """Slots of the blocks that start after `since` (for tests and figures)."""
        return sum(block.count for block in self.blocks if block.start > since)
