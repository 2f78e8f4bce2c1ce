"""The arithmetic of the shared budget: where a block of slots may start, without any storage."""

from __future__ import annotations

import random

import pytest

from shared.graph.ledger import Block, Ledger, LedgerFormatError

WINDOW = 22.0


def booked(*blocks: tuple[float, int] | tuple[float, int, float]) -> Ledger:
    """Blocks `b0`, `b1`, ... of (start, count) or (start, count, hold)."""
    return Ledger(tuple(Block(block[0], block[1], f"b{n}", *block[2:]) for n, block in enumerate(blocks)))


def start_of(ledger: Ledger, count: int) -> float:
    return ledger.earliest_start(count, now=100.0, window=WINDOW, limit=95, not_before=0.0)


def test_an_empty_ledger_books_now() -> None:
    assert Ledger().earliest_start(20, now=100.0, window=WINDOW, limit=95, not_before=0.0) == 100.0


def test_a_block_that_fits_the_window_starts_now() -> None:
    ledger = booked((90.0, 40), (95.0, 35))
    assert ledger.earliest_start(20, now=100.0, window=WINDOW, limit=95, not_before=0.0) == 100.0


def test_a_full_window_books_the_block_when_enough_slots_leave_it() -> None:
    ledger = booked((90.0, 40), (95.0, 35), (99.0, 20))
    # 95 used: 20 more fit once the first block (40) has left the window at 90 + 22 (and a millisecond).
    assert start_of(ledger, 20) == pytest.approx(112.001)
    # 60 more need the first two blocks gone.
    assert start_of(ledger, 60) == pytest.approx(117.001)


def test_a_block_spent_over_a_hold_counts_a_window_after_its_end() -> None:
    ledger = booked((90.0, 40, 1.5), (95.0, 35), (99.0, 20))
    assert start_of(ledger, 20) == pytest.approx(113.501)


def test_blocks_leave_the_window_in_the_order_they_end() -> None:
    # b0 is spent until 100, b1 ended at 95: 40 more fit once b1 has left (117), not b0 (122).
    ledger = booked((90.0, 40, 10.0), (95.0, 40), (99.0, 10))
    assert start_of(ledger, 40) == pytest.approx(117.001)


def test_a_block_booked_for_later_keeps_its_place_and_others_fit_around_it() -> None:
    # b1 was booked for 150 (say, a write waiting for a full writes' window): what fits now goes now.
    ledger = booked((100.0, 5), (150.0, 5))
    assert start_of(ledger, 90) == 100.0
    # 91 wait for b0 to leave; b1 is more than a window away then, so it does not hold them back.
    assert start_of(ledger, 91) == pytest.approx(122.001)
    # Spent over 10 s, they would share a window with b1: they wait for b1 to leave as well.
    assert ledger.earliest_start(
        91, now=100.0, window=WINDOW, limit=95, not_before=0.0, hold=10.0
    ) == pytest.approx(172.001)


def test_a_retry_after_hold_moves_the_start() -> None:
    assert Ledger().earliest_start(1, now=100.0, window=WINDOW, limit=95, not_before=107.5) == 107.5


def test_a_block_larger_than_the_limit_is_refused() -> None:
    with pytest.raises(ValueError, match="cannot fit"):
        Ledger().earliest_start(96, now=100.0, window=WINDOW, limit=95, not_before=0.0)


def test_booking_at_the_earliest_start_never_overfills_any_window() -> None:
    """Whatever the order, sizes and holds of bookings, every window holds at most the limit."""
    rng = random.Random(7)
    ledger, now, limit = Ledger(), 0.0, 50
    for number in range(400):
        now += rng.uniform(0, 0.5)
        count = rng.randint(1, 20)
        hold = rng.choice([0.0, 0.0, 1.0, 3.0])
        start = ledger.pruned(now, WINDOW).earliest_start(
            count, now=now, window=WINDOW, limit=limit, not_before=0.0, hold=hold
        )
        assert start >= now
        if start - now > 30:
            continue  # refused, as the budget refuses a wait beyond what the caller may sleep
        ledger = ledger.with_block(Block(start, count, f"b{number}", hold))
    # The window (t - WINDOW, t] meets the blocks started by t and not ended before it began; the
    # most it meets is at some block's start.
    for block in ledger.blocks:
        meets = [other for other in ledger.blocks if other.start <= block.start < other.end + WINDOW]
        assert sum(other.count for other in meets) <= limit


def test_pruning_drops_blocks_out_of_every_future_window_and_empty_ones() -> None:
    ledger = booked((70.0, 10), (75.0, 10, 5.0), (80.0, 10), (90.0, 0))
    assert [block.start for block in ledger.pruned(100.0, WINDOW).blocks] == [75.0, 80.0]


def test_giving_back_trims_only_the_named_block_and_never_grows_it() -> None:
    ledger = booked((90.0, 20, 2.0), (95.0, 20, 2.0))
    trimmed = ledger.trimmed("b0", 3, 0.5).blocks
    assert [(block.count, block.hold) for block in trimmed] == [(3, 0.5), (20, 2.0)]
    grown = ledger.trimmed("b1", 30, 5.0).blocks
    assert [(block.count, block.hold) for block in grown] == [(20, 2.0), (20, 2.0)]


def test_a_block_given_back_early_leaves_the_window_early() -> None:
    ledger = booked((90.0, 90, 2.0))
    assert start_of(ledger, 10) == pytest.approx(114.001)
    assert start_of(ledger.trimmed("b0", 90, 0.25), 10) == pytest.approx(112.251)


def test_the_stored_form_reads_back_in_start_order() -> None:
    ledger = booked((95.25, 7), (90.5, 20, 0.5))
    again = Ledger.parse(ledger.format())
    assert [(block.start, block.count, block.block_id, block.hold) for block in again.blocks] == [
        (90.5, 20, "b1", 0.5),
        (95.25, 7, "b0", 0.0),
    ]
    assert Ledger.parse(None) == Ledger.parse("") == Ledger()


@pytest.mark.parametrize("text", ["1:2", "a:2:x", "1:-2:x", "1:2:", "1:2:x;;", "1:2:x:y", "1:2:x:3:4"])
def test_a_stored_ledger_that_does_not_parse_is_an_error(text: str) -> None:
    with pytest.raises(LedgerFormatError):
        Ledger.parse(text)
