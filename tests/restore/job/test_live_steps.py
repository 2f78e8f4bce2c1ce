"""The live steps against Azurite and graphsim, called as the engine calls activities: a chunk run
again (a retried activity) writes nothing twice and audits nothing twice, even when the first
attempt wrote to Graph but died before recording the item."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from local.graphsim.testing import GraphSim
from local.stack import GRAPHSIM_CREDENTIAL_REF, graphsim_settings
from shared.audit import AuditLog
from shared.auth.memberships import MembershipStore
from shared.config.settings import Settings
from shared.graph import ReadOnlyViolation
from shared.graph.batch import BatchRequest
from shared.graph.tenant_clients import graph_client_for
from shared.intune.capture import capture_policy
from shared.intune.versions import get_version, get_version_content, record_version, version_id_for
from shared.jobs import restore as job
from shared.jobs import restore_live as live_steps
from shared.restore import model
from shared.restore.journal import WriteJournal
from shared.restore.live import ALREADY_WRITTEN, INTERRUPTED_WRITE_COMPLETED
from shared.restore.model import Chunk
from shared.runs import ItemOutcome, RunTables, advance_part, finish, get_run, list_items, start_or_reuse
from shared.services import Services
from shared.storage import StorageAccount, StorageConfig, encode_key, names
from shared.tenants import TenantRegistry

CONFIGURATIONS = "deviceManagement/deviceConfigurations"


@pytest.fixture
def services(sim: GraphSim, storage: StorageAccount, storage_config: StorageConfig) -> Services:
    tenant = sim.tenants[0].id
    assert storage_config.connection_string is not None
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


def _versions(
    services: Services, sim: GraphSim, tenant: str, lengths: list[int], name: str
) -> list[dict[str, str]]:
    """Policies named `name` put into the tenant and captured as versions (the preview's source)."""
    client = graph_client_for(services.settings, services.tenants.require(tenant))
    versions = []
    for length in lengths:
        body = {
            "@odata.type": "#microsoft.graph.windows10GeneralConfiguration",
            "displayName": name,
            "passwordMinimumLength": length,
        }
        policy = sim.admin.put_object(tenant, CONFIGURATIONS, body)["id"]
        version = record_version(
            services.account,
            tenant,
            capture_policy(client, "deviceConfigurations", policy),
            run_id="capture",
            captured_at=datetime.now(UTC),
        )
        versions.append({"type": "deviceConfigurations", "policyId": policy, "versionId": version.version_id})
    return versions


def _preview(services: Services, tenant: str, versions: list[dict[str, str]]) -> str:
    """A finished preview of these versions, run step by step as the orchestrator would."""
    spec = {"tenantId": tenant, "versions": versions}
    preview, _ = start_or_reuse(
        services.runs, tenant, model.PREVIEW_RUN_TYPE, [versions[0]["policyId"]], "user:x", source=spec
    )
    begun = job.begin_restore(services, tenant, preview.run_id)
    for chunk in begun.chunks:
        job.plan_chunk(services, tenant, preview.run_id, Chunk(chunk.start, chunk.end), final_attempt=False)
    job.finish_preview(services, tenant, preview.run_id)
    return preview.run_id


def _live(services: Services, tenant: str, preview_id: str) -> tuple[str, Chunk]:
    """A live run begun and safety-backed-up; its one chunk."""
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
    assert live_steps.take_safety_backup(services, tenant, live.run_id).backup_id == live.run_id
    [[chunk]] = begun.groups
    return live.run_id, Chunk(chunk.start, chunk.end)


def _length(sim: GraphSim, tenant: str, policy: str) -> int:
    state = sim.admin.tenant_state(tenant)["collections"][CONFIGURATIONS]
    return int(next(o for o in state if o["id"] == policy)["passwordMinimumLength"])


def test_a_chunk_run_again_neither_writes_nor_audits_twice(services: Services, sim: GraphSim) -> None:
    tenant = sim.tenants[0].id
    [version] = _versions(services, sim, tenant, [12], "Steps")
    policy = version["policyId"]
    sim.admin.patch_object(tenant, CONFIGURATIONS, policy, {"passwordMinimumLength": 3})
    run_id, chunk = _live(services, tenant, _preview(services, tenant, [version]))
    live = get_run(services.runs, tenant, run_id)
    sim.admin.clear_log()

    first = live_steps.apply_chunk(services, tenant, live.run_id, chunk, final_attempt=False)
    again = live_steps.apply_chunk(services, tenant, live.run_id, chunk, final_attempt=False)

    assert first.succeeded == 1 and again.succeeded == 0
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
    third = live_steps.apply_chunk(services, tenant, live.run_id, chunk, final_attempt=False)

    assert third.succeeded == 1
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


def test_creates_of_one_name_make_one_object_each_even_when_every_answer_is_lost(
    services: Services, sim: GraphSim
) -> None:
    tenant = sim.tenants[0].id
    versions = _versions(services, sim, tenant, [6, 7, 8], "Twins")
    for version in versions:
        sim.admin.delete_object(tenant, CONFIGURATIONS, version["policyId"])
    preview_id = _preview(services, tenant, versions)
    run_id, chunk = _live(services, tenant, preview_id)
    sim.admin.set_faults(
        rules=[{"method": "POST", "path": r"/deviceConfigurations$", "action": "apply_then_drop"}]
    )

    first = live_steps.apply_chunk(services, tenant, run_id, chunk, final_attempt=False)
    sim.admin.set_faults(rules=[])
    again = live_steps.apply_chunk(services, tenant, run_id, chunk, final_attempt=False)

    assert (first.succeeded, again.succeeded) == (3, 0)
    twins = [
        o
        for o in sim.admin.tenant_state(tenant)["collections"][CONFIGURATIONS]
        if o["displayName"] == "Twins"
    ]
    assert sorted(o["passwordMinimumLength"] for o in twins) == [6, 7, 8]
    items = list_items(services.runs, get_run(services.runs, tenant, run_id)).items
    assert sorted(str((i.details or {})["targetId"]) for i in items) == sorted(o["id"] for o in twins)


def test_a_retried_create_of_a_shared_name_does_not_take_its_siblings_for_a_match(
    services: Services, sim: GraphSim
) -> None:
    tenant = sim.tenants[0].id
    versions = _versions(services, sim, tenant, [4, 5], "Pair")
    for version in versions:
        sim.admin.delete_object(tenant, CONFIGURATIONS, version["policyId"])
    preview_id = _preview(services, tenant, versions)
    run_id, chunk = _live(services, tenant, preview_id)
    refused = {
        "method": "POST",
        "path": r"/deviceConfigurations$",
        "occurrences": [2],
        "action": "status",
        "status": 400,
        "code": "BadRequest",
        "message": "Simulated validation failure",
    }
    sim.admin.set_faults(rules=[refused])
    first = live_steps.apply_chunk(services, tenant, run_id, chunk, final_attempt=False)
    sim.admin.set_faults(rules=[])
    assert (first.succeeded, first.failed) == (1, 1)

    retry, _ = start_or_reuse(
        services.runs,
        tenant,
        model.LIVE_RUN_TYPE,
        ["retry", run_id],
        "user:admin",
        source={"previewRunId": preview_id, "tenantId": tenant},
        parameters={"items": [i.item_id for i in _failed_items(services, tenant, run_id)], "retryOf": run_id},
    )
    begun = job.begin_restore(services, tenant, retry.run_id)
    live_steps.take_safety_backup(services, tenant, retry.run_id)
    [[retry_chunk]] = begun.groups
    again = live_steps.apply_chunk(
        services, tenant, retry.run_id, Chunk(retry_chunk.start, retry_chunk.end), final_attempt=False
    )

    assert (again.succeeded, again.conflict) == (1, 0)
    pair = [
        o for o in sim.admin.tenant_state(tenant)["collections"][CONFIGURATIONS] if o["displayName"] == "Pair"
    ]
    assert sorted(o["passwordMinimumLength"] for o in pair) == [4, 5]


def _failed_items(services: Services, tenant: str, run_id: str) -> list[Any]:
    run = get_run(services.runs, tenant, run_id)
    return list(list_items(services.runs, run, outcome=ItemOutcome.FAILED).items)


def test_an_override_that_overwrites_an_object_made_since_the_preview_keeps_its_state_first(
    services: Services, sim: GraphSim
) -> None:
    tenant = sim.tenants[0].id
    [version] = _versions(services, sim, tenant, [9], "Late arrival")
    sim.admin.delete_object(tenant, CONFIGURATIONS, version["policyId"])
    preview_id = _preview(services, tenant, [version])
    body = {
        "@odata.type": "#microsoft.graph.windows10GeneralConfiguration",
        "displayName": "Late arrival",
        "passwordMinimumLength": 2,
    }
    newcomer = sim.admin.put_object(tenant, CONFIGURATIONS, body)["id"]
    live, _ = start_or_reuse(
        services.runs,
        tenant,
        model.LIVE_RUN_TYPE,
        [preview_id],
        "user:admin",
        source={"previewRunId": preview_id, "tenantId": tenant},
        parameters={"items": None, "overrideConflicts": True},
    )
    begun = job.begin_restore(services, tenant, live.run_id)
    live_steps.take_safety_backup(services, tenant, live.run_id)

    [[first]] = begun.groups
    live_steps.apply_chunk(services, tenant, live.run_id, Chunk(first.start, first.end), final_attempt=False)

    assert _length(sim, tenant, newcomer) == 9
    [item] = list_items(services.runs, get_run(services.runs, tenant, live.run_id)).items
    assert item.outcome is ItemOutcome.SUCCEEDED and (item.details or {})["targetId"] == newcomer
    kept = get_version(
        services.account,
        tenant,
        version_id_for(live.run_id, "deviceConfigurations", newcomer),
        policy_type="deviceConfigurations",
        policy_id=newcomer,
    )
    assert kept.version_id in (item.details or {})["notes"][1]
    assert get_version_content(services.account, kept)["passwordMinimumLength"] == 2


def test_a_restore_declares_its_total_when_it_begins_and_ends_with_processed_equal_to_its_outcomes(
    services: Services, sim: GraphSim
) -> None:
    tenant = sim.tenants[0].id
    versions = _versions(services, sim, tenant, [7, 8, 9], "Counted")
    preview, _ = start_or_reuse(
        services.runs,
        tenant,
        model.PREVIEW_RUN_TYPE,
        ["counted"],
        "user:x",
        source={"tenantId": tenant, "versions": versions},
    )

    begun = job.begin_restore(services, tenant, preview.run_id)

    running = get_run(services.runs, tenant, preview.run_id)
    assert (running.counters.total, running.counters.processed) == (3, 0)
    [chunk] = begun.chunks
    answer = job.plan_chunk(
        services, tenant, preview.run_id, Chunk(chunk.start, chunk.end), final_attempt=False
    )
    advance_part(services.runs, tenant, preview.run_id, "plan", answer.succeeded)
    assert get_run(services.runs, tenant, preview.run_id).counters.processed == 3
    job.finish_preview(services, tenant, preview.run_id)
    ended = finish(services.runs, tenant, preview.run_id)
    assert (ended.counters.total, ended.counters.processed, ended.counters.succeeded) == (3, 3, 3)
    assert (ended.summary or {})["processedByPart"] == {"plan": 3}

    live_id, _ = _live(services, tenant, preview.run_id)
    live = get_run(services.runs, tenant, live_id)
    assert (live.counters.total, live.counters.processed) == (3, 0)


def test_the_source_client_refuses_writes_always_and_the_target_client_in_a_preview(
    services: Services, sim: GraphSim
) -> None:
    """The clients a preview plans with (and builds the ID map from) and the source client of a live
    run refuse every write before it leaves the process, inside `$batch` too."""
    tenant = sim.tenants[0].id
    body = {"@odata.type": "#microsoft.graph.windows10GeneralConfiguration", "displayName": "Never"}
    preview_target, preview_source = job.graph_clients(services, tenant, tenant, read_only=True)
    live_target, live_source = job.graph_clients(services, tenant, tenant, read_only=False)
    sim.admin.clear_log()

    for client in (preview_target, preview_source, live_source):
        with pytest.raises(ReadOnlyViolation):
            client.post(f"/{CONFIGURATIONS}", body)
        with pytest.raises(ReadOnlyViolation):
            client.batch([BatchRequest("1", "DELETE", f"/{CONFIGURATIONS}/x")])

    assert not sim.admin.log(tenant=tenant)
    assert not live_target.config.read_only


@pytest.mark.parametrize("journaled", [True, False])
def test_a_create_interrupted_halfway_is_completed_by_its_own_run_and_only_by_it(
    services: Services, sim: GraphSim, journaled: bool
) -> None:
    """The host died after the create reached Graph but before the rest of the write and the item's
    record: the next attempt finds a same-named object unlike the source. With this run's intent in the
    journal it is the run's own write, completed in place; without it, someone else made it: conflict."""
    tenant = sim.tenants[0].id
    [version] = _versions(services, sim, tenant, [14], f"Halfway {journaled}")
    sim.admin.delete_object(tenant, CONFIGURATIONS, version["policyId"])
    run_id, chunk = _live(services, tenant, _preview(services, tenant, [version]))
    half = {
        "@odata.type": "#microsoft.graph.windows10GeneralConfiguration",
        "displayName": f"Halfway {journaled}",
        "passwordMinimumLength": 1,
    }
    made = sim.admin.put_object(tenant, CONFIGURATIONS, half)["id"]
    if journaled:
        item_id = f"deviceConfigurations:{version['policyId']}"
        WriteJournal(services.account.table(names.RESTORE_JOURNAL)).intend(run_id, item_id, "create")

    answer = live_steps.apply_chunk(services, tenant, run_id, chunk, final_attempt=False)

    [item] = list_items(services.runs, get_run(services.runs, tenant, run_id)).items
    same_name = [
        o
        for o in sim.admin.tenant_state(tenant)["collections"][CONFIGURATIONS]
        if o["displayName"] == f"Halfway {journaled}"
    ]
    assert [o["id"] for o in same_name] == [made]
    if journaled:
        assert (answer.succeeded, item.outcome, item.action) == (1, ItemOutcome.SUCCEEDED, "create")
        assert (item.details or {})["notes"][0] == INTERRUPTED_WRITE_COMPLETED
        assert same_name[0]["passwordMinimumLength"] == 14
    else:
        assert (answer.conflict, item.outcome) == (1, ItemOutcome.CONFLICT)
        assert "created in the target since the preview" in (item.reason or "")
        assert same_name[0]["passwordMinimumLength"] == 1


def test_every_write_is_journaled_before_it_is_made(services: Services, sim: GraphSim) -> None:
    tenant = sim.tenants[0].id
    versions = _versions(services, sim, tenant, [3, 4], "Journaled")
    for version in versions:
        sim.admin.delete_object(tenant, CONFIGURATIONS, version["policyId"])
    run_id, chunk = _live(services, tenant, _preview(services, tenant, versions))
    live_steps.apply_chunk(services, tenant, run_id, chunk, final_attempt=False)
    journal = WriteJournal(services.account.table(names.RESTORE_JOURNAL))
    assert journal.intended(run_id) == {f"deviceConfigurations:{v['policyId']}" for v in versions}
