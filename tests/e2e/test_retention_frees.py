"""Retention that frees, end to end on the devhost, graphsim and Azurite: a tenant backed up four
times with changes in between, pruned to its last two sets, holds exactly the versions and payloads
those two sets list (rows and payloads counted before and after), another tenant's data is untouched,
and a live restore from the older kept set still brings its content back. Then the Durable
histories of the runs that ended are purged by ID, sub-orchestrations included, once."""

from __future__ import annotations

import asyncio
import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests

from local.apptesting import CONFIGURATIONS, App
from local.graphsim.testing import GraphSim
from local.stack import GRAPHSIM_CREDENTIAL_REF
from shared.auth.memberships import MembershipStore
from shared.auth.roles import Role
from shared.intune.versions import all_versions
from shared.jobs.retention import RetentionRequest, run_retention
from shared.jobs.retention_history import instance_ids, purge_histories, runs_to_purge
from shared.jobs.retention_store import TableBackupSets
from shared.jobs.retention_sweep import freer
from shared.runs import RunStatus, RunTables
from shared.schedules import RetentionPolicy
from shared.storage import names, payload_store
from shared.tenants import TenantRegistry

ADMIN = "rita@msp.example"
"""Admin of the retention test's tenant: backs it up and restores it."""
_tenants = itertools.count(1)


def _register(app: App, name: str) -> str:
    tenant = app.graphsim.admin.create_tenant(name=name, seed="defaults")
    for sim_app in app.graphsim.apps:
        app.graphsim.admin.consent(tenant, sim_app.client_id, sim_app.roles)
    TenantRegistry(app.storage).add(tenant, name, "public", GRAPHSIM_CREDENTIAL_REF)
    MembershipStore(app.storage, TenantRegistry(app.storage)).grant(
        app.principal_key(ADMIN), tenant, Role.ADMIN, "e2e"
    )
    return tenant


def _run(app: App, started: requests.Response) -> dict[str, Any]:
    assert started.status_code == 202, started.text
    ended = app.wait_until_ended(started.headers["Location"], ADMIN, timeout=300)
    assert ended.status_code == 200, ended.text
    run: dict[str, Any] = ended.json()
    return run


def _backup(app: App, tenant: str) -> dict[str, Any]:
    run = _run(app, app.post(f"api/tenants/{tenant}/backups", ADMIN))
    assert run["status"] == "succeeded", run
    held = app.get(f"api/tenants/{tenant}/backups/{run['id']}", ADMIN, params={"includeItems": "true"})
    assert held.status_code == 200, held.text
    backup: dict[str, Any] = held.json()
    return backup


def _entries(backup: dict[str, Any]) -> list[dict[str, Any]]:
    return [entry for entries in backup["items"].values() for entry in entries]


def _stored(app: App, tenant: str) -> tuple[set[str], set[str], int]:
    """The tenant's version IDs, payload hashes and policy version rows."""
    table = app.storage.table(names.POLICY_VERSIONS)
    rows = sum(1 for _ in table.query_entities("PartitionKey eq @t", parameters={"t": tenant}))
    versions = {v.version_id for v in all_versions(app.storage, tenant)}
    return versions, {p.sha256 for p in payload_store(app.storage, tenant).payloads()}, rows


def _object(app: App, tenant: str, object_id: str) -> dict[str, Any]:
    state = app.graphsim.admin.tenant_state(tenant)["collections"][CONFIGURATIONS.lstrip("/")]
    found: dict[str, Any] = next(o for o in state if o["id"] == object_id)
    return found


