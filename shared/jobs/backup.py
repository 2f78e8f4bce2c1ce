"""Tenant backup: the request side, the listing of each type, and the manifest at the end.

The orchestrator (`orchestrators/tenant_backup.py`) only moves small references: a type name,
an index range into the type's listing (a staging blob), and counts. Graph errors are outcomes
recorded on items, never activity failures, so one type that fails (403: the app lacks a
permission) leaves the rest of the backup intact and the run ends partially_succeeded.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

from shared.audit import AuditOutcome
from shared.auth.authorize import TenantAccess
from shared.backups import inventory, sets, staging
from shared.config.errors import ConfigurationError
from shared.graph import GraphError, GraphThrottled
from shared.graph.tenant_clients import graph_client_for
from shared.intune.catalog import TYPES, object_type
from shared.intune.listing import list_objects
from shared.intune.model import ObjectType
from shared.jobs.capture_snapshot import TenantDisabled
from shared.jobs.lifecycle import begin_run
from shared.redact import redact
from shared.runs import (
    ItemOutcome,
    ItemResult,
    Run,
    count_outcomes,
    derive_status,
    get_run,
    record_items,
    start_or_reuse,
)
from shared.schedules.due import SCHEDULED_BACKUP
from shared.services import Services
from shared.storage import names
from shared.tenants import TenantStatus

TENANT_BACKUP_ORCHESTRATOR = "tenant_backup"
"""Orchestrator function name; its input is `{"tenantId": str, "runId": str}`."""
RUN_TYPE = "backup.tenant"
BACKUP_RUN_TYPES = frozenset({RUN_TYPE, SCHEDULED_BACKUP})
"""Run types the backup orchestrator accepts: on demand, and one per schedule slot."""
REQUESTED_ACTION = RUN_TYPE + ".requested"
BACKUP_TYPES: tuple[str, ...] = tuple(entry.name for entry in TYPES)
"""Every catalog type is listed by a backup, capture-only ones included."""


def request_backup(services: Services, access: TenantAccess) -> tuple[Run, bool]:
    """The tenant's active on-demand backup (`reused`) or a new queued one; audited. No Graph call."""
    tenant = services.tenants.require(access.tenant_id)
    if tenant.status is not TenantStatus.ACTIVE:
        raise TenantDisabled(f"Tenant {tenant.tenant_id} is {tenant.status}; enable it first.")
    run, reused = start_or_reuse(
        services.runs, tenant.tenant_id, RUN_TYPE, [], access.principal.key, source={}
    )
    services.audit.record(
        tenant.tenant_id,
        REQUESTED_ACTION,
        access.principal.key,
        AuditOutcome.SUCCEEDED,
        run_id=run.run_id,
        details={"reused": reused},
    )
    return run, reused


def begin_backup(services: Services, tenant_id: str, run_id: str) -> dict[str, Any]:
    """begin_run, refusing a run that is not a backup (the orchestrator is started by name)."""
    run = get_run(services.runs, tenant_id, run_id)
    if run.run_type not in BACKUP_RUN_TYPES:
        return {
            "active": False,
            "status": run.status.value,
            "error": f"run type {run.run_type!r} is no backup",
        }
    return {**begin_run(services, tenant_id, run_id), "types": list(BACKUP_TYPES)}


def list_type(services: Services, tenant_id: str, run_id: str, policy_type: str) -> dict[str, Any]:
    """List one type (all pages, skip rules applied) into a staging blob; returns the count.

    A type that cannot be listed gets one failed item `{type}:*` with the reason, so the run
    shows which permission or type is missing; a throttled list is handed back for a timer.
    """
    entry = object_type(policy_type)
    try:
        client = graph_client_for(services.settings, services.tenants.require(tenant_id))
        objects = list_objects(client, entry)
    except GraphThrottled as exc:
        return {"policyType": policy_type, "throttled": True, "retryAfter": exc.retry_after}
    except (GraphError, ConfigurationError) as exc:
        error = redact(f"Listing {policy_type} failed: {exc}")
        record_items(
            services.runs,
            run_id,
            [ItemResult(f"{policy_type}:*", policy_type, ItemOutcome.FAILED, error=error)],
        )
        return {"policyType": policy_type, "count": 0, "error": error}
    kept = [obj for obj in objects if entry.skip is None or not entry.skip.applies_to(obj)]
    listing = staging.Listing(
        ids=[_object_id(entry, obj) for obj in kept],
        objects={_object_id(entry, obj): obj for obj in kept},
        skipped=len(objects) - len(kept),
    )
    staging.put_listing(services.account.container(names.MANIFESTS_CONTAINER), run_id, policy_type, listing)
    return {"policyType": policy_type, "count": len(listing.ids), "skipped": listing.skipped}


def _object_id(entry: ObjectType, obj: dict[str, Any]) -> str:
    return str(obj.get("id") or entry.name)


def finish_backup(services: Services, tenant_id: str, run_id: str, error: str | None) -> dict[str, Any]:
    """Before the run ends (so a caller polling the run finds its set): write the manifest and the
    backup set, with the status the run will get, mark policies no longer listed as deleted, drop the
    staging files. Safe to run again: every name is derived from the run."""
    container = services.account.container(names.MANIFESTS_CONTAINER)
    run = get_run(services.runs, tenant_id, run_id)
    listed = staging.listed_types(container, run_id)
    by_type: dict[str, dict[str, dict[str, Any]]] = {}
    for entry in staging.iter_parts(container, run_id):
        by_type.setdefault(entry["policyType"], {})[entry["policyId"]] = entry
    counts = _counts(services, run, listed)
    status = derive_status(count_outcomes(services.runs, run_id), fatal=error is not None).value
    manifest = {
        "tenantId": tenant_id,
        "runId": run_id,
        "createdAt": run.created_at.isoformat(),
        "types": {
            policy_type: sorted(entries.values(), key=lambda e: e["policyId"])
            for policy_type, entries in sorted(by_type.items())
        },
    }
    blob = sets.manifest_name(tenant_id, run_id)
    sets.put_manifest(container, blob, manifest)
    sets.save_backup_set(
        services.account.table(names.BACKUP_SETS),
        sets.BackupSet(run_id, tenant_id, run_id, status, run.created_at, blob, counts),
    )
    deleted = inventory.mark_missing_deleted(
        services.account.table(names.INVENTORY), tenant_id, run_id, listed, datetime.now(UTC)
    )
    staging.delete_staging(container, run_id)
    return {"backupId": run_id, "manifest": blob, "deletedInGraph": deleted}


def _counts(services: Services, run: Run, listed: list[str]) -> dict[str, dict[str, int]]:
    """Per type: listed (from the staging listing) and the outcomes recorded on the run's items."""
    counts = {
        policy_type: {"listed": 0, "succeeded": 0, "failed": 0, "skipped": 0} for policy_type in BACKUP_TYPES
    }
    container = services.account.container(names.MANIFESTS_CONTAINER)
    with ThreadPoolExecutor(max_workers=staging.PARALLEL_READS) as pool:
        listings = pool.map(lambda t: staging.get_listing(container, run.run_id, t), listed)
        for policy_type, listing in zip(listed, listings, strict=True):
            counts[policy_type]["listed"] = len(listing.ids) if listing else 0
    for entity in services.runs.items.query_entities(
        "PartitionKey eq @run", parameters={"run": run.run_id}, select=["ItemType", "Outcome"]
    ):
        counts.setdefault(entity["ItemType"], {"listed": 0, "succeeded": 0, "failed": 0, "skipped": 0})
        counts[entity["ItemType"]][entity["Outcome"]] += 1
    return counts
