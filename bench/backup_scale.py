"""Benchmark tenant backups through the product app, at Graph's throttle limits and latency.

The bench starts its own stack (a fresh on-disk Azurite, graphsim with the `sized` profile, the
throttle limits of Graph (docs/graph-intune.md#throttling) and 100 ms +/- 30 ms latency per HTTP
request, and a devhost serving `function_app.py`), registers graphsim's tenants in the app's
storage, starts the backups over the HTTP API (`POST /api/tenants/{t}/backups`, as an operator with
a dev token), polls the status URLs, and stops every process it started at the end.

Scenarios (targets on the 2-core dev machine):
- `scale`: 20 tenants x 300 objects backed up at once: wall time < 120 s, no item lost (the
  backup's manifest compared with what graphsim holds, type by type), fewer than 1.5 Graph
  requests per object as Graph's throttling counts them (each inner request of a `$batch` is one;
  HTTP requests are reported too).
- `pacing`: 1 tenant x 300 objects with graphsim's throttle scaled to 1/10 and the app's pacing
  (TENANTATLAS_GRAPH_PACING_SCALE) scaled alike: wall time within 1.25x of (Graph requests made /
  allowed request rate), and 429s under 5% of the requests.

`--devhosts N` runs the app as N devhost processes on one task hub sharing activities
(bench/stackrun.py), so N processes carry each tenant's Graph traffic; `--budget process` makes
each pace alone (TENANTATLAS_GRAPH_BUDGET), the way every process paced before the shared budget.

Reported per scenario: wall time, items per second, items lost, Graph requests (throttle-counted
and HTTP), requests per object, 429s, token requests, activities each devhost ran, what the shared
budget's rows counted (bookings, storage round trips per Graph request, conflicts, fallbacks), and
peak RSS of the devhost (with any children), graphsim and Azurite, sampled every 0.2 s. A readable
table, then one JSON object with every figure on the last line.

    .venv/bin/python bench/backup_scale.py [--scenario scale|pacing|all] [--tenants N] [--objects N]
        [--devhosts N] [--budget shared|process]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.stackrun import WINDOW_SECONDS, BenchStack, RssSampler, bench_stack
from local.devhost.testing import REPO_ROOT
from local.stack import exit_on_sigterm
from shared.auth.roles import Role
from shared.intune.catalog import TYPES
from shared.intune.model import Strategy, nested_id

OPERATOR = "bench-operator@msp.example"
LATENCY = {"base_ms": 70, "jitter_ms": 60}
"""100 ms +/- 30 ms: graphsim sleeps base + uniform [0, jitter) once per HTTP request."""
CONFIGURATION_READS_PER_WINDOW = 1000
"""Graph's per-app-per-tenant budget of the configuration area (any request) at scale 1."""
SETTINGS_CATALOG = "deviceManagement/configurationPolicies"
RUN_TIMEOUT = 900.0
MAX_POLL_ERRORS = 20
POLL_SECONDS = 1.0
"""Status polls cost the app storage reads; the figure comes from the runs' own `endedAt`."""

TARGETS = {
    "scale": {"wall_seconds_below": 120.0, "items_lost": 0, "graph_requests_per_object_below": 1.5},
    "pacing": {"wall_over_ideal_at_most": 1.25, "throttled_share_below": 0.05, "items_lost": 0},
}


@dataclass(frozen=True)
class Scenario:
    name: str
    tenants: int
    objects: int
    throttle_scale: float
    max_activities: int | None = None
    """host.json's maxConcurrentActivityFunctions for this run (None: the repo's host.json as it is)."""
    devhosts: int = 1
    budget: str = "shared"


# --- the stack (bench/stackrun.py) -------------------------------------------------------------------


def _app_dir(scenario: Scenario, workdir: Path) -> Path:
    """The repo, or (to try another activity concurrency) a folder linking to it with its own host.json."""
    if scenario.max_activities is None:
        return REPO_ROOT
    app_dir = workdir / "app"
    app_dir.mkdir(parents=True, exist_ok=True)
    for entry in REPO_ROOT.iterdir():
        if entry.name != "host.json" and not entry.name.startswith("."):
            (app_dir / entry.name).symlink_to(entry)
    host = json.loads((REPO_ROOT / "host.json").read_text())
    host["extensions"]["durableTask"]["maxConcurrentActivityFunctions"] = scenario.max_activities
    (app_dir / "host.json").write_text(json.dumps(host))
    return app_dir


