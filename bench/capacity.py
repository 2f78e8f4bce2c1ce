"""The capacity and cost model of nightly backups (docs/capacity.md), computed from a backup bench run.

Reads the JSON line `bench/backup_scale.py` prints last (the `scale` scenario: app CPU per object,
storage transactions per object counted at the storage clients, activities per tenant, Graph requests
per object) and works out, for N tenants x M objects backed up every night on Flex Consumption with
the Azure Storage durable backend: executions, GB-seconds, storage transactions, storage GB by
retention and the monthly cost at the list prices below. Every price and every assumption is a named
constant here; the figures measured come from the bench file only.

    .venv/bin/python bench/capacity.py [bench/results/backup_scale_20x300.json] [--write docs/capacity.md]

`--write` replaces the table between the `capacity:begin` and `capacity:end` markers of that file.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DEFAULT_BENCH = Path(__file__).resolve().parent / "results" / "backup_scale_20x300.json"
TENANT_COUNTS = (100, 1_000, 5_000)
OBJECTS_PER_TENANT = 300
NIGHTS_PER_MONTH = 30

# --- list prices (US dollars, East US, pay as you go) -------------------------------------------------------
PRICES_AS_OF = "2025-05"
"""Flex Consumption: the Azure Functions pricing page as quoted in May 2025 (East US). Storage: the Azure
Blob Storage and Table Storage pricing pages (Standard general purpose v2, LRS, hot tier, East US) as last
read by the authors, same period. Prices move: check them before quoting a customer."""
FLEX_GB_SECOND = 0.000026
"""Flex Consumption on demand: per GB-second of instance memory while the instance executes functions."""
FLEX_PER_MILLION_EXECUTIONS = 0.40
FLEX_FREE_GB_SECONDS = 100_000
"""Monthly free grant of on demand GB-seconds (per subscription)."""
FLEX_FREE_EXECUTIONS = 250_000
BLOB_WRITE_PER_10K = 0.055
"""Write, list and create-container operations, hot tier."""
BLOB_READ_PER_10K = 0.0044
TABLE_GB_MONTH = 0.045
TABLE_PER_10K = 0.00036
"""Any table transaction (an entity-group transaction of up to 100 rows is billed as one)."""
QUEUE_PER_10K = 0.0004

# --- assumptions (not measured by the bench) ---------------------------------------------------------------
INSTANCE_MEMORY_GB = 2.048
"""instanceMemoryMB in infra/app/api.bicep (2048): Flex bills the instance's memory, not what is used."""
INSTANCE_CPUS = 1.0
"""Cores of a 2,048 MB Flex instance, as assumed here."""
BUSY_SHARE = 0.5
"""Share of an executing instance's time its CPU is busy: the rest is waiting on Graph and storage
while functions are still executing (and billed). 0.5 doubles GB-s against pure CPU time."""
ORCHESTRATOR_EPISODES_PER_ACTIVITY = 1.0
"""An orchestrator episode replays after each completed activity or timer (one execution each)."""
DURABLE_TRANSACTIONS_PER_EXECUTION = 8
"""Azure Storage durable backend: per activity, the work-item queue message (put, get, delete), the
control-queue message back (put, get, delete) and the history and instance rows of the episode. The
devhost's engine is not that backend, so its counts (reported by the bench) are not used here."""
DURABLE_IDLE_TRANSACTIONS_PER_MONTH = 500_000
"""Queue polling when idle (4 control queues and the work-item queue, polled at most every 30 s)."""
PAYLOAD_KB = 6.0
"""Average canonical JSON of one object's version payload (content-addressed: stored once per change).
Payloads are stored zlib-compressed in Table rows: the bench measures the share compression leaves
(`payload_stored_share`) on graphsim's policies, and the model applies it to this size."""
ROW_KB = 0.5
"""Average table row (versions: index, timeline, pointer; the run item; the inventory row)."""
VERSION_ROWS_PER_OBJECT_NIGHT = 4
"""Rows a nightly backup adds per object and keeps for the retention: 3 version rows, 1 run item."""
CHANGED_SHARE_PER_NIGHT = 0.02
"""Objects whose content changed since the night before (a new payload row and a new version)."""
RETENTION_NIGHTS = (30, 90, 365)