@pytest.mark.slow
def test_retention_keeps_exactly_what_the_kept_sets_need_and_a_kept_set_still_restores(
    app: App, clean_graph: GraphSim
) -> None:
    number = next(_tenants)
    tenant, bystander = _register(app, f"Retention {number}"), _register(app, f"Retention bystander {number}")
    admin = clean_graph.admin
    changing = app.new_policy(tenant, description="first")
    app.new_policy(tenant)
    backups = [_backup(app, tenant)]
    for text in ("second", "third", "fourth"):
        admin.patch_object(tenant, CONFIGURATIONS, changing, {"description": text})
        if text == "third":
            app.new_policy(tenant, description="added before the third backup")
        backups.append(_backup(app, tenant))
    _backup(app, bystander)
    bystander_before = _stored(app, bystander)
    versions_before, payloads_before, rows_before = _stored(app, tenant)

    now = datetime.now(UTC) + timedelta(hours=2)
    request = RetentionRequest(tenant, "e2e", now.isoformat(), RetentionPolicy(keep_last=2))
    tables = RunTables.from_account(app.storage)
    run = run_retention(
        tables, TableBackupSets(app.storage), request, now, freer(app.storage, timedelta(hours=1))
    )

    kept = backups[2:]
    needed_versions = {e["versionId"] for b in kept for e in _entries(b)}
    needed_payloads = {e["contentSha256"] for b in kept for e in _entries(b)}
    versions_after, payloads_after, rows_after = _stored(app, tenant)
    assert run.status is RunStatus.SUCCEEDED and run.counters.succeeded == 2
    assert versions_after == needed_versions
    assert payloads_after == needed_payloads
    assert rows_after == rows_before - 2 * (len(versions_before) - len(versions_after))
    assert len(versions_after) < len(versions_before) and len(payloads_after) < len(payloads_before)
    assert run.summary is not None and run.summary["versionsDeleted"] == len(versions_before) - len(
        versions_after
    )
    assert _stored(app, bystander) == bystander_before
    print(
        f"\nretention figures: versions {len(versions_before)} -> {len(versions_after)}, "
        f"payloads {len(payloads_before)} -> {len(payloads_after)}, "
        f"version rows {rows_before} -> {rows_after}"
    )

    older = kept[0]
    preview = _run(
        app,
        app.post(
            f"api/tenants/{tenant}/restores",
            ADMIN,
            json={"mode": "preview", "source": {"backupId": older["id"], "tenantId": tenant}},
        ),
    )
    assert preview["status"] == "succeeded", preview
    live = _run(
        app,
        app.post(
            f"api/tenants/{tenant}/restores",
            ADMIN,
            json={"mode": "live", "previewRunId": preview["id"], "confirm": True},
        ),
    )
    assert live["status"] == "succeeded", live
    assert _object(app, tenant, changing)["description"] == "third"

    later = datetime.now(UTC) + timedelta(days=31)
    ended = [r for r in runs_to_purge(tables, later, timedelta(days=30)) if r.tenant_id == tenant]
    backup_runs = [r for r in ended if r.run_id in {b["id"] for b in backups}]
    assert len(backup_runs) == 4 and preview["id"] in {r.run_id for r in ended}

    def purge(instance_id: str) -> int:
        answer = requests.delete(
            app.devhost.url(f"runtime/webhooks/durabletask/instances/{instance_id}"),
            params={"code": app.devhost.keys.durable_extension},
            timeout=30,
        )
        assert answer.status_code in (200, 404), answer.text
        return int(answer.json()["instancesDeleted"]) if answer.status_code == 200 else 0

    async def purge_async(instance_id: str) -> int:
        return purge(instance_id)

    outcome = asyncio.run(purge_histories(tables, purge_async, ended, later))
    # Each backup is one orchestration (it lists and captures through activities); the preview and the live.
    assert outcome.runs == len(ended) and outcome.instances >= len(backup_runs) + 2
    for run_ in backup_runs:
        for instance_id in instance_ids(run_):
            status = requests.get(
                app.devhost.url(f"runtime/webhooks/durabletask/instances/{instance_id}"),
                params={"code": app.devhost.keys.durable_extension},
                timeout=30,
            )
            assert status.status_code == 404, (instance_id, status.status_code)
    assert not [r for r in runs_to_purge(tables, later, timedelta(days=30)) if r.tenant_id == tenant]
