"""What the budget tests run in threads and in other processes: book slots, wait, note when sent.

A sender stands for a Graph client: it asks the budget for `count` slots, sleeps the wait it is
given, and notes the instant it would have sent the request. The tests then check every window
of those instants against the budget's limit, as Graph would count them.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from multiprocessing.synchronize import Event
from typing import Any

from shared.graph.budget import BudgetKey, BudgetTable, BudgetTuning, SharedBudget
from shared.graph.pacing import PacingPolicy, ReservationTooLate
from shared.storage import StorageAccount, StorageConfig, names

KEY = BudgetKey("graph.example", "tenant-a", "app-1")
POLICY = PacingPolicy(scale=0.1)
"""95 requests (9 writes) per window."""
WINDOW = 2.0
TUNING = BudgetTuning(hold=0.3, slack=0.2, read_block=5, write_block=2)


@dataclass(frozen=True)
class Sent:
    at: float
    count: int
    write: bool


def budget_on(storage: StorageAccount, *, tuning: BudgetTuning = TUNING) -> SharedBudget:
    """A process's side of the test budget, as `shared_budget` builds it, with the test's window."""
    table = BudgetTable(storage.table(names.GRAPH_BUDGET), tuning.storage_timeout)
    return SharedBudget(table, KEY, POLICY, tuning=tuning, window=WINDOW)


def send(budget: SharedBudget, requests: int, seed: int, writes_every: int = 0) -> list[Sent]:
    """`requests` requests of 1 to 3 slots (every `writes_every`-th a write), each sent when allowed.

    A booking refused because the row stayed contended is asked again a moment later (an orchestrator
    would wait the whole refusal; the test only needs the request sent in the end)."""
    rng = random.Random(seed)
    sent = []
    for number in range(requests):
        write = writes_every > 0 and number % writes_every == 0
        count = 1 if write else rng.randint(1, 3)
        while True:
            try:
                wait = budget.reserve(count, write=write, max_wait=60.0)
                break
            except ReservationTooLate as refused:  # a row contended too long: wait, as an orchestrator would
                time.sleep(refused.wait / 10)
        time.sleep(wait)
        sent.append(Sent(time.time(), count, write))
        time.sleep(rng.uniform(0, 0.02))
    return sent


def most_in_a_window(sent: list[Sent], window: float, *, writes: bool = False) -> int:
    """The most slots any window of `window` seconds holds (writes only, or every request)."""
    chosen = sorted((item for item in sent if item.write or not writes), key=lambda item: item.at)
    return max(
        (sum(other.count for other in chosen if item.at - window < other.at <= item.at) for item in chosen),
        default=0,
    )


def process_sender(connection_string: str, prefix: str, threads: int, requests: int, out: Any) -> None:
    """One process with its own storage clients and budget; its threads' sends go to `out` (a queue)."""
    from concurrent.futures import ThreadPoolExecutor

    config = StorageConfig(connection_string=connection_string, name_prefix=prefix)
    with StorageAccount(config) as storage:
        budget = budget_on(storage)
        with ThreadPoolExecutor(threads) as pool:
            results = pool.map(lambda seed: send(budget, requests, seed, writes_every=5), range(threads))
            out.put([item for result in results for item in result])


def book_and_hang(connection_string: str, prefix: str, booked: Event) -> None:
    """Book a whole window's worth of slots, say so, and never spend or give them back."""
    config = StorageConfig(connection_string=connection_string, name_prefix=prefix)
    with StorageAccount(config) as storage:
        budget = budget_on(storage)
        budget.reserve(POLICY.limit(write=False), write=False, max_wait=60.0)
        booked.set()
        time.sleep(600)