@dataclass(frozen=True)
class Measured:
    """What the bench measured, per object backed up (`scale` scenario) and per tenant."""

    objects_per_tenant: float
    cpu_ms_per_object: float
    blob_writes: float
    blob_reads: float
    table_transactions: float
    payload_stored_share: float
    activities_per_tenant: float
    graph_requests_per_object: float
    wall_seconds: float
    tenants: int
    load: float

    @classmethod
    def from_bench(cls, figures: dict[str, Any]) -> Measured:
        scale = figures["scenarios"]["scale"]
        objects = scale["objects_expected"]
        meters = scale["storage_transactions"]
        blob = meters.get("app.blob", {})
        table = meters.get("app.table", {})
        return cls(
            objects_per_tenant=objects / scale["tenants"],
            cpu_ms_per_object=scale["app_cpu_ms_per_object"],
            blob_writes=blob.get("write", 0) / objects,
            blob_reads=(blob.get("read", 0) + blob.get("query", 0)) / objects,
            table_transactions=sum(table.values()) / objects,
            payload_stored_share=float(scale.get("payload_stored_share") or 1.0),
            activities_per_tenant=sum(scale["activities_per_devhost"]) / scale["tenants"],
            graph_requests_per_object=scale["graph_requests_per_object"],
            wall_seconds=scale["wall_seconds"],
            tenants=scale["tenants"],
            load=scale["machine"]["load_1m_before"],
        )


@dataclass(frozen=True)
class Month:
    tenants: int
    objects: float
    executions: float
    gb_seconds: float
    app_transactions: float
    durable_transactions: float
    storage_gb: dict[int, float]
    compute_usd: float
    transactions_usd: float
    storage_usd: dict[int, float]

    def total(self, retention: int) -> float:
        return self.compute_usd + self.transactions_usd + self.storage_usd[retention]


def month(measured: Measured, tenants: int) -> Month:
    """One month of nightly backups of `tenants` tenants of OBJECTS_PER_TENANT objects."""
    share = measured.objects_per_tenant / OBJECTS_PER_TENANT  # built-ins and groups are not backed up
    objects = tenants * OBJECTS_PER_TENANT * share * NIGHTS_PER_MONTH
    activities = tenants * measured.activities_per_tenant * NIGHTS_PER_MONTH
    executions = activities * (1 + ORCHESTRATOR_EPISODES_PER_ACTIVITY)
    cpu_seconds = objects * measured.cpu_ms_per_object / 1000
    gb_seconds = cpu_seconds / (INSTANCE_CPUS * BUSY_SHARE) * INSTANCE_MEMORY_GB
    # The bench's first backup writes every payload, a nightly one only the changed ones: payloads go
    # up to 100 rows per table transaction, so pricing every night as the first over-counts by at
    # most 0.01 transactions per object.
    blob_writes = objects * measured.blob_writes
    blob_reads = objects * measured.blob_reads
    table = objects * measured.table_transactions
    durable = activities * DURABLE_TRANSACTIONS_PER_EXECUTION + DURABLE_IDLE_TRANSACTIONS_PER_MONTH
    compute_usd = max(0.0, gb_seconds - FLEX_FREE_GB_SECONDS) * FLEX_GB_SECOND + max(
        0.0, executions - FLEX_FREE_EXECUTIONS
    ) / 1e6 * FLEX_PER_MILLION_EXECUTIONS
    transactions_usd = (
        blob_writes / 1e4 * BLOB_WRITE_PER_10K
        + blob_reads / 1e4 * BLOB_READ_PER_10K
        + table / 1e4 * TABLE_PER_10K
        + durable / 1e4 * QUEUE_PER_10K
    )
    objects_held = tenants * OBJECTS_PER_TENANT * share
    storage_gb: dict[int, float] = {}
    storage_usd: dict[int, float] = {}
    for nights in RETENTION_NIGHTS:
        payload_kb = PAYLOAD_KB * measured.payload_stored_share
        payload_gb = objects_held * (1 + CHANGED_SHARE_PER_NIGHT * nights) * payload_kb / 2**20
        rows_gb = objects_held * VERSION_ROWS_PER_OBJECT_NIGHT * nights * ROW_KB / 2**20
        storage_gb[nights] = payload_gb + rows_gb
        storage_usd[nights] = (payload_gb + rows_gb) * TABLE_GB_MONTH
    return Month(
        tenants, objects, executions, gb_seconds, blob_writes + blob_reads + table, durable,
        storage_gb, compute_usd, transactions_usd, storage_usd,
    )


