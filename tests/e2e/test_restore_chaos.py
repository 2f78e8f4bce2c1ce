"""Chaos on a live restore: the host killed (kill -9) at three points of a restore of a 300-object tenant,
and every fifth write applied by Graph with its answer dropped. Item outcomes must stay true: every item
ends as the preview planned it (succeeded or skipped), never `conflict` or `failed` for a write this run
made, and the target holds each restored object once.

Its own devhost (one that can be killed) over the session's Azurite and graphsim; Graph's budgets and
the app's pacing are scaled up tenfold so the writes take seconds, not minutes."""

from __future__ import annotations

import secrets
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

from local.apptesting import App
from local.azurite import AzuriteEndpoints
from local.devhost.testing import REPO_ROOT, DevhostProcess, start_devhost
from local.graphsim.testing import GraphSim
from local.stack import GRAPHSIM_CREDENTIAL_REF, graphsim_settings
from local.tokens import DevSigningKey, demo_object_id, ensure_dev_signing_key, mint_token
from shared.auth.memberships import MembershipStore
from shared.auth.roles import Role
from shared.config.settings import DEV_AUDIENCE, DEV_AUTH_FOLDER, DEV_ISSUER
from shared.runs import RunTables
from shared.storage import StorageAccount, StorageConfig
from shared.tenants import TenantRegistry
from tests.polling import wait_until

pytestmark = pytest.mark.slow

ADMIN = "chaos-admin@msp.example"
OBJECTS = 300
DROP_OBJECTS = 150
"""The lost-answer test needs many writes of every kind, not the full 300 objects."""
SCALE = 10
"""Graph's throttle limits and the app's pacing, both times ten: 50 writes per second."""
REFERENCES = ("groups", "deviceAppManagement/mobileApps")
PLANNED_OUTCOME = {"skip": "skipped", "unchanged": "skipped", "conflict": "conflict"}
"""What a live restore must make of each planned action (the rest: succeeded)."""
KILL_AT = (0.15, 0.45, 0.75)
"""Shares of the live restore's items recorded when the host is killed."""


@dataclass
class Stack:
    sim: GraphSim
    storage: StorageAccount
    key: DevSigningKey
    state_dir: Path
    connection: str
    settings: dict[str, str]
    source: str
    target: str
    devhost: DevhostProcess | None = None

    def start(self) -> DevhostProcess:
        self.devhost = start_devhost(
            REPO_ROOT, self.state_dir / "devhost", self.connection, settings=self.settings
        )
        return self.devhost

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {mint_token(self.key, principal_name=ADMIN)}"}

    def post(self, path: str, body: dict[str, Any] | None = None) -> requests.Response:
        assert self.devhost is not None
        return requests.post(self.devhost.url(path), headers=self.headers(), json=body, timeout=60)

    def get(self, path: str, **params: str) -> requests.Response:
        assert self.devhost is not None
        return requests.get(self.devhost.url(path), headers=self.headers(), params=params, timeout=60)

    def run(self, tenant: str, run_id: str) -> dict[str, Any]:
        answer = self.get(f"api/tenants/{tenant}/runs/{run_id}")
        assert answer.status_code == 200, answer.text
        body: dict[str, Any] = answer.json()
        return body

    def to_end(self, tenant: str, started: requests.Response, timeout: float = 300) -> dict[str, Any]:
        assert started.status_code == 202, started.text
        run_id = started.json()["id"]
        def ended() -> dict[str, Any] | None:
            run = self.run(tenant, run_id)
            return None if run["status"] in ("queued", "running") else run

        return wait_until(
            ended,
            timeout=timeout,
            interval=0.5,
            message=f"run {run_id} to end",
        )

    def items(self, tenant: str, run_id: str) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        params = {"pageSize": "1000"}
        while True:
            page = self.get(f"api/tenants/{tenant}/runs/{run_id}/items", **params).json()
            found += page["items"]
            if not page.get("continuationToken"):
                return found
            params["continuationToken"] = page["continuationToken"]


