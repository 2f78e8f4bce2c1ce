"""Retention that frees: after backup sets are pruned, the versions and payloads nothing refers to
any more are deleted, so storage holds what the kept sets need and little else.

What is kept (a version row, and the payload blob of its content hash), for one tenant:

1. every version a remaining backup set's manifest lists (backups and live restores' safety sets,
   whatever their status);
2. the newest version of every policy (its latest pointer, and the inventory's latest version): the
   next backup compares with it, and the version routes show it;
3. every version a restore refers to (the staged source of a preview, the plan, a live restore's
   selection, in this tenant or another that restores from it);
4. every version captured, and every payload written, less than `grace` ago: on-demand snapshots
   (no set lists them), a running backup's versions (its manifest is written when it ends) and a
   restore being begun.

Everything else of the tenant is deleted: version rows (timeline, then index) and payload blobs whose
hash no kept version or reference names. A kept version's `previousVersionId` may then name a version
that is gone (its diff answers `version.not_found`).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from azure.core.exceptions import ResourceNotFoundError

from shared.backups.sets import list_backup_sets
from shared.intune.versions import PolicyVersion, all_versions, delete_version, latest_version_ids
from shared.storage import MAX_PAGE_SIZE, StorageAccount, StoredPayload, names, payload_store
from shared.storage.content import delete_legacy, legacy_payloads

log = logging.getLogger(__name__)

RESTORES_PREFIX = "restores/"
_RESTORE_BLOBS = ("/source.json", "/plan.json", "/selection.json")


@dataclass
class References:
    """Versions and content hashes something kept refers to."""

    version_ids: set[str] = field(default_factory=set)
    hashes: set[str] = field(default_factory=set)

    def add(self, entry: Mapping[str, Any]) -> None:
        """One manifest or restore source entry (`versionId`, `contentSha256`)."""
        if entry.get("versionId"):
            self.version_ids.add(str(entry["versionId"]))
        if entry.get("contentSha256"):
            self.hashes.add(str(entry["contentSha256"]))


@dataclass(frozen=True)
class SweepPlan:
    """What one sweep of a tenant deletes, out of how many."""

    versions: list[PolicyVersion]
    payloads: list[StoredPayload]
    versions_before: int
    payloads_before: int


@dataclass(frozen=True)
class SweepResult:
    tenant_id: str
    versions_before: int
    versions_deleted: int
    payloads_before: int
    payloads_deleted: int

    def to_summary(self) -> dict[str, int]:
        return {
            "versionsBefore": self.versions_before,
            "versionsDeleted": self.versions_deleted,
            "payloadsBefore": self.payloads_before,
            "payloadsDeleted": self.payloads_deleted,
        }


def plan_sweep(
    versions: Iterable[PolicyVersion],
    payloads: Iterable[StoredPayload],
    references: References,
    newest: set[str],
    now: datetime,
    grace: timedelta,
) -> SweepPlan:
    """The versions and payloads of one tenant that no rule keeps (see the module docstring)."""
    cutoff = now - grace
    versions = list(versions)
    payloads = list(payloads)
    kept = [
        v
        for v in versions
        if v.version_id in references.version_ids or v.version_id in newest or v.captured_at > cutoff
    ]
    kept_ids = {v.version_id for v in kept}
    kept_hashes = references.hashes | {v.content_sha256 for v in kept}
    return SweepPlan(
        versions=[v for v in versions if v.version_id not in kept_ids],
        payloads=[p for p in payloads if p.sha256 not in kept_hashes and p.last_modified <= cutoff],
        versions_before=len(versions),
        payloads_before=len(payloads),
    )


def backup_set_references(account: StorageAccount, tenant_id: str) -> References:
    """Versions and hashes listed by the manifests of the tenant's remaining backup sets."""
    table = account.table(names.BACKUP_SETS)
    manifests = account.container(names.MANIFESTS_CONTAINER)
    references = References()
    continuation: str | None = None
    while True:
        page = list_backup_sets(table, tenant_id, MAX_PAGE_SIZE, continuation)
        for backup in page.items:
            manifest = _read_json(manifests, backup.manifest_blob)
            for entries in (manifest or {}).get("types", {}).values():
                for entry in entries:
                    references.add(entry)
        continuation = page.continuation
        if continuation is None:
            return references