def _n(value: float) -> str:
    if value >= 1e6:
        return f"{value / 1e6:,.1f} M"
    return f"{value:,.0f}"


def table(measured: Measured) -> str:
    """The markdown the docs show: inputs measured, then one column per tenant count."""
    months = [month(measured, tenants) for tenants in TENANT_COUNTS]
    rows: list[tuple[str, list[str]]] = [
        ("objects backed up per month", [_n(m.objects) for m in months]),
        ("executions (activities and orchestrator episodes)", [_n(m.executions) for m in months]),
        ("GB-seconds", [_n(m.gb_seconds) for m in months]),
        ("app storage transactions", [_n(m.app_transactions) for m in months]),
        ("durable backend transactions (assumed)", [_n(m.durable_transactions) for m in months]),
        *[
            (f"storage GB held, {nights} nights kept", [f"{m.storage_gb[nights]:,.1f}" for m in months])
            for nights in RETENTION_NIGHTS
        ],
        ("compute $ / month (after free grants)", [f"{m.compute_usd:,.2f}" for m in months]),
        ("transactions $ / month", [f"{m.transactions_usd:,.2f}" for m in months]),
        *[
            (f"storage $ / month, {nights} nights kept", [f"{m.storage_usd[nights]:,.2f}" for m in months])
            for nights in RETENTION_NIGHTS
        ],
        *[
            (f"**total $ / month, {nights} nights kept**", [f"**{m.total(nights):,.2f}**" for m in months])
            for nights in RETENTION_NIGHTS
        ],
        ("total $ per tenant per month, 30 nights kept", [f"{m.total(30) / m.tenants:,.4f}" for m in months]),
    ]
    header = "| per month, 30 nightly backups | " + " | ".join(
        f"{t:,} tenants x {OBJECTS_PER_TENANT}" for t in TENANT_COUNTS
    ) + " |"
    lines = [header, "|---|" + "---|" * len(TENANT_COUNTS)]
    lines += [f"| {label} | " + " | ".join(cells) + " |" for label, cells in rows]
    inputs = (
        f"Measured by `bench/backup_scale.py` ({measured.tenants} tenants x {OBJECTS_PER_TENANT}, "
        f"{measured.wall_seconds:.1f} s, 1-minute load {measured.load:.1f} before): "
        f"{measured.objects_per_tenant:.0f} objects backed up per tenant, "
        f"app CPU {measured.cpu_ms_per_object:.2f} ms per object, "
        f"storage transactions per object: blob writes {measured.blob_writes:.3f}, "
        f"blob reads and lists {measured.blob_reads:.3f}, table {measured.table_transactions:.3f}; "
        f"payloads stored at {measured.payload_stored_share:.0%} of their canonical size; "
        f"{measured.activities_per_tenant:.1f} activities per tenant; "
        f"{measured.graph_requests_per_object:.3f} Graph requests per object. Prices as of {PRICES_AS_OF}."
    )
    return inputs + "\n\n" + "\n".join(lines)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("bench", nargs="?", type=Path, default=DEFAULT_BENCH,
                        help="a file whose last line is backup_scale.py's JSON")
    parser.add_argument("--write", type=Path, help="replace the table between this file's capacity markers")
    options = parser.parse_args(argv)
    figures = json.loads(options.bench.read_text().strip().splitlines()[-1])
    text = table(Measured.from_bench(figures))
    if options.write is None:
        print(text)
        return 0
    doc = options.write.read_text()
    marked = re.compile(r"(<!-- capacity:begin -->\n).*?(\n<!-- capacity:end -->)", re.DOTALL)
    if not marked.search(doc):
        raise SystemExit(f"{options.write} has no capacity:begin / capacity:end markers")
    options.write.write_text(marked.sub(lambda m: m.group(1) + text + m.group(2), doc))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
