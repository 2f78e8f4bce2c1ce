"""The Graph budget every instance shares, on Azurite: threads, processes, contention, crashes, 429s.

Budgets here are small (95 requests and 9 writes per 2 s window) so windows turn over quickly; the
senders of `budget_workers` note when each request would have gone to Graph, and every window of
those instants is checked against the limit, as Graph counts them.
"""

from __future__ import annotations

import logging
import multiprocessing
import socket
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

import pytest
from azure.data.tables import TableClient

from local.azurite import AzuriteEndpoints
from shared.graph.budget import BudgetTable, BudgetTuning, SharedBudget, shared_budget
from shared.graph.pacing import PacingPolicy, ReservationTooLate
from shared.storage import StorageAccount, StorageConfig, names
from tests.polling import wait_until
from tests.shared.graph.budget_workers import (
    KEY,
    POLICY,
    TUNING,
    WINDOW,
    book_and_hang,
    budget_on,
    most_in_a_window,
    process_sender,
    send,
)

READS = POLICY.limit(write=False)
WRITES = POLICY.limit(write=True)


def stored(storage: StorageAccount) -> BudgetTable:
    return BudgetTable(storage.table(names.GRAPH_BUDGET), timeout=3.0)


def test_threads_of_one_process_stay_under_the_limit_in_every_window(storage: StorageAccount) -> None:
    budget = budget_on(storage)
    with ThreadPoolExecutor(6) as pool:
        results = pool.map(lambda seed: send(budget, 12, seed, 6), range(6))
        sent = [item for result in results for item in result]

    assert sum(item.count for item in sent) > READS, "the run must span windows"
    assert most_in_a_window(sent, WINDOW) <= READS
    assert most_in_a_window(sent, WINDOW, writes=True) <= WRITES
    counters = stored(storage).read(KEY).counters
    assert counters["fallbacks"] == 0
    assert counters["claims"] < len(sent), "blocks: fewer bookings than requests"


def test_processes_sharing_one_budget_stay_under_the_limit_in_every_window(
    azurite: AzuriteEndpoints, storage_config: StorageConfig
) -> None:
    context = multiprocessing.get_context("spawn")
    out = context.Queue()
    processes = [
        context.Process(
            target=process_sender,
            args=(azurite.connection_string, storage_config.name_prefix, 2, 12, out),
        )
        for _ in range(3)
    ]
    for process in processes:
        process.start()
    sent = [item for _ in processes for item in out.get(timeout=120)]
    for process in processes:
        process.join(timeout=30)
        assert process.exitcode == 0

    assert sum(item.count for item in sent) > READS
    assert most_in_a_window(sent, WINDOW) <= READS
    assert most_in_a_window(sent, WINDOW, writes=True) <= WRITES
    with StorageAccount(storage_config) as storage:
        counters = stored(storage).read(KEY).counters
    assert counters["fallbacks"] == 0


