"""The capacity model (bench/capacity.py) from a bench result: proportional where it should be, free
grants taken off once, and the docs' table written between its markers only. Pure: no servers."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bench import capacity


def bench_result(cpu_ms: float = 10.0) -> dict[str, Any]:
    return {
        "scenarios": {
            "scale": {
                "tenants": 2, "objects_expected": 560, "app_cpu_ms_per_object": cpu_ms,
                "storage_transactions": {"app.blob": {"write": 600, "read": 40, "query": 20},
                                         "app.table": {"write": 200, "read": 80, "query": 20}},
                "activities_per_devhost": [34], "graph_requests_per_object": 1.15, "wall_seconds": 10.0,
                "machine": {"load_1m_before": 1.0},
            }
        }
    }


def test_the_bench_figures_become_per_object_inputs() -> None:
    measured = capacity.Measured.from_bench(bench_result())
    assert measured.objects_per_tenant == 280
    assert (measured.blob_writes, measured.table_transactions) == (600 / 560, 300 / 560)
    assert measured.blob_reads == 60 / 560 and measured.activities_per_tenant == 17


def test_compute_grows_with_cpu_and_the_free_grant_is_taken_off_once() -> None:
    measured = capacity.Measured.from_bench(bench_result())
    small, big = capacity.month(measured, 100), capacity.month(measured, 5_000)
    assert big.gb_seconds == pytest.approx(50 * small.gb_seconds)
    assert small.compute_usd == 0.0  # inside the monthly free grants
    expected = (big.gb_seconds - capacity.FLEX_FREE_GB_SECONDS) * capacity.FLEX_GB_SECOND + (
        big.executions - capacity.FLEX_FREE_EXECUTIONS
    ) / 1e6 * capacity.FLEX_PER_MILLION_EXECUTIONS
    assert big.compute_usd == pytest.approx(expected)
    dearer = capacity.month(capacity.Measured.from_bench(bench_result(cpu_ms=20.0)), 5_000)
    assert dearer.gb_seconds == pytest.approx(2 * big.gb_seconds)
    assert big.storage_gb[365] > big.storage_gb[90] > big.storage_gb[30] > 0
    assert big.total(365) > big.total(30)


def test_write_replaces_only_the_marked_table(tmp_path: Path) -> None:
    result = tmp_path / "bench.json"
    result.write_text("noise\n" + json.dumps(bench_result()) + "\n")
    doc = tmp_path / "capacity.md"
    doc.write_text("# Before\n<!-- capacity:begin -->\nold\n<!-- capacity:end -->\nAfter\n")
    assert capacity.main([str(result), "--write", str(doc)]) == 0
    text = doc.read_text()
    assert text.startswith("# Before\n<!-- capacity:begin -->\nMeasured by") and text.endswith(
        "<!-- capacity:end -->\nAfter\n"
    )
    assert "old" not in text and "| 5,000 tenants x 300 |" in text
    doc.write_text("no markers")
    with pytest.raises(SystemExit):
        capacity.main([str(result), "--write", str(doc)])


def test_payload_storage_is_priced_at_the_measured_compressed_share() -> None:
    whole = capacity.Measured.from_bench(bench_result())
    result = bench_result()
    result["scenarios"]["scale"]["payload_stored_share"] = 0.25
    packed = capacity.Measured.from_bench(result)
    assert (whole.payload_stored_share, packed.payload_stored_share) == (1.0, 0.25)
    full, small = capacity.month(whole, 1_000), capacity.month(packed, 1_000)
    rows_gb = full.storage_gb[30] - (
        1_000 * 280 * (1 + capacity.CHANGED_SHARE_PER_NIGHT * 30) * capacity.PAYLOAD_KB / 2**20
    )
    assert small.storage_gb[30] == pytest.approx(rows_gb + (full.storage_gb[30] - rows_gb) / 4)
    assert small.storage_usd[30] == pytest.approx(small.storage_gb[30] * capacity.TABLE_GB_MONTH)
