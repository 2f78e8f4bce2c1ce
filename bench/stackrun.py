"""The local stack a benchmark runs against, and what its processes cost.

`bench_stack` starts a fresh on-disk Azurite, graphsim (a profile, throttle limits scaled alike in
graphsim and in the app's pacing, latency per HTTP request) and one or more devhosts serving
`function_app.py`; registers tenants in the app's storage with the bench's principal as a member;
and stops every process it started (process groups) when the block ends. `RssSampler` follows the
peak RSS and the CPU seconds of each process with its descendants (the devhost runs activities on
its own thread pool; Azurite is a Node child of the bench).

With `devhosts=N` (N > 1) the app runs as N devhost processes on one task hub, started with
`--shared-activities`: the bench sends its requests to the first, whose orchestrations put their
activities on a queue all N take from, so N processes carry one tenant's Graph traffic as instances
of the app do on Azure (local/devhost/README.md). `budget` chooses how they pace Graph
(TENANTATLAS_GRAPH_BUDGET): `shared` (one budget in a table) or `process` (each alone).
"""

from __future__ import annotations

import contextlib
import re
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil

from local.azurite import AZURITE_JS, Azurite
from local.devhost.testing import REPO_ROOT, DevhostProcess, start_devhost
from local.graphsim.testing import GraphSim, GraphSimProcess
from local.stack import GRAPHSIM_CREDENTIAL_REF, graphsim_settings
from local.tokens import DevSigningKey, demo_object_id, ensure_dev_signing_key, mint_token
from shared.auth.memberships import MembershipStore
from shared.auth.roles import Role
from shared.config.settings import DEV_AUDIENCE, DEV_AUTH_FOLDER, DEV_ISSUER
from shared.graph.budget import COUNTERS
from shared.jobs.messages import Activity
from shared.storage import StorageAccount, StorageConfig, names
from shared.storage.metering import FLUSH_SECONDS, METER_SETTING, read_meters
from shared.tenants import TenantRegistry

STORAGE_PREFIX = "bench"
METER_FOLDER = "storage-meter"
"""Where the app's processes write their storage transaction counts (shared.storage.metering)."""
WINDOW_SECONDS = 20.0
SAMPLE_SECONDS = 0.2

Prepare = Callable[[GraphSim], Mapping[str, str]]
"""Called once graphsim is up, before the devhost starts: adds what the bench needs (tenants,
objects) and answers the tenants to register with the app, ID -> display name."""


# --- processes and memory ---------------------------------------------------------------------------------


class RssSampler:
    """Peak RSS (MiB) and CPU seconds of each named process tree, sampled in a thread."""

    def __init__(self, roots: dict[str, int]) -> None:
        self._roots = {name: psutil.Process(pid) for name, pid in roots.items()}
        self.peak_mib = dict.fromkeys(roots, 0.0)
        self.cpu_seconds = dict.fromkeys(roots, 0.0)
        self._cpu_start = {name: tree_cpu(root) for name, root in self._roots.items()}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="rss-sampler", daemon=True)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self._sample()
        for name, root in self._roots.items():
            self.cpu_seconds[name] = tree_cpu(root) - self._cpu_start[name]

    def _run(self) -> None:
        while not self._stop.is_set():
            self._sample()
            self._stop.wait(SAMPLE_SECONDS)

    def _sample(self) -> None:
        for name, root in self._roots.items():
            self.peak_mib[name] = max(self.peak_mib[name], tree_rss(root) / 2**20)


def _tree(root: psutil.Process) -> list[psutil.Process]:
    try:
        return [root, *root.children(recursive=True)]
    except psutil.Error:
        return []


def tree_cpu(root: psutil.Process) -> float:
    """User + system CPU seconds of a process and its live descendants."""
    total = 0.0
    for process in _tree(root):
        with contextlib.suppress(psutil.Error):  # exited between listing and reading
            times = process.cpu_times()
            total += times.user + times.system
    return total


