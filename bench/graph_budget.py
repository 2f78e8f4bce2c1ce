"""Benchmark where the shared Graph budget is kept: a table row with ETags, or a blob under a lease.

Both keep the same ledger (`shared.graph.ledger`) in Azurite (on disk), one budget for every process:
- `table`: the app's `shared.graph.budget.SharedBudget`, an ETag-conditional write of one row per
  booking, planned on the row the process wrote last (a read only after another process wrote);
- `lease`: the same ledger in a blob: acquire the blob's lease (retried while another holds it),
  read, write under the lease, release.

Each run starts P processes of T threads; a thread books a block of 20 slots (one `$batch` round)
as fast as storage lets it, for S seconds, under a budget too large to ever make it wait, so the
figures are storage's: bookings per second, storage round trips and conflicts per booking, and the
latency of a booking (p50 / p99). It also measures what a process that dies in the middle of a booking
costs the others: with a lease, the others wait until the lease expires (15 s, the shortest a finite
lease can be); with a conditional write there is nothing to wait for. A Durable entity is not measured:
activities, where the Graph client runs, cannot wait for an entity's answer
(docs/graph-intune.md#a-budget-shared-by-every-instance), and the devhost does not run entities.

    .venv/bin/python bench/graph_budget.py [--processes 1,2,4] [--threads 4] [--seconds 10]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import statistics
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from azure.core.exceptions import HttpResponseError
from azure.storage.blob import BlobClient, BlobLeaseClient

from local.azurite import Azurite
from local.stack import exit_on_sigterm
from shared.graph.budget import BudgetKey, BudgetTable, BudgetTuning, SharedBudget
from shared.graph.ledger import Block, Ledger
from shared.graph.pacing import PacingPolicy
from shared.storage import StorageAccount, StorageConfig, names

BLOCK = 20
POLICY = PacingPolicy(scale=10.0, shared=True)
"""9,500 requests per window: the budget itself never makes a booking wait."""
KEY = BudgetKey("graph.example", "tenant-bench", "app-bench")
WINDOW = 22.0
LEASE_SECONDS = 15


class LeaseBudget:
    """The ledger in a blob, booked under the blob's lease: acquire, read, write, release."""

    def __init__(self, blob: BlobClient) -> None:
        self.blob = blob
        self.round_trips = 0
        self.conflicts = 0
        self._lock = threading.Lock()
        self._sequence = 0

    def book(self, count: int) -> None:
        with self._lock:
            lease = self._acquire()
            self.round_trips += 2
            ledger = Ledger.parse(self.blob.download_blob(lease=lease).readall().decode())
            now = time.time()
            ledger = ledger.pruned(now, WINDOW)
            start = ledger.earliest_start(
                count, now=now, window=WINDOW, limit=POLICY.limit(write=False), not_before=0.0
            )
            self._sequence += 1
            ledger = ledger.with_block(Block(start, count, f"{id(self):x}{self._sequence}"))
            self.blob.upload_blob(ledger.format().encode(), overwrite=True, lease=lease)
            lease.release()
            self.round_trips += 1

    def _acquire(self) -> BlobLeaseClient:
        pause = 0.005
        while True:
            self.round_trips += 1
            lease = BlobLeaseClient(self.blob)
            try:
                lease.acquire(lease_duration=LEASE_SECONDS)
                return lease
            except HttpResponseError as error:
                if error.status_code != 409:
                    raise
                self.conflicts += 1
                time.sleep(pause)
                pause = min(pause * 2, 0.1)


def _storage(connection_string: str) -> StorageAccount:
    return StorageAccount(StorageConfig(connection_string=connection_string, name_prefix="bench"))


def _blob(storage: StorageAccount) -> BlobClient:
    return storage.container("budgetlease").get_blob_client("budget")


def run_process(backend: str, connection_string: str, threads: int, seconds: float, out: Any) -> None:
    """One process: T threads booking blocks for `seconds`; puts its latencies and counts on `out`."""
    with _storage(connection_string) as storage:
        if backend == "table":
            tuning = BudgetTuning(read_block=BLOCK)
            table = BudgetTable(storage.table(names.GRAPH_BUDGET), tuning.storage_timeout)
            budget = SharedBudget(table, KEY, POLICY, tuning=tuning)

            def book() -> None:
                budget.reserve(BLOCK, write=False, max_wait=60.0)
        else:
            lease_budget = LeaseBudget(_blob(storage))

            def book() -> None:
                lease_budget.book(BLOCK)

        deadline = time.monotonic() + seconds

        def loop(_: int) -> list[float]:
            latencies = []
            while time.monotonic() < deadline:
                started = time.perf_counter()
                book()
                latencies.append(time.perf_counter() - started)
            return latencies

        with ThreadPoolExecutor(threads) as pool:
            latencies = [value for part in pool.map(loop, range(threads)) for value in part]
        result: dict[str, Any] = {"latencies": latencies}
        if backend == "lease":
            result |= {"round_trips": lease_budget.round_trips, "conflicts": lease_budget.conflicts}
        out.put(result)


