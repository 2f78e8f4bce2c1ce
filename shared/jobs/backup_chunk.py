"""One chunk of a tenant backup: capture up to a few `$batch` rounds of one type's objects, record
their versions, item outcomes and inventory rows in batched writes, and return counts only.

Idempotent: versions are keyed by (run, policy), items by `type:policy`, inventory rows by type and
policy, and the chunk's manifest part by the IDs it covered. Objects Graph kept throttling are
handed back (their IDs) for the orchestrator to retry after a durable timer.
"""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

from shared.backups import inventory, staging
from shared.config.errors import ConfigurationError
from shared.graph import GraphError, GraphThrottled
from shared.graph.tenant_clients import graph_client_for
from shared.intune.capture import CapturedPolicy, CaptureFailure, capture_policies_batched
from shared.intune.versions import PolicyVersion, record_versions
from shared.jobs.messages import BackupChunk, ChunkOutcome
from shared.redact import redact
from shared.runs import ItemOutcome, ItemResult, record_items
from shared.services import Services
from shared.storage import names

STORAGE_THREADS = 8
"""Payload writes of one chunk in parallel; the version rows then go in one transaction
(`record_versions`), and the item, inventory and manifest-part writes side by side: a chunk's time
is mostly storage round trips, and an activity slot is held for all of them."""
DELETED_SINCE_LISTED = "Deleted in Graph after the backup listed it."


def capture_chunk(services: Services, chunk: BackupChunk) -> ChunkOutcome:
    """Counts of the chunk's outcomes; `throttled` lists the IDs to try again after `retry_after` s."""
    started_at = datetime.now(UTC)
    container = services.account.container(names.MANIFESTS_CONTAINER)
    with ThreadPoolExecutor(max_workers=1) as pool:
        tenant = pool.submit(services.tenants.require, chunk.tenant_id)
        listing = staging.get_listing(container, chunk.run_id, chunk.policy_type)
    if listing is None:
        raise LookupError(f"No staged listing of {chunk.policy_type} for run {chunk.run_id}; list it first.")
    ids = listing.ids[chunk.start : chunk.end]
    if chunk.retry:
        ids = [object_id for object_id in ids if object_id in set(chunk.retry)]
    try:
        client = graph_client_for(services.settings, tenant.result())
        results = capture_policies_batched(
            client, chunk.policy_type, ids, listed={i: listing.objects[i] for i in ids}
        )
    except GraphThrottled as exc:
        if not chunk.final_attempt:
            return ChunkOutcome(throttled=tuple(ids), retry_after=exc.retry_after)
        results = [CaptureFailure(chunk.policy_type, i, exc) for i in ids]
    except (GraphError, ConfigurationError) as exc:
        error = GraphError(str(exc))
        results = [CaptureFailure(chunk.policy_type, i, error) for i in ids]
    return _record(services, chunk, results, started_at)


def _record(
    services: Services,
    chunk: BackupChunk,
    results: list[CapturedPolicy | CaptureFailure],
    started_at: datetime,
) -> ChunkOutcome:
    throttled = [
        r
        for r in results
        if isinstance(r, CaptureFailure) and isinstance(r.error, GraphThrottled) and not chunk.final_attempt
    ]
    captured = [r for r in results if isinstance(r, CapturedPolicy)]
    versions = record_versions(
        services.account, chunk.tenant_id, captured, chunk.run_id, started_at, threads=STORAGE_THREADS
    )
    items = [_succeeded(chunk, version, started_at) for version in versions]
    items += [
        _failed(chunk, r, started_at) for r in results if isinstance(r, CaptureFailure) and r not in throttled
    ]
    with ThreadPoolExecutor(max_workers=3) as pool:
        writes: list[Future[Any]] = [
            pool.submit(record_items, services.runs, chunk.run_id, items),
            pool.submit(
                inventory.record_seen,
                services.account.table(names.INVENTORY),
                inventory.seen_rows(chunk.tenant_id, chunk.run_id, versions),
            ),
            pool.submit(
                staging.put_part,
                services.account.container(names.MANIFESTS_CONTAINER),
                chunk.run_id,
                chunk.policy_type,
                [r.policy_id for r in results],
                [_manifest_entry(version) for version in versions],
            ),
        ]
    for write in writes:
        write.result()
    return ChunkOutcome.of(
        [item.outcome for item in items],
        throttled=[r.policy_id for r in throttled],
        retry_after=max(
            (r.error.retry_after for r in throttled if isinstance(r.error, GraphThrottled)), default=0
        ),
    )


def _succeeded(chunk: BackupChunk, version: PolicyVersion, started_at: datetime) -> ItemResult:
    return ItemResult(
        item_id=f"{chunk.policy_type}:{version.policy_id}",
        item_type=chunk.policy_type,
        outcome=ItemOutcome.SUCCEEDED,
        policy_id=version.policy_id,
        display_name=version.display_name,
        version_id=version.version_id,
        started_at=started_at,
    )


def _failed(chunk: BackupChunk, failure: CaptureFailure, started_at: datetime) -> ItemResult:
    deleted = failure.not_found
    return ItemResult(
        item_id=f"{chunk.policy_type}:{failure.policy_id}",
        item_type=chunk.policy_type,
        outcome=ItemOutcome.SKIPPED if deleted else ItemOutcome.FAILED,
        policy_id=failure.policy_id,
        reason=DELETED_SINCE_LISTED if deleted else None,
        error=None if deleted else redact(str(failure.error)),
        started_at=started_at,
    )


def _manifest_entry(version: PolicyVersion) -> dict[str, Any]:
    return {
        "policyType": version.policy_type,
        "policyId": version.policy_id,
        "displayName": version.display_name,
        "versionId": version.version_id,
        "contentSha256": version.content_sha256,
    }
