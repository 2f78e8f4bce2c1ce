"""Benchmark the devhost: fan-outs of 1,000 and 10,000 no-op activities, persisted in Azurite (on disk).

Two modes, each with its own Azurite:
- `devhost` (the default, and the one the targets are judged on): the real path. The devhost runs as a
  subprocess serving the bench's own app (`bench/fanout_app/`); the orchestration is started over HTTP
  (the app's starter calls `client.start_new` + `create_check_status_response`) and its status URL is
  polled until it stops answering 202. Time runs from the POST to the completed status. Peak RSS is
  sampled in a thread: the devhost and its children (Azurite excluded), and Azurite on its own.
- `engine-api`, for comparison: the engine driven in-process through its API (no HTTP, no app loading).

Targets on the 2-core dev machine: 1,000 in < 5 s, 10,000 in < 60 s, devhost RSS < 500 MiB.
Prints activities per second per size and mode; the last line is one JSON object with the figures.

Usage: .venv/bin/python bench/devhost_fanout.py [--modes devhost,engine-api] [sizes...]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import resource
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import psutil
import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from azure.durable_functions import DurableOrchestrationContext

from local.azurite import AZURITE_JS, Azurite
from local.devhost.engine import Engine
from local.devhost.engine.testing import function_maps, unique_hub
from local.devhost.testing import DevhostProcess, start_devhost

TARGET_SECONDS = {1_000: 5.0, 10_000: 60.0}
MEMORY_TARGET_MIB = 500
BENCH_APP = Path(__file__).resolve().parent / "fanout_app"
MODES = ("devhost", "engine-api")
# Seconds between status polls: 5% of the time so far, within [0.02, 0.5]. That keeps the timing's
# resolution near 5% while the polls (each a status read on the devhost) do not slow the run they time.
POLL_MIN, POLL_MAX, POLL_FRACTION = 0.02, 0.5, 0.05
SAMPLE_INTERVAL = 0.05  # seconds between RSS samples
RUN_TIMEOUT = 600.0


# --- devhost mode: the real path, over HTTP ---------------------------------------------------------


class RssSampler:
    """Peak RSS of a process tree (minus Azurite), and of Azurite, sampled in a thread."""

    def __init__(self, root_pid: int) -> None:
        self._root = psutil.Process(root_pid)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="rss-sampler", daemon=True)
        self.peak_mib = 0.0
        self.azurite_peak_mib = 0.0
        self.samples = 0

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.sample()  # one last look, after the run

    def _run(self) -> None:
        while not self._stop.is_set():
            self.sample()
            self._stop.wait(SAMPLE_INTERVAL)

    def sample(self) -> None:
        devhost, azurite = _tree_rss(self._root), _azurite_rss()
        self.peak_mib = max(self.peak_mib, devhost / 2**20)
        self.azurite_peak_mib = max(self.azurite_peak_mib, azurite / 2**20)
        self.samples += 1


def _is_azurite(process: psutil.Process) -> bool:
    try:
        return str(AZURITE_JS) in process.cmdline()
    except psutil.Error:
        return False


def _rss(process: psutil.Process) -> int:
    try:
        return int(process.memory_info().rss)
    except psutil.Error:  # exited between listing and reading
        return 0


def _tree_rss(root: psutil.Process) -> int:
    """RSS of a process and its descendants, leaving out any Azurite (and its children) among them."""
    try:
        children = root.children(recursive=True)
    except psutil.Error:
        return 0
    excluded: set[int] = set()
    for child in children:
        if _is_azurite(child):
            excluded.add(child.pid)
            with contextlib.suppress(psutil.Error):
                excluded.update(grandchild.pid for grandchild in child.children(recursive=True))
    return _rss(root) + sum(_rss(child) for child in children if child.pid not in excluded)


def _azurite_rss() -> int:
    """RSS of the Azurite this bench started (a child of this process), with its children."""
    total = 0
    for child in psutil.Process().children():
        if _is_azurite(child):
            total += _rss(child)
            with contextlib.suppress(psutil.Error):
                total += sum(_rss(grandchild) for grandchild in child.children(recursive=True))
    return total


def measure_devhost(host: DevhostProcess, size: int) -> dict[str, Any]:
    headers = {"x-functions-key": host.keys.function_default}
    with RssSampler(host.process.pid) as sampler:
        started = time.perf_counter()
        answer = requests.post(host.url(f"api/fanout/{size}"), headers=headers, timeout=60)
        if answer.status_code != 202:
            raise RuntimeError(f"start of a fan-out of {size} answered {answer.status_code}: {answer.text}")
        location = answer.headers["Location"]
        polls = 0
        deadline = time.monotonic() + RUN_TIMEOUT
        while True:
            final = requests.get(location, timeout=60)
            polls += 1
            if final.status_code != 202 or time.monotonic() > deadline:
                break
            time.sleep(min(POLL_MAX, max(POLL_MIN, (time.perf_counter() - started) * POLL_FRACTION)))
        seconds = time.perf_counter() - started
    status = final.json() if final.content else {}
    if final.status_code != 200 or status.get("runtimeStatus") != "Completed" or status.get("output") != size:
        raise RuntimeError(
            f"fan-out of {size} ended with {final.status_code}: {status.get('runtimeStatus')} "
            f"output={status.get('output')!r}"
        )
    return {**_timing(size, seconds), "status_polls": polls,
            "devhost_peak_rss_mib": round(sampler.peak_mib, 1),
            "azurite_peak_rss_mib": round(sampler.azurite_peak_mib, 1), "rss_samples": sampler.samples}


def run_devhost_mode(sizes: list[int]) -> dict[str, Any]:
    results = []
    with tempfile.TemporaryDirectory(prefix="bench-devhost-") as tmp, \
            Azurite(Path(tmp) / "azurite") as endpoints:
        host = start_devhost(BENCH_APP, Path(tmp) / "devhost", endpoints.connection_string)
        with host:
            idle_mib = _tree_rss(psutil.Process(host.process.pid)) / 2**20
            for size in sizes:
                result = measure_devhost(host, size)
                results.append(result)
                _print_row("devhost", result, f"devhost peak RSS {result['devhost_peak_rss_mib']:.0f} MiB, "
                           f"Azurite {result['azurite_peak_rss_mib']:.0f} MiB")
    peak = max(result["devhost_peak_rss_mib"] for result in results)
    return {"driver": "devhost subprocess over HTTP (start_new + status URL polling)",
            "results": results, "idle_rss_mib": round(idle_mib, 1), "peak_rss_mib": peak,
            "peak_rss_of": "devhost process and its children, Azurite excluded",
            "azurite_peak_rss_mib": max(result["azurite_peak_rss_mib"] for result in results),
            "all_targets_met": _met(results, peak)}


# --- engine-api mode: the engine in-process, for comparison --------------------------------------------


async def no_op(value: int) -> int:
    return value


def fan_out(context: DurableOrchestrationContext) -> Any:
    results = yield context.task_all([context.call_activity("no_op", n) for n in range(context.get_input())])
    return len(results)


async def measure_engine(connection_string: str, size: int) -> dict[str, Any]:
    functions = function_maps({"fan_out": fan_out}, {"no_op": no_op})
    engine = Engine(connection_string, unique_hub("Bench"), functions)
    await engine.start()
    try:
        started = time.perf_counter()
        instance_id = await engine.start_new("fan_out", None, json.dumps(size))
        status = await engine.wait_for_completion(instance_id, RUN_TIMEOUT)
        seconds = time.perf_counter() - started
    finally:
        await engine.stop()
    if status["runtimeStatus"] != "Completed" or status["output"] != size:
        raise RuntimeError(f"fan-out of {size} ended as {status['runtimeStatus']}: {status['output']}")
    return _timing(size, seconds)


def run_engine_mode(sizes: list[int]) -> dict[str, Any]:
    results = []
    with Azurite() as endpoints:
        for size in sizes:
            result = asyncio.run(measure_engine(endpoints.connection_string, size))
            results.append(result)
            _print_row("engine-api", result, "")
    peak = _peak_rss_mib()
    return {"driver": "engine API in-process (no HTTP)", "results": results, "peak_rss_mib": round(peak, 1),
            "peak_rss_of": "the bench process (ru_maxrss, includes the devhost mode's client side)",
            "all_targets_met": _met(results, peak)}


# --- shared -------------------------------------------------------------------------------------------


def _timing(size: int, seconds: float) -> dict[str, Any]:
    target = TARGET_SECONDS.get(size)
    return {"size": size, "seconds": round(seconds, 3), "activities_per_second": round(size / seconds, 1),
            "target_seconds": target, "met": target is None or seconds < target}


def _met(results: list[dict[str, Any]], peak_mib: float) -> bool:
    return all(result["met"] for result in results) and peak_mib < MEMORY_TARGET_MIB


def _print_row(mode: str, result: dict[str, Any], extra: str) -> None:
    print(f"{mode:>10} fan-out {result['size']:>6}: {result['seconds']:7.2f} s, "
          f"{result['activities_per_second']:9.1f} activities/s (target < {result['target_seconds']} s)"
          + (f"; {extra}" if extra else ""), flush=True)


def _peak_rss_mib() -> float:
    """Peak resident set of this process (Linux reports ru_maxrss in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("sizes", nargs="*", type=int, default=[1_000, 10_000])
    parser.add_argument("--modes", default=",".join(MODES),
                        help="comma-separated, in order (default: devhost,engine-api)")
    options = parser.parse_args(argv)
    modes = [mode for mode in options.modes.split(",") if mode]
    if not modes or any(mode not in MODES for mode in modes):
        parser.error(f"--modes takes {', '.join(MODES)}")
    logging.basicConfig(level=logging.WARNING)
    runners = {"devhost": run_devhost_mode, "engine-api": run_engine_mode}
    figures = {mode: runners[mode](options.sizes) for mode in modes}
    for mode, figure in figures.items():
        azurite = figure.get("azurite_peak_rss_mib")
        print(f"{mode:>10} peak RSS: {figure['peak_rss_mib']:.0f} MiB ({figure['peak_rss_of']}; "
              f"target < {MEMORY_TARGET_MIB} MiB)" + (f"; Azurite {azurite:.0f} MiB" if azurite else ""))
    judged = "devhost" if "devhost" in figures else modes[0]
    met = bool(figures[judged]["all_targets_met"])
    print(json.dumps({"storage": "azurite-disk", "memory_target_mib": MEMORY_TARGET_MIB,
                      "target_seconds": {str(size): target for size, target in TARGET_SECONDS.items()},
                      "modes": figures, "targets_judged_on": judged, "all_targets_met": met}))
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
