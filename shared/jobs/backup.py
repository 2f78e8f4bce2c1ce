"""Tenant backup: the request side, the listing of each type, and the manifest at the end.

The orchestrator (`orchestrators/tenant_backup.py`) only moves small references: a type name,
an index range into the type's listing (a staging blob), and counts. Graph errors are outcomes
recorded on items, never activity failures, so one type that fails (403: the app lacks a
permission) leaves the rest of the backup intact and the run ends partially_succeeded.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

from shared.audit import AuditOutcome
from shared.auth.authorize import TenantAccess
from shared.backups import inventory, sets, staging
from shared.config.errors import ConfigurationError
from shared.graph import GraphClient, GraphError, GraphThrottled
from shared.graph.tenant_clients import graph_client_for
from shared.intune.catalog import TYPES, object_type
from shared.intune.listing import list_objects
from shared.intune.model import ObjectType
from shared.jobs.backup_retry import RETRY_KIND, RETRY_OF, WHOLE_TYPE, failed_by_type, retry_of_run
from shared.jobs.capture_snapshot import TenantDisabled
from shared.jobs.lifecycle import begin_run
from shared.jobs.messages import BackupBegun, BackupFinished, TypeListing, TypeListings
from shared.notifications import run_link
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
    update_progress,
)
from shared.schedules.due import SCHEDULED_BACKUP
from shared.services import Services
from shared.storage import decode_key, names
from shared.tenants import TenantStatus, require_ready

RUN_TYPE = "backup.tenant"
BACKUP_RUN_TYPES = frozenset({RUN_TYPE, SCHEDULED_BACKUP})
"""Run types the backup orchestrator accepts: on demand, and one per schedule slot."""
REQUESTED_ACTION = RUN_TYPE + ".requested"
NOT_CAPTURED = "Listed but not captured: the capture of its type stopped before it; back the tenant up again."
GONE_SINCE_RETRIED_RUN = "Not in Graph any more: deleted since the backup this run retries."
BACKUP_TYPES: tuple[str, ...] = tuple(entry.name for entry in TYPES)
"""Every catalog type is listed by a backup, capture-only ones included."""
LISTING_THREADS = 16
"""Types listed side by side by one listing activity: a listing is one or a few Graph pages at Graph's
latency, and 43 of them one after the other would hold the activity for seconds."""


def request_backup(services: Services, access: TenantAccess) -> tuple[Run, bool]:
    """The tenant's active on-demand backup (`reused`) or a new queued one; audited. No Graph call."""
    return request_tenant_backup(services, access.tenant_id, access.principal.key)


def request_tenant_backup(services: Services, tenant_id: str, principal_key: str) -> tuple[Run, bool]:
    """`request_backup` for a caller whose role on the tenant was checked elsewhere (a fleet backup)."""
    tenant = services.tenants.require(tenant_id)
    if tenant.status is not TenantStatus.ACTIVE:
        raise TenantDisabled(f"Tenant {tenant.tenant_id} is {tenant.status}; enable it first.")
    require_ready(tenant, "backup")
    run, reused = start_or_reuse(
        services.runs, tenant.tenant_id, RUN_TYPE, [], principal_key, source={}
    )
    services.audit.record(
        tenant.tenant_id,
        REQUESTED_ACTION,
        principal_key,
        AuditOutcome.SUCCEEDED,
        run_id=run.run_id,
        details={"reused": reused},
    )
    return run, reused


def begin_backup(services: Services, tenant_id: str, run_id: str) -> BackupBegun:
    """begin_run, refusing a run that is not a backup (the orchestrator is started by name)."""
    run = get_run(services.runs, tenant_id, run_id)
    if run.run_type not in BACKUP_RUN_TYPES:
        return BackupBegun(
            active=False, status=run.status.value, error=f"run type {run.run_type!r} is no backup"
        )
    begun = begin_run(services, tenant_id, run_id)
    retried = retry_of_run(run)
    if retried is None or not begun.active:
        return BackupBegun(active=begun.active, status=begun.status, types=BACKUP_TYPES)
    failed = failed_by_type(services, retried)
    run = get_run(services.runs, tenant_id, run_id)
    links = {**(run.summary or {}).get("links", {}), RETRY_OF: run_link(tenant_id, retried)}
    summary = {**(run.summary or {}), RETRY_OF: retried, "links": links}
    update_progress(services.runs, tenant_id, run_id, summary=summary)
    return BackupBegun(
        active=True,
        status=begun.status,
        types=tuple(t for t in BACKUP_TYPES if t in failed),
        retry_of=retried,
    )


