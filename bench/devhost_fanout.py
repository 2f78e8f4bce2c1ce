"""Benchmark the devhost's durable engine: fan-outs of 1,000 and 10,000 no-op activities, persisted in
Azurite (on disk), driven through the engine API directly in this process (not over HTTP).

Targets on the 2-core dev machine: 1,000 in < 5 s, 10,000 in < 60 s, engine RSS < 500 MiB.
Prints activities per second per size; the last line is one JSON object with the figures.

Usage: .venv/bin/python bench/devhost_fanout.py [sizes...]
"""

from __future__ import annotations

import asyncio
import json
import logging
import resource
import sys
import time
from pathlib import Path
from typing import Any

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from azure.durable_functions import DurableOrchestrationContext

from local.azurite import Azurite
from local.devhost.engine import Engine
from local.devhost.engine.testing import function_maps, unique_hub

TARGET_SECONDS = {1_000: 5.0, 10_000: 60.0}
MEMORY_TARGET_MIB = 500


async def no_op(value: int) -> int:
    return value


def fan_out(context: DurableOrchestrationContext) -> Any:
    results = yield context.task_all([context.call_activity("no_op", n) for n in range(context.get_input())])
    return len(results)


async def measure(connection_string: str, size: int) -> dict[str, Any]:
    functions = function_maps({"fan_out": fan_out}, {"no_op": no_op})
    engine = Engine(connection_string, unique_hub("Bench"), functions)
    await engine.start()
    try:
        started = time.perf_counter()
        instance_id = await engine.start_new("fan_out", None, json.dumps(size))
        status = await engine.wait_for_completion(instance_id, 600)
        seconds = time.perf_counter() - started
    finally:
        await engine.stop()
    if status["runtimeStatus"] != "Completed" or status["output"] != size:
        raise RuntimeError(f"fan-out of {size} ended as {status['runtimeStatus']}: {status['output']}")
    target = TARGET_SECONDS.get(size)
    return {"size": size, "seconds": round(seconds, 3), "activities_per_second": round(size / seconds, 1),
            "target_seconds": target, "met": target is None or seconds < target}


def main(sizes: list[int]) -> int:
    logging.basicConfig(level=logging.WARNING)
    process = psutil.Process()
    results = []
    with Azurite() as endpoints:
        for size in sizes:
            result = asyncio.run(measure(endpoints.connection_string, size))
            results.append(result)
            print(f"fan-out {size:>6}: {result['seconds']:7.2f} s, {result['activities_per_second']:9.1f} "
                  f"activities/s (target < {result['target_seconds']} s)", flush=True)
    rss_mib = process.memory_info().rss / 2**20
    peak_mib = _peak_rss_mib()
    print(f"engine process RSS: {rss_mib:.0f} MiB now, {peak_mib:.0f} MiB peak "
          f"(target < {MEMORY_TARGET_MIB} MiB)")
    print("driven through: the engine API in-process (no HTTP); storage: Azurite on disk")
    met = all(result["met"] for result in results) and peak_mib < MEMORY_TARGET_MIB
    print(json.dumps({"driver": "engine-api", "storage": "azurite-disk", "results": results,
                      "rss_mib": round(rss_mib, 1), "peak_rss_mib": round(peak_mib, 1),
                      "memory_target_mib": MEMORY_TARGET_MIB, "all_targets_met": met}))
    return 0 if met else 1


def _peak_rss_mib() -> float:
    """Peak resident set of this process (Linux reports ru_maxrss in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


if __name__ == "__main__":
    sys.exit(main([int(size) for size in sys.argv[1:]] or [1_000, 10_000]))