def inventory_latest(account: StorageAccount, tenant_id: str) -> set[str]:
    """The latest version of every inventory row of the tenant, deleted in Graph or not."""
    entities = account.table(names.INVENTORY).query_entities(
        "PartitionKey eq @tenant",
        parameters={"tenant": tenant_id},
        select=["LatestVersionId"],
        results_per_page=1000,
    )
    return {str(e["LatestVersionId"]) for e in entities if e.get("LatestVersionId")}


def restore_references(account: StorageAccount) -> dict[str, References]:
    """Per source tenant, the versions and hashes every restore of every tenant refers to."""
    manifests = account.container(names.MANIFESTS_CONTAINER)
    by_tenant: dict[str, References] = {}
    for blob in manifests.list_blobs(name_starts_with=RESTORES_PREFIX):
        name = str(blob.name)
        if not name.endswith(_RESTORE_BLOBS):
            continue
        data = _read_json(manifests, name)
        if not data or not data.get("sourceTenantId"):
            continue
        references = by_tenant.setdefault(str(data["sourceTenantId"]), References())
        for item in data.get("items") or ():
            references.add(item.get("source", item))
    return by_tenant


def sweep_tenant(
    account: StorageAccount,
    tenant_id: str,
    now: datetime,
    grace: timedelta,
    restores: Mapping[str, References] | None = None,
) -> SweepResult:
    """Delete the tenant's versions and payloads no rule keeps; run after its sets were pruned.

    Idempotent: a sweep interrupted half-way is finished by the next (an index row whose timeline row
    is gone is still listed and deleted).
    """
    if restores is None:
        restores = restore_references(account)
    references = backup_set_references(account, tenant_id)
    from_restores = restores.get(tenant_id, References())
    references.version_ids |= from_restores.version_ids | inventory_latest(account, tenant_id)
    references.hashes |= from_restores.hashes
    store = payload_store(account, tenant_id)
    plan = plan_sweep(
        all_versions(account, tenant_id),
        store.payloads(),
        references,
        latest_version_ids(account, tenant_id),
        now,
        grace,
    )
    for version in plan.versions:
        delete_version(account, version)
    deleted = sum(1 for payload in plan.payloads if store.delete(payload))
    result = SweepResult(tenant_id, plan.versions_before, len(plan.versions), plan.payloads_before, deleted)
    log.info("Swept tenant %s: %s", tenant_id, result.to_summary())
    return result


def migrate_legacy_payloads(account: StorageAccount, tenant_ids: Iterable[str]) -> int:
    """Copy every payload still at its legacy shared name under the prefix of each tenant whose
    versions name it, then drop the shared name; the number of shared names dropped.

    One-shot and idempotent: the copies are conditional puts, a repeat finds no legacy names left.
    Reads do not wait for it (a read that misses falls back to the shared name and copies it).
    """
    container = account.container(names.SNAPSHOTS_CONTAINER)
    legacy = set(legacy_payloads(container))
    if not legacy:
        return 0
    for tenant_id in tenant_ids:
        store = payload_store(account, tenant_id)
        for digest in {v.content_sha256 for v in all_versions(account, tenant_id)} & legacy:
            store.adopt_legacy(digest)
    for digest in legacy:
        delete_legacy(container, digest)
    log.info("Migrated %d shared payload(s) under their tenants' prefixes", len(legacy))
    return len(legacy)


def version_tenants(account: StorageAccount) -> set[str]:
    """Every tenant that has versions (their latest markers and pointers are in their partitions)."""
    entities = account.table(names.POLICY_VERSIONS).query_entities(
        "RowKey gt @start and RowKey lt @end",
        parameters={"start": "v!", "end": 'v"'},
        select=["PartitionKey"],
        results_per_page=1000,
    )
    return {str(e["PartitionKey"]) for e in entities}


def _read_json(container: Any, name: str) -> Any:
    try:
        return json.loads(container.download_blob(name).readall())
    except ResourceNotFoundError:
        return None


def freer(account: StorageAccount, grace: timedelta) -> Any:
    """A `shared.jobs.retention.Freer` sweeping the tenant after its sets were pruned."""

    def free(tenant_id: str, now: datetime) -> dict[str, int]:
        return sweep_tenant(account, tenant_id, now, grace).to_summary()

    return free