# --- one scenario ---------------------------------------------------------------------------------------


def run_backups(stack: BenchStack) -> tuple[float, dict[str, dict[str, Any]]]:
    """POST every tenant's backup at once and poll the status URLs until all ended.

    Returns (seconds, run per tenant): from the first POST to the latest `endedAt` the runs record,
    so the polling interval does not blur the figure.
    """
    tenants = [tenant.id for tenant in stack.graphsim.tenants]
    session = requests.Session()
    started = time.time()

    def start(tenant_id: str) -> str:
        answer = requests.post(
            stack.devhost.url(f"api/tenants/{tenant_id}/backups"), headers=stack.headers(), timeout=120
        )
        if answer.status_code != 202:
            raise RuntimeError(f"backup of {tenant_id} answered {answer.status_code}: {answer.text}")
        return str(answer.headers["Location"])

    with ThreadPoolExecutor(max_workers=min(len(tenants), 20)) as pool:
        locations = dict(zip(tenants, pool.map(start, tenants), strict=True))
    ended: dict[str, dict[str, Any]] = {}
    poll_errors = 0
    deadline = time.monotonic() + RUN_TIMEOUT
    while len(ended) < len(tenants):
        if time.monotonic() > deadline:
            raise TimeoutError(f"{len(tenants) - len(ended)} backup(s) still running after {RUN_TIMEOUT} s")
        time.sleep(POLL_SECONDS)
        for tenant_id, location in locations.items():
            if tenant_id not in ended:
                answer = session.get(location, headers=stack.headers(), timeout=120)
                if answer.status_code >= 500:
                    poll_errors += 1  # the devhost answers a function that raised with an empty 500
                    if poll_errors > MAX_POLL_ERRORS:
                        raise RuntimeError(f"status polls failed {poll_errors} times; last: {location}")
                elif answer.status_code != 202:
                    ended[tenant_id] = answer.json()
    session.close()
    last_end = max(datetime.fromisoformat(run["endedAt"]).timestamp() for run in ended.values())
    return last_end - started, ended


def expected_ids(state: dict[str, Any]) -> dict[str, set[str]]:
    """Per catalog type, the IDs graphsim holds that a backup must capture (built-ins skipped)."""
    collections = state["collections"]
    expected: dict[str, set[str]] = {}
    for entry in TYPES:
        paths = entry.typed_collections.values() if entry.typed_collections else [entry.collection]
        held = [obj for path in paths for obj in collections.get(path.lstrip("/"), [])]
        if entry.strategy is Strategy.SINGLETON:
            single = collections.get(entry.collection.lstrip("/"), [])
            held = single if isinstance(single, list) else [single]
        if entry.parent is not None:
            held = [
                {"id": nested_id(parent["id"], child["id"])}
                for parent in collections.get(entry.parent.collection.lstrip("/"), [])
                for child in parent.get(entry.parent.navigation) or []
            ]
        expected[entry.name] = {
            str(obj.get("id") or entry.name)
            for obj in held
            if not (entry.skip and entry.skip.applies_to(obj))
        }
    return expected