def measure(
    backend: str, connection_string: str, processes: int, threads: int, seconds: float
) -> dict[str, Any]:
    with _storage(connection_string) as storage:
        table = storage.table(names.GRAPH_BUDGET)
        table.delete_entity(KEY.partition_key, KEY.row_key)
        blob = _blob(storage)
        blob.upload_blob(b"", overwrite=True)
    context = multiprocessing.get_context("spawn")
    out = context.Queue()
    workers = [
        context.Process(target=run_process, args=(backend, connection_string, threads, seconds, out))
        for _ in range(processes)
    ]
    for worker in workers:
        worker.start()
    results = [out.get(timeout=seconds + 120) for _ in workers]
    for worker in workers:
        worker.join()
    latencies = sorted(value for result in results for value in result["latencies"])
    bookings = len(latencies)
    if backend == "table":
        with _storage(connection_string) as storage:
            counters = BudgetTable(storage.table(names.GRAPH_BUDGET), 5.0).read(KEY).counters
        round_trips = counters["reads"] + counters["updates"] + counters["conflicts"]
        conflicts = counters["conflicts"]
    else:
        round_trips = sum(result["round_trips"] for result in results)
        conflicts = sum(result["conflicts"] for result in results)
    return {
        "backend": backend,
        "processes": processes,
        "threads_per_process": threads,
        "bookings": bookings,
        "bookings_per_second": round(bookings / seconds, 1),
        "round_trips_per_booking": round(round_trips / bookings, 2),
        "conflicts_per_booking": round(conflicts / bookings, 2),
        "latency_ms_p50": round(1000 * statistics.median(latencies), 1),
        "latency_ms_p99": round(1000 * latencies[int(0.99 * (bookings - 1))], 1),
    }


def crash_stall(connection_string: str) -> dict[str, float]:
    """Seconds another process waits after a booker died in the middle of its booking."""
    with _storage(connection_string) as storage:
        blob = _blob(storage)
        blob.upload_blob(b"", overwrite=True)
        BlobLeaseClient(blob).acquire(lease_duration=LEASE_SECONDS)  # held by a booker that then died
        started = time.monotonic()
        LeaseBudget(blob).book(BLOCK)
        lease_stall = time.monotonic() - started

        table = BudgetTable(storage.table(names.GRAPH_BUDGET), 5.0)
        storage.table(names.GRAPH_BUDGET).delete_entity(KEY.partition_key, KEY.row_key)
        dead = SharedBudget(table, KEY, POLICY)
        dead.reserve(BLOCK, write=False, max_wait=60.0)  # booked, then died: no lock is left behind
        started = time.monotonic()
        SharedBudget(table, KEY, POLICY).reserve(BLOCK, write=False, max_wait=60.0)
        table_stall = time.monotonic() - started
    return {"lease_seconds": round(lease_stall, 2), "table_seconds": round(table_stall, 3)}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--processes", default="1,2,4", help="process counts to run, comma-separated")
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=10.0)
    options = parser.parse_args(argv)
    exit_on_sigterm()
    runs = []
    with tempfile.TemporaryDirectory(prefix="bench-budget-") as workdir, Azurite(Path(workdir)) as azurite:
        with _storage(azurite.connection_string) as storage:
            storage.table(names.GRAPH_BUDGET)
            storage.container("budgetlease")
        for processes in (int(part) for part in options.processes.split(",")):
            for backend in ("table", "lease"):
                run = measure(backend, azurite.connection_string, processes, options.threads, options.seconds)
                runs.append(run)
                print(json.dumps(run), flush=True)
        stall = crash_stall(azurite.connection_string)
    columns = ("backend", "processes", "bookings_per_second", "round_trips_per_booking",
               "conflicts_per_booking", "latency_ms_p50", "latency_ms_p99")
    print("  ".join(f"{column:>24}" for column in columns))
    for run in runs:
        print("  ".join(f"{run[column]!s:>24}" for column in columns))
    print(f"a booker dies mid-booking: others wait {stall['lease_seconds']} s (lease), "
          f"{stall['table_seconds']} s (table)")
    print(json.dumps({"bench": "graph_budget", "runs": runs, "crash_stall": stall}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