def tree_rss(root: psutil.Process) -> int:
    total = 0
    for process in _tree(root):
        with contextlib.suppress(psutil.Error):
            total += int(process.memory_info().rss)
    return total


def azurite_pid() -> int:
    """The Azurite this bench started: the child of this process running Azurite's entry script."""
    for child in psutil.Process().children():
        with contextlib.suppress(psutil.Error):
            if str(AZURITE_JS) in child.cmdline():
                return int(child.pid)
    raise RuntimeError("The bench's Azurite process is gone.")


# --- the stack ---------------------------------------------------------------------------------------------


@dataclass
class BenchStack:
    graphsim: GraphSim
    devhosts: list[DevhostProcess]
    """The app's processes; requests go to the first."""
    key: DevSigningKey
    process_ids: dict[str, int]
    """devhost (devhost2, ...), graphsim and azurite -> PID, for RssSampler."""
    principal: str
    tenants: Mapping[str, str]
    """The tenants registered with the app, ID -> display name."""
    connection_string: str
    meter_folder: Path

    def storage_transactions(self) -> dict[str, dict[str, int]]:
        """Storage requests the app's processes sent so far, by client role (`app.table`, `engine.blob`,
        ...) and kind, as their meters last wrote them (waits out one flush first)."""
        threading.Event().wait(3 * FLUSH_SECONDS)
        return read_meters(self.meter_folder)

    @property
    def devhost(self) -> DevhostProcess:
        return self.devhosts[0]

    def payload_bytes(self) -> tuple[int, int, int]:
        """(payloads, canonical bytes, stored bytes) of the payload rows in the app's storage: the
        stored bytes are the compressed parts (shared.storage.content)."""
        config = StorageConfig(connection_string=self.connection_string, name_prefix=STORAGE_PREFIX)
        count = canonical = stored = 0
        with StorageAccount(config) as account:
            for row in account.table(names.PAYLOADS).list_entities():
                count += 1
                canonical += int(row["Size"])
                stored += sum(len(row[f"D{index}"]) for index in range(int(row["Parts"])))
        return count, canonical, stored

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {mint_token(self.key, principal_name=self.principal)}"}

    def activities_per_devhost(self) -> list[int]:
        """Activity invocations each devhost ran, from its log (one line per invocation)."""
        activities = {activity.value for activity in Activity}
        return [
            sum(name in activities for name in _INVOCATION.findall(devhost.log_text()))
            for devhost in self.devhosts
        ]

    def budget_figures(self, graph_requests: int) -> dict[str, Any]:
        """What the shared budget's rows counted: bookings, storage round trips, conflicts, fallbacks."""
        config = StorageConfig(connection_string=self.connection_string, name_prefix=STORAGE_PREFIX)
        totals = dict.fromkeys(COUNTERS, 0)
        with StorageAccount(config) as account:
            table = account.table(names.GRAPH_BUDGET)
            for entity in table.list_entities():
                for name in COUNTERS:
                    totals[name] += int(entity.get(name) or 0)
        round_trips = totals["reads"] + totals["updates"] + totals["conflicts"]
        return {
            "budget_bookings": totals["claims"],
            "budget_slots_booked": totals["slots"],
            "budget_slots_given_back": totals["given_back"],
            "budget_storage_round_trips": round_trips,
            "budget_conflicts": totals["conflicts"],
            "budget_fallbacks": totals["fallbacks"],
            "budget_429_reports": totals["throttles"],
            "storage_round_trips_per_graph_request": round(round_trips / graph_requests, 4)
            if graph_requests
            else None,
        }


_INVOCATION = re.compile(r"Executed 'Functions\.(\w+)' \((?:Succeeded|Failed), Id=")


def all_tenants(sim: GraphSim) -> Mapping[str, str]:
    """The default `prepare`: register every tenant of the graphsim profile."""
    return {tenant.id: tenant.name for tenant in sim.tenants}