def check_completeness(stack: BenchStack, runs: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Items lost: objects graphsim holds that are not in the tenant's backup manifest."""
    lost, failed, expected_total, stored_total, settings_catalog = 0, 0, 0, 0, []
    lost_by_type: dict[str, int] = {}
    statuses: dict[str, int] = {}
    for tenant_id, run in runs.items():
        statuses[run["status"]] = statuses.get(run["status"], 0) + 1
        failed += int(run["counters"]["failed"])
        backup = _get_json(
            stack,
            f"api/tenants/{tenant_id}/backups/{run['id']}",
            {"includeItems": "true"},
        )
        state = stack.graphsim.admin.tenant_state(tenant_id)
        settings_catalog.append(len(state["collections"].get(SETTINGS_CATALOG, [])))
        for policy_type, ids in expected_ids(state).items():
            stored = {item["policyId"] for item in backup["items"].get(policy_type, [])}
            expected_total += len(ids)
            stored_total += len(stored & ids)
            lost += len(ids - stored)
            if ids - stored:
                lost_by_type[policy_type] = lost_by_type.get(policy_type, 0) + len(ids - stored)
    return {
        "objects_expected": expected_total,
        "objects_stored": stored_total,
        "items_lost": lost,
        "items_lost_by_type": lost_by_type,
        "items_failed": failed,
        "run_statuses": statuses,
        "settings_catalog_per_tenant": min(settings_catalog) if settings_catalog else 0,
    }


def _get_json(stack: BenchStack, path: str, params: dict[str, str]) -> Any:
    """GET an API route, trying again after a 5xx (a busy devhost), at most 5 times."""
    for _ in range(5):
        answer = requests.get(stack.devhost.url(path), headers=stack.headers(), params=params, timeout=120)
        if answer.status_code < 500:
            answer.raise_for_status()
            return answer.json()
        time.sleep(1.0)
    raise RuntimeError(f"GET {path} kept answering {answer.status_code}")


def request_figures(counters: dict[str, int], objects: int) -> dict[str, Any]:
    """Graph requests as its throttling counts them (inner `$batch` requests one by one) and as HTTP calls."""
    counted = counters.get("graph.requests", 0)
    in_batch = counters.get("graph.in_batch", 0)
    batches = counters.get("batch.requests", 0)
    http = counted - in_batch + batches
    throttled = counters.get("graph.throttled", 0)
    return {
        "graph_requests_counted": counted,
        "graph_requests_http": http,
        "batch_calls": batches,
        "inner_batch_requests": in_batch,
        "token_requests": counters.get("token.requests", 0),
        "graph_requests_per_object": round(counted / objects, 3) if objects else None,
        "http_requests_per_object": round(http / objects, 3) if objects else None,
        "throttled_429": throttled,
        "throttled_share": round(throttled / counted, 4) if counted else 0.0,
    }


def _per_object_ms(cpu_seconds: float, objects: int) -> float | None:
    """App CPU per object: the devhost's process tree (host, engine and worker), as on Azure the app's."""
    return round(1000 * cpu_seconds / objects, 2) if objects else None


def _meter_delta(
    before: dict[str, dict[str, int]], after: dict[str, dict[str, int]]
) -> dict[str, dict[str, int]]:
    return {
        role: {kind: n - before.get(role, {}).get(kind, 0) for kind, n in counts.items()}
        for role, counts in after.items()
    }


def storage_figures(meters: dict[str, dict[str, int]], objects: int) -> dict[str, Any]:
    """Storage transactions during the run, counted at the clients: the app's (what Azure bills the
    app's own tables and blobs for) and the devhost engine's (its durable history and instance rows;
    on Azure the durable backend's are of another shape, see docs/capacity.md), per object."""
    app = sum(n for role, counts in meters.items() if role.startswith("app.") for n in counts.values())
    engine = sum(n for role, counts in meters.items() if role.startswith("engine.") for n in counts.values())
    return {
        "storage_transactions": meters,
        "storage_transactions_app": app,
        "storage_transactions_engine": engine,
        "storage_transactions_app_per_object": round(app / objects, 3) if objects else None,
        "storage_transactions_engine_per_object": round(engine / objects, 3) if objects else None,
    }


def payload_figures(measured: tuple[int, int, int]) -> dict[str, Any]:
    """The payloads the backups stored as rows: how many, their mean canonical size, and the share
    compression leaves (what the cost model prices as table storage)."""
    count, canonical, stored = measured
    return {
        "payload_rows": count,
        "payload_kb_mean": round(canonical / count / 1024, 2) if count else None,
        "payload_stored_share": round(stored / canonical, 3) if canonical else None,
    }


def run_scenario(scenario: Scenario, keep: Path | None) -> dict[str, Any]:
    with contextlib.ExitStack() as cleanup:
        if keep is None:
            workdir = Path(cleanup.enter_context(tempfile.TemporaryDirectory(prefix="bench-backup-")))
        else:
            workdir = keep / scenario.name
        stack = cleanup.enter_context(
            bench_stack(
                workdir,
                principal=OPERATOR,
                role=Role.OPERATOR,
                tenants=scenario.tenants,
                objects=scenario.objects,
                latency=LATENCY,
                throttle_scale=scenario.throttle_scale,
                app_dir=_app_dir(scenario, workdir),
                devhosts=scenario.devhosts,
                budget=scenario.budget,
            )
        )
        stack.graphsim.admin.clear_log()
        load_before = os.getloadavg()[0]
        meters_before = stack.storage_transactions()
        with RssSampler(stack.process_ids) as sampler:
            seconds, runs = run_backups(stack)
        load_after = os.getloadavg()[0]
        meters = _meter_delta(meters_before, stack.storage_transactions())
        counters = stack.graphsim.admin.counters()["requests"]
        if keep is not None:  # every Graph request as graphsim counted it, for a look at the timeline
            log = stack.graphsim.admin.log(kind="graph", limit=200_000)
            (workdir / "graph-requests.json").write_text(json.dumps(log))
        completeness = check_completeness(stack, runs)
        activities = stack.activities_per_devhost()
        budget = stack.budget_figures(counters.get("graph.requests", 0))
        payloads = stack.payload_bytes()
    figures: dict[str, Any] = {
        "tenants": scenario.tenants,
        "objects_per_tenant": scenario.objects,
        "throttle_scale": scenario.throttle_scale,
        "max_concurrent_activities": scenario.max_activities or _host_max_activities(),
        "devhosts": scenario.devhosts,
        "budget": scenario.budget,
        "activities_per_devhost": activities,
        "latency_ms": "100 +/- 30 per HTTP request",
        "wall_seconds": round(seconds, 2),
        **completeness,
        "items_per_second": round(completeness["objects_stored"] / seconds, 1),
        **request_figures(counters, completeness["objects_expected"]),
        **budget,
        **storage_figures(meters, completeness["objects_expected"]),
        **payload_figures(payloads),
        "app_cpu_ms_per_object": _per_object_ms(
            sampler.cpu_seconds["devhost"], completeness["objects_expected"]
        ),
        "peak_rss_mib": {name: round(mib, 1) for name, mib in sampler.peak_mib.items()},
        "peak_rss_of": "each process with its descendants (devhost: activities run on its thread pool)",
        "cpu_seconds": {name: round(cpu, 1) for name, cpu in sampler.cpu_seconds.items()},
        "machine": {"cpus": os.cpu_count(), "load_1m_before": round(load_before, 2),
                    "load_1m_after": round(load_after, 2)},
    }
    if scenario.name == "pacing":
        rate = CONFIGURATION_READS_PER_WINDOW * scenario.throttle_scale / WINDOW_SECONDS
        ideal = figures["graph_requests_counted"] / rate
        figures |= {
            "allowed_requests_per_second": rate,
            "ideal_seconds": round(ideal, 2),
            "wall_over_ideal": round(seconds / ideal, 3) if ideal else None,
        }
    figures["targets"] = TARGETS[scenario.name]
    figures["met"] = _met(scenario.name, figures)
    return figures


def _host_max_activities() -> int:
    host = json.loads((REPO_ROOT / "host.json").read_text())
    return int(host["extensions"]["durableTask"].get("maxConcurrentActivityFunctions", 10))


def _met(name: str, figures: dict[str, Any]) -> dict[str, bool]:
    if name == "scale":
        met = {
            "wall_seconds": figures["wall_seconds"] < TARGETS["scale"]["wall_seconds_below"],
            "graph_requests_per_object": figures["graph_requests_per_object"]
            < TARGETS["scale"]["graph_requests_per_object_below"],
        }
    else:
        met = {
            "wall_over_ideal": figures["wall_over_ideal"] <= TARGETS["pacing"]["wall_over_ideal_at_most"],
            "throttled_share": figures["throttled_share"] < TARGETS["pacing"]["throttled_share_below"],
        }
    met["items_lost"] = figures["items_lost"] == 0
    return {**met, "all": all(met.values())}


# --- output ------------------------------------------------------------------------------------------------


def print_table(results: dict[str, dict[str, Any]]) -> None:
    rows = [
        ("tenants x objects", lambda f: f"{f['tenants']} x {f['objects_per_tenant']}"),
        ("settings catalog / tenant", lambda f: str(f["settings_catalog_per_tenant"])),
        ("throttle scale (sim = pacing)", lambda f: str(f["throttle_scale"])),
        ("wall time", lambda f: f"{f['wall_seconds']:.1f} s"),
        ("ideal (requests / rate)", lambda f: f"{f['ideal_seconds']:.1f} s x{f['wall_over_ideal']:.2f}"
            if "ideal_seconds" in f else "-"),
        ("objects stored / expected", lambda f: f"{f['objects_stored']} / {f['objects_expected']}"),
        ("items lost / failed", lambda f: f"{f['items_lost']} / {f['items_failed']}"),
        ("runs", lambda f: ", ".join(f"{k} {v}" for k, v in f["run_statuses"].items())),
        ("items per second", lambda f: f"{f['items_per_second']:.1f}"),
        ("Graph requests (throttle-counted)", lambda f: f"{f['graph_requests_counted']} "
            f"({f['graph_requests_per_object']:.3f} / object)"),
        ("HTTP requests to Graph", lambda f: f"{f['graph_requests_http']} "
            f"({f['http_requests_per_object']:.3f} / object; {f['batch_calls']} $batch)"),
        ("429s", lambda f: f"{f['throttled_429']} ({100 * f['throttled_share']:.2f}%)"),
        ("devhosts (budget)", lambda f: f"{f['devhosts']} ({f['budget']})"),
        ("activities per devhost", lambda f: " / ".join(str(n) for n in f["activities_per_devhost"])),
        ("budget bookings / conflicts", lambda f: f"{f['budget_bookings']} / {f['budget_conflicts']}"),
        ("storage round trips / Graph req", lambda f: f"{f['budget_storage_round_trips']} "
            f"({f['storage_round_trips_per_graph_request']})"),
        ("token requests", lambda f: str(f["token_requests"])),
        ("storage transactions app / engine", lambda f: f"{f['storage_transactions_app']} / "
            f"{f['storage_transactions_engine']}"),
        ("  per object app / engine", lambda f: f"{f['storage_transactions_app_per_object']} / "
            f"{f['storage_transactions_engine_per_object']}"),
        ("app CPU per object (devhost)", lambda f: f"{f['app_cpu_ms_per_object']} ms"),
        ("peak RSS devhost", lambda f: f"{f['peak_rss_mib']['devhost']:.0f} MiB"),
        ("peak RSS graphsim", lambda f: f"{f['peak_rss_mib']['graphsim']:.0f} MiB"),
        ("peak RSS Azurite", lambda f: f"{f['peak_rss_mib']['azurite']:.0f} MiB"),
        ("CPU s devhost / graphsim / Azurite", lambda f: " / ".join(
            f"{f['cpu_seconds'][name]:.0f}" for name in ("devhost", "graphsim", "azurite"))),
        ("machine load (1 min) before / after", lambda f: f"{f['machine']['load_1m_before']:.1f} / "
            f"{f['machine']['load_1m_after']:.1f} on {f['machine']['cpus']} CPUs"),
        ("targets met", lambda f: "yes" if f["met"]["all"] else
            "NO: " + ", ".join(k for k, v in f["met"].items() if not v and k != "all")),
    ]
    names = list(results)
    width = max(len(label) for label, _ in rows)
    print(f"{'':<{width}}  " + "  ".join(f"{name:<30}" for name in names))
    for label, cell in rows:
        print(f"{label:<{width}}  " + "  ".join(f"{cell(results[name]):<30}" for name in names))


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--scenario", choices=("scale", "pacing", "all"), default="all")
    parser.add_argument("--tenants", type=int, default=None, help="tenants of the scale scenario (20)")
    parser.add_argument("--objects", type=int, default=None, help="objects per tenant, both scenarios (300)")
    parser.add_argument("--max-activities", type=int, help="run with this maxConcurrentActivityFunctions")
    parser.add_argument("--keep", type=Path, help="keep state and logs (devhost.log, graphsim.log) here")
    parser.add_argument("--devhosts", type=int, default=1, help="app processes sharing activities (1)")
    parser.add_argument("--budget", choices=("shared", "process"), default="shared",
                        help="TENANTATLAS_GRAPH_BUDGET of the app (shared)")
    options = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    exit_on_sigterm()  # a SIGTERM unwinds the stacks, so no child process is left behind
    objects = options.objects or 300
    shared = (options.max_activities, options.devhosts, options.budget)
    scenarios = {
        "scale": Scenario("scale", options.tenants or 20, objects, 1.0, *shared),
        "pacing": Scenario("pacing", 1, objects, 0.1, *shared),
    }
    chosen = list(scenarios) if options.scenario == "all" else [options.scenario]
    results = {}
    for name in chosen:
        results[name] = run_scenario(scenarios[name], options.keep)
        print(f"{name}: done in {results[name]['wall_seconds']} s", flush=True)
    print_table(results)
    met = all(figures["met"]["all"] for figures in results.values())
    print(json.dumps({"bench": "backup_scale", "scenarios": results, "all_targets_met": met}))
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