def test_a_budget_written_by_another_process_since_is_read_again_and_booked_under_its_etag(
    storage: StorageAccount,
) -> None:
    long_hold = replace(TUNING, hold=60.0)  # nothing is given back by the clock meanwhile
    first, second = budget_on(storage, tuning=long_hold), budget_on(storage, tuning=long_hold)
    first.reserve(1, write=False, max_wait=60)
    second.reserve(1, write=False, max_wait=60)
    # `first` still holds the row it wrote: booking more than its block holds writes under a stale ETag.
    first.reserve(READS // 2, write=False, max_wait=60)

    row = stored(storage).read(KEY)
    assert row.counters["conflicts"] == 1
    assert row.counters["claims"] == 3
    block = TUNING.read_block
    assert row.reads.used(since=0) == block + block + READS // 2 - (block - 1)
    assert row.counters["given_back"] == TUNING.read_block - 1, "first gave back what it did not spend"

    # Contended lately, `first` reads the row before its next booking rather than fail a write again.
    second.reserve(READS // 4, write=False, max_wait=60)
    first.reserve(READS // 4, write=False, max_wait=60)
    row = stored(storage).read(KEY)
    assert row.counters["conflicts"] == 2, "second's write on its stale row failed; first's did not"
    assert row.counters["claims"] == 5


def test_unspent_slots_are_given_back_once_their_block_can_no_longer_be_spent(
    storage: StorageAccount,
) -> None:
    budget_on(storage).reserve(1, write=False, max_wait=60)  # books a block of 5, spends 1, books no more

    wait_until(
        lambda: stored(storage).read(KEY).reads.used(since=0) == 1,
        message="the unspent slots to be given back without another booking",
    )
    row = stored(storage).read(KEY)
    assert row.counters["given_back"] == TUNING.read_block - 1
    (block,) = row.reads.blocks
    assert block.hold < TUNING.hold, "and the part of its hold after its one request was handed out"


def test_separate_budgets_contending_for_one_row_all_book_and_stay_under_the_limit(
    storage: StorageAccount,
) -> None:
    """Six processes' budgets (each its own cache of the row) on one row: conflicts are retried."""
    budgets = [budget_on(storage) for _ in range(6)]
    with ThreadPoolExecutor(6) as pool:
        results = pool.map(lambda number: send(budgets[number], 12, number, 6), range(6))
        sent = [item for result in results for item in result]

    assert most_in_a_window(sent, WINDOW) <= READS
    assert most_in_a_window(sent, WINDOW, writes=True) <= WRITES
    counters = stored(storage).read(KEY).counters
    assert counters["fallbacks"] == 0


def test_slots_a_killed_process_booked_hold_the_budget_one_window_at_most(
    azurite: AzuriteEndpoints, storage_config: StorageConfig
) -> None:
    context = multiprocessing.get_context("spawn")
    booked = context.Event()
    process = context.Process(
        target=book_and_hang, args=(azurite.connection_string, storage_config.name_prefix, booked)
    )
    process.start()
    try:
        assert booked.wait(timeout=60), "the other process did not book"
    finally:
        process.kill()
        process.join(timeout=30)

    with StorageAccount(storage_config) as storage:
        ledger = stored(storage).read(KEY).reads
        budget = budget_on(storage)
        asked = time.time()
        wait = budget.reserve(1, write=False, max_wait=60)
    (dead,) = ledger.blocks
    assert dead.count == READS
    assert wait > 0, "the dead process's slots still count"
    assert asked + wait <= dead.start + budget.window + 0.002, "but one window at most"
    assert budget.window == WINDOW + TUNING.slack


def test_a_retry_after_holds_every_process_off(storage: StorageAccount) -> None:
    throttled, other = budget_on(storage), budget_on(storage)
    throttled.throttled(5.0, write=False)

    assert other.reserve(1, write=False, max_wait=60) >= 4.5
    assert other.reserve(1, write=True, max_wait=60) >= 4.5, "a write is a request too"
    assert stored(storage).read(KEY).counters["throttles"] == 1


def test_a_write_retry_after_holds_writes_only(storage: StorageAccount) -> None:
    budget_on(storage).throttled(5.0, write=True)
    other = budget_on(storage)

    assert other.reserve(1, write=False, max_wait=60) == 0.0
    assert other.reserve(1, write=True, max_wait=60) >= 4.5


def test_a_write_counts_against_both_ledgers(storage: StorageAccount) -> None:
    budget_on(storage).reserve(1, write=True, max_wait=60)
    row = stored(storage).read(KEY)
    size = TUNING.block(WRITES, write=True)
    assert [block.count for block in row.writes.blocks] == [size]
    assert [block.count for block in row.reads.blocks] == [size]


def test_a_booking_beyond_the_wait_allowed_is_refused_and_books_nothing(storage: StorageAccount) -> None:
    budget_on(storage).reserve(READS, write=False, max_wait=60)
    other = budget_on(storage)

    with pytest.raises(ReservationTooLate) as refused:
        other.reserve(1, write=False, max_wait=0.5)
    assert refused.value.wait > 0.5
    assert len(stored(storage).read(KEY).reads.blocks) == 1


def test_storage_out_of_reach_falls_back_to_pacing_alone_at_once(
    azurite: AzuriteEndpoints, caplog: pytest.LogCaptureFixture
) -> None:
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    nowhere = replace(azurite, table_port=port)
    table = TableClient.from_connection_string(nowhere.connection_string, "graphbudget")
    tuning = BudgetTuning(storage_timeout=1.0)
    budget = SharedBudget(BudgetTable(table, 1.0), KEY, POLICY, tuning=tuning, window=WINDOW)

    with caplog.at_level(logging.WARNING, logger="shared.graph.budget"):
        waits = [budget.reserve(1, write=False, max_wait=60) for _ in range(READS)]
    assert waits == [0.0] * READS, "the process's own window grants at once"
    assert budget.reserve(1, write=False, max_wait=60) > 0, "and paces as before"
    assert "pacing in this process alone" in caplog.text
    assert sum("pacing in this process alone" in record.message for record in caplog.records) == 1
    table.close()


def test_the_process_keeps_one_budget_per_app_and_tenant(storage: StorageAccount) -> None:
    table = storage.table(names.GRAPH_BUDGET)
    policy = PacingPolicy(scale=0.5, shared=True)
    first = shared_budget(table, "https://graph.example/", "T1", "App", policy)
    assert shared_budget(table, "https://GRAPH.example", "t1", "app", policy) is first
    assert shared_budget(table, "https://graph.example", "t2", "app", policy) is not first
    assert shared_budget(table, "https://graph.example", "t1", "app", PacingPolicy(shared=True)) is not first


def test_pacing_turned_off_books_nothing(storage: StorageAccount) -> None:
    table = BudgetTable(storage.table(names.GRAPH_BUDGET), timeout=3.0)
    budget = SharedBudget(table, KEY, PacingPolicy(enabled=False), window=WINDOW)
    assert budget.reserve(1000, write=True, max_wait=0) == 0.0
    assert table.read(KEY).etag is None