def list_types(
    services: Services,
    tenant_id: str,
    run_id: str,
    policy_types: Sequence[str],
    *,
    retry_of: str | None = None,
) -> TypeListings:
    """`list_type` for each type, LISTING_THREADS at once, with one read of the tenant and one client;
    the listings staged in one blob."""
    try:
        client: GraphClient | ConfigurationError = graph_client_for(
            services.settings, services.tenants.require(tenant_id)
        )
    except ConfigurationError as exc:
        client = exc

    def one(policy_type: str) -> tuple[TypeListing, staging.Listing | None]:
        return list_type(services, tenant_id, run_id, policy_type, retry_of=retry_of, client=client)

    with ThreadPoolExecutor(max_workers=LISTING_THREADS) as pool:
        answers = list(pool.map(one, policy_types))
    staged = {answer.policy_type: listing for answer, listing in answers if listing is not None}
    if staged:
        staging.put_listings(services.account.container(names.MANIFESTS_CONTAINER), run_id, staged)
    return TypeListings(listings=tuple(answer for answer, _ in answers))


def list_type(
    services: Services,
    tenant_id: str,
    run_id: str,
    policy_type: str,
    *,
    retry_of: str | None = None,
    client: GraphClient | ConfigurationError | None = None,
) -> tuple[TypeListing, staging.Listing | None]:
    """List one type (all pages, skip rules applied); returns the count and the listing to stage.

    A type that cannot be listed gets one failed item `{type}:*` with the reason, so the run
    shows which permission or type is missing; a throttled list is handed back for a timer.
    A retry (`retry_of`) stages only the IDs that failed in the run it retries (all of them when
    the type's listing failed there), and records a failed ID no longer listed as skipped.
    `client` (or the configuration error building it raised) saves reading the tenant again.
    """
    entry = object_type(policy_type)
    try:
        if isinstance(client, ConfigurationError):
            raise client
        if client is None:
            client = graph_client_for(services.settings, services.tenants.require(tenant_id))
        objects = list_objects(client, entry)
    except GraphThrottled as exc:
        return TypeListing(policy_type=policy_type, throttled=True, retry_after=exc.retry_after), None
    except (GraphError, ConfigurationError) as exc:
        error = redact(f"Listing {policy_type} failed: {exc}")
        record_items(
            services.runs,
            run_id,
            [ItemResult(f"{policy_type}:*", policy_type, ItemOutcome.FAILED, error=error)],
        )
        return TypeListing(policy_type=policy_type, error=error), None
    kept = [obj for obj in objects if entry.skip is None or not entry.skip.applies_to(obj)]
    skipped = len(objects) - len(kept)
    if retry_of is not None:
        kept = _only_failed(services, run_id, retry_of, entry, objects, kept)
    listing = staging.Listing(
        ids=[_object_id(entry, obj) for obj in kept],
        objects={_object_id(entry, obj): obj for obj in kept},
        skipped=skipped,
    )
    return TypeListing(policy_type=policy_type, count=len(listing.ids), skipped=listing.skipped), listing


def _only_failed(
    services: Services,
    run_id: str,
    retry_of: str,
    entry: ObjectType,
    objects: Sequence[dict[str, Any]],
    kept: list[dict[str, Any]],
) -> list[dict[str, Any]]:
    """The listed objects a retry captures again: those that failed in `retry_of`, or the whole type
    when its listing failed there. A failed ID Graph no longer lists is recorded skipped."""
    wanted = failed_by_type(services, retry_of, entry.name).get(entry.name, set())
    if WHOLE_TYPE in wanted:
        return kept
    listed = {_object_id(entry, obj) for obj in objects}
    record_items(
        services.runs,
        run_id,
        [
            ItemResult(
                f"{entry.name}:{policy_id}",
                entry.name,
                ItemOutcome.SKIPPED,
                policy_id=policy_id,
                reason=GONE_SINCE_RETRIED_RUN,
            )
            for policy_id in sorted(wanted - listed)
        ],
    )
    return [obj for obj in kept if _object_id(entry, obj) in wanted]


def _object_id(entry: ObjectType, obj: dict[str, Any]) -> str:
    return str(obj.get("id") or entry.name)