@pytest.fixture
def stack(
    azurite: AzuriteEndpoints, graphsim: GraphSim, app: App, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[Stack]:
    """A source of OBJECTS objects (or the test's parameter), an empty target holding the source's
    groups and apps, both consented and registered; an admin of both; Graph and pacing scaled up."""
    objects = int(getattr(request, "param", OBJECTS))
    source = graphsim.admin.create_tenant(name="Chaos source", seed={"objects": objects, "seed": 11})
    target = graphsim.admin.create_tenant(name="Chaos target", seed="defaults")
    for tenant in (source, target):
        for sim_app in graphsim.apps:
            graphsim.admin.consent(tenant, sim_app.client_id, sim_app.roles)
    collections = graphsim.admin.tenant_state(source)["collections"]
    for collection in REFERENCES:
        for obj in collections.get(collection, []):
            graphsim.admin.put_object(target, collection, {k: v for k, v in obj.items() if k != "id"})
    prefix = "chaos" + secrets.token_hex(4)
    storage = StorageAccount(StorageConfig(connection_string=azurite.connection_string, name_prefix=prefix))
    registry = TenantRegistry(storage)
    memberships = MembershipStore(storage, registry)
    for tenant, name in ((source, "Chaos source"), (target, "Chaos target")):
        registry.add(tenant, name, "public", GRAPHSIM_CREDENTIAL_REF)
        memberships.grant(f"user:{demo_object_id(ADMIN)}", tenant, Role.ADMIN, "chaos")
    state_dir = tmp_path / "state"
    key = ensure_dev_signing_key(state_dir / DEV_AUTH_FOLDER)
    settings = {
        "TENANTATLAS_ENVIRONMENT": "local",
        "TENANTATLAS_AUTH_DEV_MODE": "true",
        "TENANTATLAS_AUTH_AUDIENCE": DEV_AUDIENCE,
        "TENANTATLAS_AUTH_ISSUERS": DEV_ISSUER,
        "TENANTATLAS_STATE_DIR": str(state_dir),
        "TENANTATLAS_STORAGE_PREFIX": prefix,
        "TENANTATLAS_GRAPH_PACING_SCALE": str(SCALE),
        **graphsim_settings(graphsim.state_dir / "credentials.json"),
    }
    graphsim.admin.set_faults(rules=[], rate_503=0, rate_504=0, rate_drop=0)
    graphsim.admin.set_throttle(enabled=True, scale=SCALE, window_seconds=20)
    chaos = Stack(graphsim, storage, key, state_dir, azurite.connection_string, settings, source, target)
    try:
        yield chaos
    finally:
        if chaos.devhost is not None:
            chaos.devhost.stop()
        graphsim.admin.set_faults(rules=[], rate_503=0, rate_504=0, rate_drop=0)
        graphsim.admin.set_throttle(enabled=True, scale=1.0, window_seconds=20)
        storage.close()


def _previewed(stack: Stack) -> dict[str, Any]:
    """The source backed up and a restore of it into the target previewed; the preview run."""
    backup = stack.to_end(stack.source, stack.post(f"api/tenants/{stack.source}/backups"))
    assert backup["status"] == "succeeded", backup
    body = {"mode": "preview", "source": {"backupId": backup["id"], "tenantId": stack.source}}
    preview = stack.to_end(stack.target, stack.post(f"api/tenants/{stack.target}/restores", body))
    assert preview["status"] in ("succeeded", "partially_succeeded"), preview
    return preview


def _object_count(stack: Stack) -> int:
    """Objects the target holds, but the groups and apps put there for the restore to map to."""
    collections = stack.sim.admin.tenant_state(stack.target)["collections"]
    return sum(
        len(objects) if isinstance(objects, list) else 1
        for name, objects in collections.items()
        if name not in REFERENCES and objects
    )


def _check_outcomes(
    stack: Stack, preview: dict[str, Any], live: dict[str, Any], before: int
) -> list[dict[str, Any]]:
    """Every item as the preview planned it, and each created object in the target once: the target
    gained exactly one object per create, each under its own ID."""
    planned = {item["itemId"]: item for item in stack.items(stack.target, preview["id"])}
    items = stack.items(stack.target, live["id"])
    assert len(items) == len(planned)
    expected = {
        item_id: PLANNED_OUTCOME.get(item.get("action") or "", "succeeded")
        for item_id, item in planned.items()
    }
    wrong = [
        (item["itemId"], item["outcome"], item.get("reason") or item.get("error"))
        for item in items
        if item["outcome"] != expected[item["itemId"]]
    ]
    assert wrong == [], "\n".join(map(str, wrong))
    assert live["status"] == "succeeded" or (
        live["status"] == "partially_succeeded" and live["counters"]["failed"] == 0
    ), live
    created = [item for item in items if item.get("action") == "create"]
    made = {str((item.get("details") or {}).get("targetId")) for item in created}
    assert len(made) == len(created) and "None" not in made
    assert _object_count(stack) - before == len(created)
    return created


def test_a_live_restore_killed_at_three_points_ends_with_every_item_as_planned_and_no_duplicate(
    stack: Stack,
) -> None:
    stack.start()
    preview = _previewed(stack)
    total = sum(1 for item in stack.items(stack.target, preview["id"]) if item.get("action") != "skip")
    before = _object_count(stack)
    started = stack.post(
        f"api/tenants/{stack.target}/restores",
        {"mode": "live", "previewRunId": preview["id"], "confirm": True},
    )
    assert started.status_code == 202, started.text
    live_id = started.json()["id"]
    items_table = RunTables.from_account(stack.storage).items

    def recorded() -> int:
        return sum(1 for _ in items_table.query_entities("PartitionKey eq @r", parameters={"r": live_id}))

    kills: list[int] = []
    for share in KILL_AT:
        wait_until(lambda: recorded() >= share * total, timeout=300, interval=0.05)  # noqa: B023
        assert stack.devhost is not None
        stack.devhost.kill()
        kills.append(recorded())
        stack.start()
    live = stack.to_end(stack.target, started)
    assert kills == sorted(kills) and kills[-1] < len(stack.items(stack.target, live_id))
    created = _check_outcomes(stack, preview, live, before)
    assert created


@pytest.mark.parametrize("stack", [DROP_OBJECTS], indirect=True)
def test_every_fifth_write_applied_with_its_answer_dropped_fails_no_item(stack: Stack) -> None:
    stack.start()
    preview = _previewed(stack)
    before = _object_count(stack)
    writes = r"^/(beta|v1\.0)/(?!\$batch)"
    stack.sim.admin.set_faults(
        rules=[
            {
                "method": method,
                "path": writes,
                "action": "apply_then_drop",
                "occurrences": list(range(5, 5000, 5)),
            }
            for method in ("POST", "PATCH", "PUT")
        ]
    )
    started = stack.post(
        f"api/tenants/{stack.target}/restores",
        {"mode": "live", "previewRunId": preview["id"], "confirm": True},
    )
    live = stack.to_end(stack.target, started)
    log = stack.sim.admin.log(limit=200_000)
    dropped = [e for e in log if str(e.get("fault")).startswith("apply_then_drop")]
    assert dropped, (live, Counter((e["method"], e.get("fault")) for e in log))
    assert _check_outcomes(stack, preview, live, before)
