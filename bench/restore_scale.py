"""Benchmark a live restore of 300 objects into an empty tenant at Graph's write limit.

The bench starts its own stack: a fresh on-disk Azurite, graphsim (`sized` profile: one source
tenant with `--objects` objects; Graph's throttle limits (docs/graph-intune.md#throttling), 100
writes per 20 s per app per tenant; latency per HTTP request) and a devhost serving
`function_app.py` with the app's pacing at scale 1. It adds an empty target tenant (Intune's
defaults only) that holds the source's groups and apps under the same names and new IDs, as a
customer's tenant has its own (restore never creates them; `--bare-target` leaves them out, so
assignments to them are dropped and items that exclude them are skipped). Then, through the HTTP API
as an admin of both tenants: back the source up (`POST /api/tenants/{source}/backups`), preview a
restore of that backup set into the target, and restore it live (`mode: live`, the preview's run ID,
`confirm: true`).

Measured for the live restore: wall time (POST to ended run), writes made (non-GET requests of the
target tenant as Graph's throttling counts them: each inner `$batch` request is one), the ideal time
(writes / allowed write rate of 5 per s) and wall / ideal (target <= 1.25), 429s as a share of
all Graph requests the run made (target < 5%), items created / updated / unchanged / failed /
skipped / conflict, objects the target gained, and peak RSS of each process (with descendants).
`--devhosts N` runs the app as N devhost processes sharing activities (bench/stackrun.py), so the
live restore's writes to the target come from N processes; `--budget process` makes each pace alone
(TENANTATLAS_GRAPH_BUDGET). Also reported: activities each devhost ran during the live restore and
what the shared budget's rows counted (bookings, storage round trips per Graph request, conflicts).
A readable table, then one JSON object with every figure on the last line.

    .venv/bin/python bench/restore_scale.py [--objects N] [--latency-ms 100] [--bare-target] [--keep DIR]
        [--devhosts N] [--budget shared|process]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import re
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.stackrun import WINDOW_SECONDS, BenchStack, RssSampler, bench_stack
from local.graphsim.testing import GraphSim
from shared.auth.roles import Role

ADMIN = "bench-admin@msp.example"
WRITES_PER_WINDOW = 100
"""Graph's write budget per app per tenant (configuration area) in WINDOW_SECONDS
(docs/graph-intune.md#throttling)."""
WRITE_RATE = WRITES_PER_WINDOW / WINDOW_SECONDS
REFERENCES = ("groups", "deviceAppManagement/mobileApps")
"""What the customer's tenant already has (restore maps to them by name and never creates them)."""
RUN_TIMEOUT = 1800.0
STALLED_POLLS: list[str] = []
"""Status polls that got no answer within a minute, by route."""
POLL_SECONDS = 0.25
LOG_LIMIT = 200_000
ITEM_ID = re.compile(r"\b[A-Za-z]+:[0-9a-f-]{36}\b|\b[0-9a-f]{8}-[0-9a-f-]{27}\b")
"""Item and object IDs, left out so equal reasons group together."""
TARGETS = {
    "wall_over_ideal_at_most": 1.25,
    "throttled_share_below": 0.05,
    "items_failed": 0,
    "objects_added_equal_created": True,
}


# --- the stack ----------------------------------------------------------------------------------------------


def customer_tenants(bare: bool) -> Callable[[GraphSim], dict[str, str]]:
    """`prepare` for the stack: the profile's tenant is the source; a new tenant with Intune's
    defaults, the app the stack's Graph credential names (the federated app) consented as in the source
    and (unless `bare`) the source's groups and apps under the same names and new IDs is the target."""

    def prepare(sim: GraphSim) -> dict[str, str]:
        source = sim.tenants[0].id
        target = sim.admin.create_tenant(name="Restore target", seed="defaults")
        app = sim.federated_app
        sim.admin.consent(target, app.client_id, app.roles)
        collections = sim.admin.tenant_state(source)["collections"]
        for collection in () if bare else REFERENCES:
            for obj in collections.get(collection, []):
                sim.admin.put_object(target, collection, {k: v for k, v in obj.items() if k != "id"})
        return {source: "Restore source", target: "Restore target"}

    return prepare


# --- the runs ----------------------------------------------------------------------------------------------


def run_to_end(stack: BenchStack, path: str, body: dict[str, Any] | None) -> tuple[float, dict[str, Any]]:
    """POST, then poll the status URL until the run ended; (seconds from the POST to the run's own
    `endedAt`, the ended run). A poll the devhost does not answer within a minute (every worker thread
    busy, see bench/README.md) is counted in STALLED_POLLS and asked again."""
    started = time.time()
    answer = requests.post(stack.devhost.url(path), headers=stack.headers(), json=body, timeout=120)
    if answer.status_code != 202:
        raise RuntimeError(f"POST {path} answered {answer.status_code}: {answer.text}")
    location = str(answer.headers["Location"])
    deadline = time.monotonic() + RUN_TIMEOUT
    with requests.Session() as session:
        while time.monotonic() < deadline:
            try:
                status = session.get(location, headers=stack.headers(), timeout=60)
            except requests.Timeout:
                STALLED_POLLS.append(path)
                continue
            if status.status_code != 202:
                run: dict[str, Any] = status.json()
                return datetime.fromisoformat(run["endedAt"]).timestamp() - started, run
            time.sleep(POLL_SECONDS)
    raise TimeoutError(f"POST {path}: the run did not end within {RUN_TIMEOUT} s")


def run_items(stack: BenchStack, tenant_id: str, run_id: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    params: dict[str, str] = {"pageSize": "1000"}
    while True:
        answer = requests.get(
            stack.devhost.url(f"api/tenants/{tenant_id}/runs/{run_id}/items"),
            headers=stack.headers(),
            params=params,
            timeout=120,
        )
        answer.raise_for_status()
        page = answer.json()
        items += page["items"]
        token = page.get("continuationToken")
        if not token:
            return items
        params["continuationToken"] = token


def graph_figures(entries: list[dict[str, Any]], target: str) -> dict[str, Any]:
    """Requests as Graph's throttling counts them (kind `graph`: each inner `$batch` request is one)."""
    counted = [e for e in entries if e["kind"] == "graph"]
    writes = [e for e in counted if e["tenant"] == target and e["method"] != "GET"]
    throttled = [e for e in counted if e["throttled"]]
    return {
        "graph_requests": len(counted),
        "graph_requests_target": sum(1 for e in counted if e["tenant"] == target),
        "http_batch_calls": sum(1 for e in entries if e["kind"] == "batch"),
        "writes": len(writes),
        "writes_by_method": dict(Counter(e["method"] for e in writes)),
        "writes_throttled": sum(1 for e in writes if e["throttled"]),
        "throttled_429": len(throttled),
        "throttled_share": round(len(throttled) / len(counted), 4) if counted else 0.0,
        "busiest_write_window": _busiest_window([_seconds(e["time"]) for e in writes if not e["throttled"]]),
    }


def _seconds(stamp: str) -> float:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()


def _busiest_window(times: list[float]) -> int:
    """Most accepted writes in any WINDOW_SECONDS (at most WRITES_PER_WINDOW when paced right)."""
    times = sorted(times)
    best, start = 0, 0
    for end, at in enumerate(times):
        while times[start] <= at - WINDOW_SECONDS:
            start += 1
        best = max(best, end - start + 1)
    return best


def item_figures(items: list[dict[str, Any]]) -> dict[str, Any]:
    outcomes = Counter(item["outcome"] for item in items)
    actions = Counter(item.get("action") for item in items if item["outcome"] == "succeeded")
    reasons = Counter(
        ITEM_ID.sub("<item>", item.get("reason") or item.get("error") or "")[:120]
        for item in items
        if item["outcome"] in ("failed", "skipped", "conflict")
    )
    return {
        "items": len(items),
        "items_created": actions.get("create", 0),
        "items_updated": actions.get("update", 0),
        "items_succeeded": outcomes.get("succeeded", 0),
        "items_failed": outcomes.get("failed", 0),
        "items_skipped": outcomes.get("skipped", 0),
        "items_conflict": outcomes.get("conflict", 0),
        "reasons_not_written": dict(reasons.most_common(8)),
    }


def object_count(sim: GraphSim, tenant_id: str) -> int:
    """Objects a tenant holds outside the references the bench put there."""
    collections = sim.admin.tenant_state(tenant_id)["collections"]
    return sum(
        len(objects) if isinstance(objects, list) else 1
        for name, objects in collections.items()
        if name not in REFERENCES and objects
    )


def run_bench(
    objects: int, latency_ms: int, bare: bool, keep: Path | None, devhosts: int = 1, budget: str = "shared"
) -> dict[str, Any]:
    with contextlib.ExitStack() as cleanup:
        if keep is None:
            workdir = Path(cleanup.enter_context(tempfile.TemporaryDirectory(prefix="bench-restore-")))
        else:
            workdir = keep
        latency = {"base_ms": max(latency_ms - 30, 0), "jitter_ms": 60 if latency_ms >= 30 else 0}
        stack = cleanup.enter_context(
            bench_stack(
                workdir,
                principal=ADMIN,
                role=Role.ADMIN,
                tenants=1,
                objects=objects,
                latency=latency,
                prepare=customer_tenants(bare),
                devhosts=devhosts,
                budget=budget,
            )
        )
        sim = stack.graphsim
        source, target = list(stack.tenants)
        with RssSampler(stack.process_ids) as sampler:
            backup_seconds, backup = run_to_end(stack, f"api/tenants/{source}/backups", None)
            if backup["status"] != "succeeded":
                raise RuntimeError(f"the source backup ended {backup['status']}: {backup.get('error')}")
            restores = f"api/tenants/{target}/restores"
            sim.admin.clear_log()
            preview_body = {"mode": "preview", "source": {"backupId": backup["id"], "tenantId": source}}
            preview_seconds, preview = run_to_end(stack, restores, preview_body)
            preview_writes = sum(
                1 for e in sim.admin.log(limit=LOG_LIMIT) if e["kind"] == "graph" and e["method"] != "GET"
            )
            if preview["status"] not in ("succeeded", "partially_succeeded"):
                raise RuntimeError(f"the preview ended {preview['status']}: {preview.get('error')}")
            before = object_count(sim, target)
            time.sleep(WINDOW_SECONDS)  # the live restore starts from empty throttle windows
            sim.admin.clear_log()
            activities_before = stack.activities_per_devhost()
            budget_before = stack.budget_figures(1)
            live_body = {"mode": "live", "previewRunId": preview["id"], "confirm": True}
            live_seconds, live = run_to_end(stack, restores, live_body)
            entries = sim.admin.log(limit=LOG_LIMIT)
            if keep is not None:  # the live restore's Graph requests, for a look at the timeline
                (workdir / "graph-requests.json").write_text(json.dumps(entries))
            ran = zip(stack.activities_per_devhost(), activities_before, strict=True)
            activities = [after - before for after, before in ran]
            budget_after = stack.budget_figures(1)
        after = object_count(sim, target)
        items = run_items(stack, target, live["id"])
    graph = graph_figures(entries, target)
    ideal = graph["writes"] / WRITE_RATE
    budget_figures = {
        name: budget_after[name] - budget_before[name]
        for name in budget_after
        if name != "storage_round_trips_per_graph_request"
    }
    round_trips = budget_figures["budget_storage_round_trips"]
    budget_figures["storage_round_trips_per_graph_request"] = (
        round(round_trips / graph["graph_requests"], 4) if graph["graph_requests"] else None
    )
    figures: dict[str, Any] = {
        "objects_in_source": objects,
        "target_has_source_groups_and_apps": not bare,
        "backup_items": backup["counters"]["succeeded"],
        "backup_seconds": round(backup_seconds, 2),
        "preview_seconds": round(preview_seconds, 2),
        "preview_actions": (preview.get("summary") or {}).get("actions"),
        "preview_non_get_requests": preview_writes,
        "live_status": live["status"],
        "live_seconds": round(live_seconds, 2),
        "status_polls_unanswered_in_60s": len(STALLED_POLLS),
        "devhosts": devhosts,
        "budget": budget,
        "live_activities_per_devhost": activities,
        **budget_figures,
        **item_figures(items),
        "target_objects_added": after - before,
        **graph,
        "allowed_writes_per_second": WRITE_RATE,
        "ideal_seconds": round(ideal, 2),
        "wall_over_ideal": round(live_seconds / ideal, 3) if ideal else None,
        "latency_ms": f"{latency_ms} +/- 30 per HTTP request" if latency_ms >= 30 else f"{latency_ms}",
        "peak_rss_mib": {name: round(mib, 1) for name, mib in sampler.peak_mib.items()},
        "peak_rss_of": "each process with its descendants, over backup, preview and live restore",
        "cpu_seconds": {name: round(cpu, 1) for name, cpu in sampler.cpu_seconds.items()},
        "targets": TARGETS,
    }
    met = {
        "wall_over_ideal": figures["wall_over_ideal"] is not None
        and figures["wall_over_ideal"] <= TARGETS["wall_over_ideal_at_most"],
        "throttled_share": figures["throttled_share"] < TARGETS["throttled_share_below"],
        "items_failed": figures["items_failed"] == 0,
        "objects_added_equal_created": figures["target_objects_added"] == figures["items_created"],
    }
    figures["met"] = {**met, "all": all(met.values())}
    return figures


# --- output ------------------------------------------------------------------------------------------------


def print_table(f: dict[str, Any]) -> None:
    rss = f["peak_rss_mib"]
    rows = [
        ("objects in the source", str(f["objects_in_source"])),
        ("target holds the source's groups/apps", "yes" if f["target_has_source_groups_and_apps"] else "no"),
        ("backup (items, wall)", f"{f['backup_items']} items, {f['backup_seconds']:.1f} s"),
        (
            "preview (wall, non-GET requests)",
            f"{f['preview_seconds']:.1f} s, {f['preview_non_get_requests']}",
        ),
        ("preview actions", ", ".join(f"{k} {v}" for k, v in (f["preview_actions"] or {}).items())),
        ("live restore wall time", f"{f['live_seconds']:.1f} s ({f['live_status']})"),
        ("status polls unanswered in 60 s", str(f["status_polls_unanswered_in_60s"])),
        (
            "writes made (throttle-counted)",
            f"{f['writes']} "
            + "("
            + ", ".join(f"{k} {v}" for k, v in sorted(f["writes_by_method"].items()))
            + ")",
        ),
        ("allowed write rate", f"{f['allowed_writes_per_second']:.1f} / s (100 / 20 s per app per tenant)"),
        ("ideal (writes / rate)", f"{f['ideal_seconds']:.1f} s"),
        ("wall / ideal", f"{f['wall_over_ideal']:.3f} (target <= 1.25)"),
        ("busiest 20 s of writes", f"{f['busiest_write_window']} accepted"),
        (
            "Graph requests (all tenants)",
            f"{f['graph_requests']} ({f['graph_requests_target']} target, "
            f"{f['http_batch_calls']} $batch calls)",
        ),
        (
            "429s",
            f"{f['throttled_429']} ({100 * f['throttled_share']:.2f}% of requests; "
            f"{f['writes_throttled']} writes) (target < 5%)",
        ),
        ("items created / updated", f"{f['items_created']} / {f['items_updated']}"),
        (
            "items failed / skipped / conflict",
            f"{f['items_failed']} / {f['items_skipped']} / {f['items_conflict']}",
        ),
        ("objects the target gained", str(f["target_objects_added"])),
        ("devhosts (budget)", f"{f['devhosts']} ({f['budget']})"),
        ("live activities per devhost", " / ".join(str(n) for n in f["live_activities_per_devhost"])),
        ("budget bookings / conflicts", f"{f['budget_bookings']} / {f['budget_conflicts']}"),
        (
            "storage round trips / Graph request",
            f"{f['budget_storage_round_trips']} ({f['storage_round_trips_per_graph_request']})",
        ),
        (
            "peak RSS devhost / graphsim / Azurite",
            f"{rss['devhost']:.0f} / {rss['graphsim']:.0f} / {rss['azurite']:.0f} MiB"
            + (f" (devhost2 {rss['devhost2']:.0f})" if "devhost2" in rss else ""),
        ),
        (
            "CPU s devhost / graphsim / Azurite",
            " / ".join(f"{f['cpu_seconds'][name]:.0f}" for name in ("devhost", "graphsim", "azurite")),
        ),
        (
            "targets met",
            "yes"
            if f["met"]["all"]
            else "NO: " + ", ".join(k for k, v in f["met"].items() if not v and k != "all"),
        ),
    ]
    width = max(len(label) for label, _ in rows)
    for label, value in rows:
        print(f"{label:<{width}}  {value}")
    for reason, count in f["reasons_not_written"].items():
        print(f"{'':<{width}}  {count} x {reason}")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--objects", type=int, default=300, help="objects in the source tenant (300)")
    parser.add_argument("--latency-ms", type=int, default=100, help="graphsim latency per HTTP request (100)")
    parser.add_argument(
        "--bare-target", action="store_true", help="the target lacks the source's groups and apps"
    )
    parser.add_argument("--keep", type=Path, help="keep state and logs (devhost/devhost.log) in this folder")
    parser.add_argument("--devhosts", type=int, default=1, help="app processes sharing activities (1)")
    parser.add_argument("--budget", choices=("shared", "process"), default="shared",
                        help="TENANTATLAS_GRAPH_BUDGET of the app (shared)")
    options = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    figures = run_bench(
        options.objects,
        options.latency_ms,
        options.bare_target,
        options.keep,
        options.devhosts,
        options.budget,
    )
    print_table(figures)
    print(json.dumps({"bench": "restore_scale", **figures}))
    return 0 if figures["met"]["all"] else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