@contextlib.contextmanager
def bench_stack(
    workdir: Path,
    *,
    principal: str,
    role: Role,
    tenants: int,
    objects: int,
    profile: str = "sized",
    latency: Mapping[str, int] | None = None,
    throttle_scale: float = 1.0,
    prepare: Prepare = all_tenants,
    app_dir: Path = REPO_ROOT,
    devhosts: int = 1,
    budget: str = "shared",
) -> Iterator[BenchStack]:
    """Azurite, graphsim and `devhosts` devhosts (serving `app_dir`), each stopped when the block ends.

    graphsim throttles at Graph's limits times `throttle_scale` in windows of WINDOW_SECONDS, and the
    app paces at the same scale against its `budget`; `principal` gets `role` on every tenant
    `prepare` answers.
    """
    config: dict[str, Any] = {
        "throttle": {"enabled": True, "scale": throttle_scale, "window_seconds": WINDOW_SECONDS},
    }
    if latency is not None:
        config["latency"] = dict(latency)
    azurite = Azurite(workdir / "azurite")
    sim_process = GraphSimProcess(
        state_dir=workdir / "graphsim",
        profile=profile,
        tenants=tenants,
        objects=objects,
        config=config,
        startup_timeout=300.0,
    )
    started: list[DevhostProcess] = []
    try:
        endpoints = azurite.start()
        sim = sim_process.start()
        registered = dict(prepare(sim))
        _register_tenants(endpoints.connection_string, registered, principal, role)
        key = ensure_dev_signing_key(workdir / DEV_AUTH_FOLDER)
        settings = {
            "TENANTATLAS_ENVIRONMENT": "local",
            "TENANTATLAS_AUTH_DEV_MODE": "true",
            "TENANTATLAS_AUTH_AUDIENCE": DEV_AUDIENCE,
            "TENANTATLAS_AUTH_ISSUERS": DEV_ISSUER,
            "TENANTATLAS_STATE_DIR": str(workdir),
            "TENANTATLAS_STORAGE_PREFIX": STORAGE_PREFIX,
            "TENANTATLAS_GRAPH_PACING_SCALE": str(throttle_scale),
            "TENANTATLAS_GRAPH_BUDGET": budget,
            METER_SETTING: str(workdir / METER_FOLDER),
            **graphsim_settings(sim.state_dir / "credentials.json"),
        }
        for number in range(devhosts):
            started.append(
                start_devhost(
                    app_dir,
                    workdir / ("devhost" if number == 0 else f"devhost{number + 1}"),
                    endpoints.connection_string,
                    settings=settings,
                    shared_activities=devhosts > 1,
                )
            )
        assert sim_process.process is not None
        process_ids = {
            ("devhost" if number == 0 else f"devhost{number + 1}"): devhost.process.pid
            for number, devhost in enumerate(started)
        }
        yield BenchStack(
            sim,
            started,
            key,
            {**process_ids, "graphsim": sim_process.process.pid, "azurite": azurite_pid()},
            principal,
            registered,
            endpoints.connection_string,
            workdir / METER_FOLDER,
        )
    finally:
        for devhost in started:
            devhost.stop()
        sim_process.stop()
        azurite.stop()


def _register_tenants(connection_string: str, tenants: Mapping[str, str], principal: str, role: Role) -> None:
    """The tenants registered with the app (credential `graphsim`), `principal` with `role` on each."""
    config = StorageConfig(connection_string=connection_string, name_prefix=STORAGE_PREFIX)
    with StorageAccount(config) as account:
        registry = TenantRegistry(account)
        memberships = MembershipStore(account, registry)
        for tenant_id, name in tenants.items():
            registry.add(tenant_id, name, "public", GRAPHSIM_CREDENTIAL_REF)
            memberships.grant(f"user:{demo_object_id(principal)}", tenant_id, role, "bench")
