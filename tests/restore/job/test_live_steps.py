"""The live steps against Azurite and graphsim, called as the engine calls activities: a chunk run
again (a retried activity) writes nothing twice and audits nothing twice, even when the first
attempt wrote to Graph but died before recording the item."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from local.graphsim.testing import GraphSim
from local.stack import GRAPHSIM_CREDENTIAL_REF, graphsim_settings
from shared.audit import AuditLog
from shared.intune.capture import capture_policy
from shared.intune.versions import record_version
from shared.jobs import restore as job
from shared.restore import model
from shared.restore.live import ALREADY_WRITTEN
from shared.restore.model import Chunk
from shared.runs import ItemOutcome, RunTables, get_run, list_items, start_or_reuse
from shared.services import Services
from shared.settings import Settings
from shared.storage import StorageAccount, StorageConfig, encode_key, names
from shared.tenant_graph import graph_client_for
from shared.tenants import MembershipStore, TenantRegistry

CONFIGURATIONS = "deviceManagement/deviceConfigurations"


@pytest.fixture
def services(sim: GraphSim, storage: StorageAccount, storage_config: StorageConfig) -> Services:
    tenant = sim.tenants[0].id
    settings = Settings.from_env(
        {
            "AzureWebJobsStorage": storage_config.connection_string,
            "TENANTATLAS_AUTH_AUDIENCE": "api://tenantatlas",
            "TENANTATLAS_AUTH_TENANT_IDS": tenant,
            "TENANTATLAS_GRAPH_PACING": "false",
            **graphsim_settings(sim.state_dir / "credentials.json"),
        }
    )
    registry = TenantRegistry(storage)
    registry.add(tenant, "Restore steps", "public", GRAPHSIM_CREDENTIAL_REF)
    sim.admin.set_throttle(enabled=False)
    return Services(
        settings,
        storage,
        RunTables.from_account(storage),
        AuditLog(storage),
        registry,
        MembershipStore(storage, registry),
    )


def _drifted_preview(services: Services, sim: GraphSim, tenant: str) -> tuple[str, str]:
    """A policy captured as a version, then drifted; a finished preview that plans its update."""
    policy = sim.admin.put_object(
        tenant,
        CONFIGURATIONS,
        {
            "@odata.type": "#microsoft.graph.windows10GeneralConfiguration",
            "displayName": "Steps",
            "passwordMinimumLength": 12,
        },
    )["id"]
    client = graph_client_for(services.settings, services.tenants.require(tenant))
    version = record_version(
        services.account,
        tenant,
        capture_policy(client, "deviceConfigurations", policy),
        run_id="capture",
        captured_at=datetime.now(UTC),
    )
    sim.admin.patch_object(tenant, CONFIGURATIONS, policy, {"passwordMinimumLength": 3})
    spec = {
        "tenantId": tenant,
        "versions": [{"type": "deviceConfigurations", "policyId": policy, "versionId": version.version_id}],
    }
    preview, _ = start_or_reuse(services.runs, tenant, model.PREVIEW_RUN_TYPE, ["p"], "user:x", source=spec)
    begun = job.begin_restore(services, tenant, preview.run_id)
    for chunk in begun["chunks"]:
        job.plan_chunk(services, tenant, preview.run_id, Chunk.from_json(chunk), final_attempt=False)
    job.finish_preview(services, tenant, preview.run_id)
    return policy, preview.run_id


def _length(sim: GraphSim, tenant: str, policy: str) -> int:
    state = sim.admin.tenant_state(tenant)["collections"][CONFIGURATIONS]
    return int(next(o for o in state if o["id"] == policy)["passwordMinimumLength"])


def test_a_chunk_run_again_neither_writes_nor_audits_twice(services: Services, sim: GraphSim) -> None:
    tenant = sim.tenants[0].id
    policy, preview_id = _drifted_preview(services, sim, tenant)
    live, _ = start_or_reuse(
        services.runs,
        tenant,
        model.LIVE_RUN_TYPE,
        [preview_id],
        "user:admin",
        source={"previewRunId": preview_id, "tenantId": tenant},
        parameters={"items": None},
    )
    begun = job.begin_restore(services, tenant, live.run_id)
    assert job.take_safety_backup(services, tenant, live.run_id)["backupId"] == live.run_id
    chunk = Chunk.from_json(begun["groups"][0][0])
    sim.admin.clear_log()

    first = job.apply_chunk(services, tenant, live.run_id, chunk, final_attempt=False)
    again = job.apply_chunk(services, tenant, live.run_id, chunk, final_attempt=False)

    assert first["succeeded"] == 1 and again["succeeded"] == 0
    assert _length(sim, tenant, policy) == 12
    assert len(sim.admin.log(tenant=tenant, method="PATCH")) == 1
    writes = [
        e
        for e in services.audit.query(tenant, action=model.WRITE_AUDIT_ACTION).items
        if e.run_id == live.run_id
    ]
    assert len(writes) == 1

    # The first attempt wrote, then died before recording the item: the next attempt finds the
    # target already holding the source and records success without another write or audit event.
    services.runs.items.delete_entity(live.run_id, encode_key(f"deviceConfigurations:{policy}"))
    third = job.apply_chunk(services, tenant, live.run_id, chunk, final_attempt=False)

    assert third["succeeded"] == 1
    assert len(sim.admin.log(tenant=tenant, method="PATCH")) == 1
    writes = [
        e
        for e in services.audit.query(tenant, action=model.WRITE_AUDIT_ACTION).items
        if e.run_id == live.run_id
    ]
    assert len(writes) == 1
    items = list_items(services.runs, get_run(services.runs, tenant, live.run_id)).items
    assert [(i.item_id, i.outcome, i.reason) for i in items] == [
        (f"deviceConfigurations:{policy}", ItemOutcome.SUCCEEDED, ALREADY_WRITTEN)
    ]
    safety = services.account.table(names.BACKUP_SETS).get_entity(tenant, live.run_id)
    assert safety["Kind"] == "safety"