def finish_backup(
    services: Services, tenant_id: str, run_id: str, error: str | None, type_errors: Mapping[str, str]
) -> BackupFinished:
    """Before the run ends (so a caller polling the run finds its set): record as failed every listed
    object no chunk recorded (its type's capture stopped: `type_errors` says why), write the manifest
    and the backup set with the status the run will get, mark deleted what the listings no longer hold,
    drop the staging files. Safe to run again: every name is derived from the run, and a repeat after
    the staging files are gone finds the set it wrote.

    A retry's listings hold only the items it retried: its set is of kind `retry` (`retryOf`), and it
    marks nothing deleted in Graph (that takes a complete listing)."""
    container = services.account.container(names.MANIFESTS_CONTAINER)
    run = get_run(services.runs, tenant_id, run_id)
    retried = retry_of_run(run)
    staged = staging.get_listings(container, run_id)
    if not staged:
        with contextlib.suppress(sets.BackupSetNotFound):
            done = sets.get_backup_set(services.account.table(names.BACKUP_SETS), tenant_id, run_id)
            return BackupFinished(backup_id=run_id, manifest=done.manifest_blob, deleted_in_graph=0)
    listings = {policy_type: staged[policy_type].ids for policy_type in sorted(staged)}
    outcomes = _recorded(services, run_id)
    not_captured = [
        ItemResult(
            f"{policy_type}:{policy_id}",
            policy_type,
            ItemOutcome.FAILED,
            policy_id=policy_id,
            error=type_errors.get(policy_type, NOT_CAPTURED),
        )
        for policy_type, ids in listings.items()
        for policy_id in ids
        if f"{policy_type}:{policy_id}" not in outcomes
    ]
    record_items(services.runs, run_id, not_captured)
    outcomes.update({item.item_id: (item.item_type, item.outcome.value) for item in not_captured})
    by_type: dict[str, dict[str, dict[str, Any]]] = {}
    for entry in staging.iter_parts(container, run_id):
        by_type.setdefault(entry["policyType"], {})[entry["policyId"]] = entry
    status = derive_status(count_outcomes(services.runs, run_id), fatal=error is not None).value
    manifest = {
        "tenantId": tenant_id,
        "runId": run_id,
        "createdAt": run.created_at.isoformat(),
        **({"kind": RETRY_KIND, RETRY_OF: retried} if retried else {}),
        "types": {
            policy_type: sorted(entries.values(), key=lambda e: e["policyId"])
            for policy_type, entries in sorted(by_type.items())
        },
    }
    blob = sets.manifest_name(tenant_id, run_id)
    sets.put_manifest(container, blob, manifest)
    sets.save_backup_set(
        services.account.table(names.BACKUP_SETS),
        sets.BackupSet(
            run_id,
            tenant_id,
            run_id,
            status,
            run.created_at,
            blob,
            _counts(listings, outcomes),
            kind=RETRY_KIND if retried else sets.FULL_KIND,
            retry_of=retried,
        ),
    )
    deleted = (
        0
        if retried
        else inventory.mark_missing_deleted(
            services.account.table(names.INVENTORY), tenant_id, run_id, listings, datetime.now(UTC)
        )
    )
    staging.delete_staging(container, run_id)
    return BackupFinished(backup_id=run_id, manifest=blob, deleted_in_graph=deleted)


def _recorded(services: Services, run_id: str) -> dict[str, tuple[str, str]]:
    """Item ID -> (type, outcome) of every item the run recorded."""
    return {
        decode_key(entity["RowKey"]): (entity["ItemType"], entity["Outcome"])
        for entity in services.runs.items.query_entities(
            "PartitionKey eq @run", parameters={"run": run_id}, select=["RowKey", "ItemType", "Outcome"]
        )
    }


def _counts(
    listings: Mapping[str, Sequence[str]], outcomes: Mapping[str, tuple[str, str]]
) -> dict[str, dict[str, int]]:
    """Per type: listed (from the staging listing) and the outcomes recorded on the run's items."""
    counts = {
        policy_type: {"listed": 0, "succeeded": 0, "failed": 0, "skipped": 0} for policy_type in BACKUP_TYPES
    }
    for policy_type, ids in listings.items():
        counts[policy_type]["listed"] = len(ids)
    for item_type, outcome in outcomes.values():
        counts.setdefault(item_type, {"listed": 0, "succeeded": 0, "failed": 0, "skipped": 0})
        counts[item_type][outcome] += 1
    return counts
