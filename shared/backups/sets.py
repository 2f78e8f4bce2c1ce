"""Backup sets: one per finished backup run (PK tenant, RK the run ID, which is already an inverted
time key, so a partition query lists them newest first), each pointing at its manifest blob.

The manifest (`backups/{tenant}/{run}.json` in the manifests container) lists per type every
policy's ID, display name, version ID and content SHA-256: the snapshot blobs it references are
content-addressed and shared between the tenant's sets, so deleting a set deletes its manifest and row;
retention then frees the versions and payloads no kept set needs (`shared.jobs.retention_sweep`).
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from azure.core import MatchConditions
from azure.core.exceptions import ResourceModifiedError, ResourceNotFoundError
from azure.data.tables import TableClient, UpdateMode
from azure.storage.blob import ContainerClient

from shared.http.problems import ProblemError
from shared.runs.model import RUN_ID_PATTERN
from shared.storage import DEFAULT_PAGE_SIZE, Page, canonical_json, map_page, query_page


class BackupSetNotFound(ProblemError):
    status = 404
    code = "backup.not_found"
    title = "No such backup set in this tenant."


class BackupSetProtected(ProblemError):
    status = 409
    code = "backup.protected"
    title = "The backup set is protected or a restore refers to it; it cannot be deleted."


@dataclass(frozen=True)
class BackupSet:
    backup_id: str
    tenant_id: str
    run_id: str
    status: str
    created_at: datetime
    manifest_blob: str
    counts: dict[str, dict[str, int]]
    """Per type: listed, succeeded, failed, skipped."""
    protected: bool = False
    referenced_by: tuple[str, ...] = ()
    kind: str = "backup"
    """`backup` (every type listed, every listed object captured or failed); `safety`: the state a live
    restore was about to overwrite (the restore's run ID); `retry`: only the objects a retry of the
    backup `retry_of` captured again, its failed items (a partial set)."""
    retry_of: str | None = None

    @property
    def deletable(self) -> bool:
        return not self.protected and not self.referenced_by

    def to_api(self) -> dict[str, Any]:
        totals = {key: sum(c.get(key, 0) for c in self.counts.values()) for key in _COUNT_KEYS}
        return {
            "id": self.backup_id,
            "tenantId": self.tenant_id,
            "runId": self.run_id,
            "status": self.status,
            "createdAt": self.created_at.isoformat(),
            "totals": totals,
            "countsByType": self.counts,
            "protected": self.protected,
            "referencedBy": list(self.referenced_by),
            "kind": self.kind,
            "retryOf": self.retry_of,
        }


FULL_KIND = "backup"
"""The kind of a backup run's set (a retry's is `retry`, a live restore's safety backup `safety`)."""
_COUNT_KEYS = ("listed", "succeeded", "failed", "skipped")
_MAX_REFERENCE_ATTEMPTS = 10


class BackupSetBusy(ProblemError):
    status = 503
    code = "backup.busy"
    title = "The backup set is being changed by many requests at once; retry."


def manifest_name(tenant_id: str, run_id: str) -> str:
    return f"backups/{tenant_id}/{run_id}.json"


def put_manifest(container: ContainerClient, name: str, manifest: Mapping[str, Any]) -> None:
    container.upload_blob(name, canonical_json(manifest), overwrite=True)


def get_manifest(container: ContainerClient, backup: BackupSet) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(container.download_blob(backup.manifest_blob).readall())
    return data


def save_backup_set(table: TableClient, backup: BackupSet) -> None:
    """Upsert, keeping `Protected`/`ReferencedBy` that a restore may have set in between (merge)."""
    table.upsert_entity(
        {
            "PartitionKey": backup.tenant_id,
            "RowKey": backup.backup_id,
            "RunId": backup.run_id,
            "Status": backup.status,
            "CreatedAt": backup.created_at,
            "ManifestBlob": backup.manifest_blob,
            "Counts": json.dumps(backup.counts, sort_keys=True),
            "Kind": backup.kind,
            "RetryOf": backup.retry_of,
        },
        mode=UpdateMode.MERGE,
    )


def add_reference(table: TableClient, tenant_id: str, backup_id: str, run_id: str) -> BackupSet:
    """Mark the set as used by the restore run `run_id` (ETag-conditional merge, so two restores
    marking at once both stay listed); while referenced, neither retention nor a delete removes it."""
    for _ in range(_MAX_REFERENCE_ATTEMPTS):
        entity = _read(table, tenant_id, backup_id)
        backup = _from_entity(entity)
        if run_id in backup.referenced_by:
            return backup
        referenced = [*backup.referenced_by, run_id]
        try:
            table.update_entity(
                {"PartitionKey": tenant_id, "RowKey": backup_id, "ReferencedBy": json.dumps(referenced)},
                mode=UpdateMode.MERGE,
                etag=entity.metadata["etag"],
                match_condition=MatchConditions.IfNotModified,
            )
        except ResourceModifiedError:
            continue
        return _from_entity({**entity, "ReferencedBy": json.dumps(referenced)})
    raise BackupSetBusy(f"Backup set '{backup_id}' kept changing; retry the request.")


def get_backup_set(table: TableClient, tenant_id: str, backup_id: str) -> BackupSet:
    return _from_entity(_read(table, tenant_id, backup_id))


def list_backup_sets(
    table: TableClient, tenant_id: str, page_size: int = DEFAULT_PAGE_SIZE, continuation: str | None = None
) -> Page[BackupSet]:
    page = query_page(
        table,
        "PartitionKey eq @tenant",
        {"tenant": tenant_id},
        page_size=page_size,
        continuation=continuation,
    )
    return map_page(page, _from_entity)


def delete_backup_set(
    table: TableClient, manifests: ContainerClient, tenant_id: str, backup_id: str
) -> BackupSet:
    """Delete the set and its manifest unless it is protected or referenced (checked on this read;
    the delete is conditional on its ETag, so a restore marking it in between wins)."""
    entity = _read(table, tenant_id, backup_id)
    backup = _from_entity(entity)
    if not backup.deletable:
        raise BackupSetProtected(
            f"Backup set '{backup_id}' is protected or referenced by {list(backup.referenced_by)}; "
            "release it first."
        )
    table.delete_entity(
        tenant_id, backup_id, etag=entity.metadata["etag"], match_condition=MatchConditions.IfNotModified
    )
    with contextlib.suppress(ResourceNotFoundError):
        manifests.delete_blob(backup.manifest_blob)
    return backup


def _read(table: TableClient, tenant_id: str, backup_id: str) -> Any:
    if not RUN_ID_PATTERN.match(backup_id):
        # A set is named after its run; any other key (with / # ? or \\) must not reach Table Storage.
        raise BackupSetNotFound(f"No backup set '{backup_id[:80]}' in this tenant.")
    try:
        return table.get_entity(tenant_id, backup_id)
    except (ResourceNotFoundError, ValueError) as exc:
        raise BackupSetNotFound(f"No backup set '{backup_id}' in this tenant.") from exc


def _from_entity(entity: Mapping[str, Any]) -> BackupSet:
    return BackupSet(
        backup_id=entity["RowKey"],
        tenant_id=entity["PartitionKey"],
        run_id=entity["RunId"],
        status=entity["Status"],
        created_at=entity["CreatedAt"],
        manifest_blob=entity["ManifestBlob"],
        counts=json.loads(entity.get("Counts") or "{}"),
        protected=bool(entity.get("Protected")),
        referenced_by=tuple(json.loads(entity.get("ReferencedBy") or "[]")),
        kind=entity.get("Kind") or FULL_KIND,
        retry_of=entity.get("RetryOf") or None,
    )
