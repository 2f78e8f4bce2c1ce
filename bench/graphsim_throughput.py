"""How fast graphsim answers Graph GETs, and how much memory a large seed takes.

Measures, against a real graphsim subprocess over HTTPS with keep-alive, zero configured latency
and throttling off:
- GETs per second at 64 concurrent requests, from client processes separate from the server;
- p50 / p99 of one request at a time (what the simulator itself adds to a call) and under load;
- the resident memory of a 50-tenant x 300-object seed.
The last line of output is one JSON object with the figures.

    .venv/bin/python bench/graphsim_throughput.py [--seconds 10] [--concurrency 64] [--clients 2]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import ssl
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import aiohttp
import psutil

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from local.graphsim.testing import GraphSim, GraphSimProcess

NO_CONDITIONS = {"throttle": {"enabled": False}, "latency": {"base_ms": 0, "jitter_ms": 0}}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--clients", type=int, default=2, help="client processes sharing the concurrency")
    parser.add_argument("--memory-tenants", type=int, default=50)
    parser.add_argument("--memory-objects", type=int, default=300)
    parser.add_argument("--client", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.client:
        print(json.dumps(asyncio.run(_client(json.loads(args.client)))))
        return

    with GraphSimProcess(profile="demo", config=NO_CONDITIONS) as sim:
        urls = _item_urls(sim)
        token = sim.token(sim.tenants[0].id)
        common = {"urls": urls, "token": token, "ca_file": sim.ca_file}
        serial = _run_clients(1, {**common, "concurrency": 1, "seconds": min(3.0, args.seconds)})
        loaded = _run_clients(
            args.clients,
            {**common, "concurrency": args.concurrency // args.clients, "seconds": args.seconds},
        )
    memory = _seed_memory(args.memory_tenants, args.memory_objects)
    requests_done = sum(r["count"] for r in loaded)
    errors = sum(r["errors"] for r in loaded)
    rps = requests_done / max(r["elapsed"] for r in loaded)
    loaded_latencies = sorted(x for r in loaded for x in r["latencies_ms"])
    serial_latencies = sorted(serial[0]["latencies_ms"])
    figures = {
        "gets_per_second": round(rps),
        "concurrency": args.concurrency,
        "client_processes": args.clients,
        "requests": requests_done,
        "errors": errors,
        "distinct_urls": len(urls),
        "added_p50_ms": _percentile(serial_latencies, 50),
        "added_p99_ms": _percentile(serial_latencies, 99),
        "loaded_p50_ms": _percentile(loaded_latencies, 50),
        "loaded_p99_ms": _percentile(loaded_latencies, 99),
        **memory,
    }
    print(
        f"graphsim: {figures['gets_per_second']} GETs/s, {args.concurrency} concurrent, HTTPS keep-alive"
    )
    print(f"  one at a time: p50 {figures['added_p50_ms']} ms, p99 {figures['added_p99_ms']} ms")
    print(f"  under load:    p50 {figures['loaded_p50_ms']} ms, p99 {figures['loaded_p99_ms']} ms")
    print(f"  {args.memory_tenants} x {args.memory_objects} seed: {memory['seed_rss_mib']} MiB RSS")
    print(json.dumps(figures))


def _item_urls(sim: GraphSim) -> list[str]:
    """GETs of single objects and small lists a backup makes, kept only where graphsim answers 200."""
    tenant = sim.tenants[0].id
    collections = sim.admin.tenant_state(tenant)["collections"]
    candidates: list[str] = []
    for collection, objects in sorted(collections.items()):
        candidates.append(sim.graph_url(f"{collection}?$top=5"))
        candidates += [sim.graph_url(f"{collection}/{obj['id']}") for obj in objects[:10] if "id" in obj]
    headers = {"Authorization": f"Bearer {sim.token(tenant)}"}
    with sim.session() as http:
        return [url for url in candidates if http.get(url, headers=headers, timeout=10).status_code == 200]


def _run_clients(processes: int, job: dict[str, Any]) -> list[dict[str, Any]]:
    """Client processes, so the load generator never shares a GIL with the server or each other."""
    spawned = [
        subprocess.Popen(
            [sys.executable, __file__, "--client", json.dumps(job)], stdout=subprocess.PIPE, text=True
        )
        for _ in range(processes)
    ]
    results = []
    for process in spawned:
        out, _ = process.communicate()
        if process.returncode != 0:
            raise RuntimeError(f"benchmark client failed with code {process.returncode}")
        results.append(json.loads(out.strip().splitlines()[-1]))
    return results


async def _client(job: dict[str, Any]) -> dict[str, Any]:
    context = ssl.create_default_context(cafile=job["ca_file"])
    connector = aiohttp.TCPConnector(limit=job["concurrency"], ssl=context)
    headers = {"Authorization": f"Bearer {job['token']}"}
    latencies: list[float] = []
    errors = 0
    urls: list[str] = job["urls"]
    async with aiohttp.ClientSession(connector=connector, headers=headers) as session:
        warm_until = time.monotonic() + 1.0
        deadline = warm_until + job["seconds"]

        async def worker(offset: int) -> None:
            nonlocal errors
            index = offset
            while (now := time.monotonic()) < deadline:
                started = time.perf_counter()
                async with session.get(urls[index % len(urls)]) as response:
                    await response.read()
                    ok = response.status == 200
                index += job["concurrency"]
                if now >= warm_until:
                    latencies.append((time.perf_counter() - started) * 1000)
                    errors += 0 if ok else 1

        await asyncio.gather(*(worker(i) for i in range(job["concurrency"])))
    return {"count": len(latencies), "errors": errors, "elapsed": job["seconds"], "latencies_ms": latencies}


def _seed_memory(tenants: int, objects: int) -> dict[str, Any]:
    started = time.monotonic()
    with GraphSimProcess(profile="sized", tenants=tenants, objects=objects, config=NO_CONDITIONS) as sim:
        seconds = time.monotonic() - started
        assert sim is not None
        process = psutil.Process(_server_pid(sim))
        rss = process.memory_info().rss
        stored = sum(len(v) for v in sim.admin.tenant_state(sim.tenants[0].id)["collections"].values())
    return {
        "seed_tenants": tenants,
        "seed_objects_per_tenant": objects,
        "seed_objects_first_tenant": stored,
        "seed_rss_mib": round(rss / 2**20),
        "seed_start_seconds": round(seconds, 1),
    }


def _server_pid(sim: GraphSim) -> int:
    return int(json.loads((sim.state_dir / "ready.json").read_text())["pid"])


def _percentile(values: list[float], percent: int) -> float:
    if not values:
        return 0.0
    if len(values) == 1:
        return round(values[0], 2)
    return round(statistics.quantiles(values, n=100, method="inclusive")[percent - 1], 2)


if __name__ == "__main__":
    main()
