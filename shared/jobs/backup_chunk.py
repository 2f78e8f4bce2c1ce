"""One chunk of a tenant backup: capture the objects of its spans (one or more types; a type's GETs go
20 per `$batch`, the batches side by side), record their versions, item outcomes and inventory rows in
batched writes, and return counts only.

Idempotent: versions are keyed by (run, policy), items by `type:policy`, inventory rows by type and
policy, and the chunk's manifest part by the objects it covered. Objects Graph kept throttling are
handed back (as `type:id` keys) for the orchestrator to retry after a durable timer.
"""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

from shared.backups import inventory, staging
from shared.config.errors import ConfigurationError
from shared.graph import GraphClient, GraphError, GraphThrottled
from shared.graph.batch import MAX_BATCH_SIZE
from shared.graph.tenant_clients import graph_client_for
from shared.intune.capture import CapturedPolicy, CaptureFailure, capture_policies_batched
from shared.intune.versions import PolicyVersion, record_versions
from shared.jobs.messages import BackupChunk, ChunkOutcome
from shared.redact import redact
from shared.runs import ItemOutcome, ItemResult, record_items
from shared.services import Services
from shared.storage import names

STORAGE_THREADS = 16
"""Storage requests of one chunk in flight at once: the previous-version queries, then the payload
transactions (and a large payload's blob), then the version transactions (`record_versions`); the
item, inventory and manifest-part writes go side by side after them. A chunk's time is mostly
storage round trips, and an activity slot is held for all of them."""
GRAPH_THREADS = 4
"""`$batch` calls of one chunk in flight at once (a chunk holds up to three per type it reads one by
one, and one per small type)."""
DELETED_SINCE_LISTED = "Deleted in Graph after the backup listed it."

Result = CapturedPolicy | CaptureFailure


def item_key(policy_type: str, policy_id: str) -> str:
    """How a chunk names an object in `retry` and `throttled`: IDs are unique within a type only."""
    return f"{policy_type}:{policy_id}"


def capture_chunk(services: Services, chunk: BackupChunk) -> ChunkOutcome:
    """Counts of the chunk's outcomes; `throttled` lists the objects to try again after `retry_after` s."""
    started_at = datetime.now(UTC)
    container = services.account.container(names.MANIFESTS_CONTAINER)
    with ThreadPoolExecutor(max_workers=1) as pool:
        tenant = pool.submit(services.tenants.require, chunk.tenant_id)
        staged = staging.get_listings(container, chunk.run_id)
    listings = {span.policy_type: staged.get(span.policy_type) for span in chunk.spans}
    wanted = set(chunk.retry)
    groups: list[tuple[str, list[str]]] = []
    for span in chunk.spans:
        listing = listings[span.policy_type]
        if listing is None:
            raise LookupError(
                f"No staged listing of {span.policy_type} for run {chunk.run_id}: list it first."
            )
        kind = span.policy_type
        ids = [i for i in listing.ids[span.start : span.end] if not wanted or item_key(kind, i) in wanted]
        groups += [(kind, ids[at : at + MAX_BATCH_SIZE]) for at in range(0, len(ids), MAX_BATCH_SIZE)]
    try:
        client: GraphClient | Exception = graph_client_for(services.settings, tenant.result())
    except ConfigurationError as exc:
        client = exc
    with ThreadPoolExecutor(max_workers=GRAPH_THREADS) as pool:
        captured = list(pool.map(lambda group: _capture(client, chunk, group[0], group[1], listings), groups))
    results = [result for group in captured for result in group]
    return _record(services, chunk, results, started_at)


def _capture(
    client: GraphClient | Exception,
    chunk: BackupChunk,
    policy_type: str,
    ids: list[str],
    listings: dict[str, staging.Listing | None],
) -> list[Result]:
    """One type's objects (at most one `$batch` round of first reads); Graph errors are outcomes."""
    listing = listings[policy_type]
    assert listing is not None
    try:
        if isinstance(client, Exception):
            raise client
        return capture_policies_batched(client, policy_type, ids, listed={i: listing.objects[i] for i in ids})
    except GraphThrottled as exc:
        return [CaptureFailure(policy_type, i, exc) for i in ids]
    except (GraphError, ConfigurationError) as exc:
        error = GraphError(str(exc))
        return [CaptureFailure(policy_type, i, error) for i in ids]


def _record(
    services: Services,
    chunk: BackupChunk,
    results: list[Result],
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
    items = [_succeeded(version, started_at) for version in versions]
    items += [_failed(r, started_at) for r in results if isinstance(r, CaptureFailure) and r not in throttled]
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
                [item_key(r.policy_type, r.policy_id) for r in results],
                [_manifest_entry(version) for version in versions],
            ),
        ]
    for write in writes:
        write.result()
    return ChunkOutcome.of(
        [item.outcome for item in items],
        throttled=[item_key(r.policy_type, r.policy_id) for r in throttled],
        retry_after=max(
            (r.error.retry_after for r in throttled if isinstance(r.error, GraphThrottled)), default=0
        ),
    )


def _succeeded(version: PolicyVersion, started_at: datetime) -> ItemResult:
    return ItemResult(
        item_id=item_key(version.policy_type, version.policy_id),
        item_type=version.policy_type,
        outcome=ItemOutcome.SUCCEEDED,
        policy_id=version.policy_id,
        display_name=version.display_name,
        version_id=version.version_id,
        started_at=started_at,
    )


def _failed(failure: CaptureFailure, started_at: datetime) -> ItemResult:
    deleted = failure.not_found
    return ItemResult(
        item_id=item_key(failure.policy_type, failure.policy_id),
        item_type=failure.policy_type,
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
