"""The policy inventory: per tenant, every policy a backup has seen, its latest version, when it
last changed, and whether Graph still lists it.

Rows are upserted (merged) in batches by the chunk activities; `LastChangedAt` is written only
when the captured content changed, so a merge keeps the earlier value otherwise. A policy that an
earlier backup saw but the latest listing of its type did not is marked deleted when the backup ends.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from azure.data.tables import TableClient, UpdateMode

from shared.intune.versions import PolicyVersion
from shared.storage import (
    DEFAULT_PAGE_SIZE,
    Page,
    decode_key,
    encode_key,
    map_page,
    query_page,
    upsert_batched,
)

_SEP = "!"
_AFTER_SEP = chr(ord(_SEP) + 1)


@dataclass(frozen=True)
class InventoryEntry:
    tenant_id: str
    policy_type: str
    policy_id: str
    display_name: str
    latest_version_id: str
    content_sha256: str
    last_changed_at: datetime | None
    last_seen_at: datetime
    last_seen_run_id: str
    deleted_in_graph: bool
    deleted_detected_at: datetime | None

    def to_api(self) -> dict[str, Any]:
        return {
            "type": self.policy_type,
            "id": self.policy_id,
            "displayName": self.display_name,
            "latestVersionId": self.latest_version_id,
            "contentSha256": self.content_sha256,
            "lastChangedAt": _iso(self.last_changed_at),
            "lastSeenAt": self.last_seen_at.isoformat(),
            "lastSeenRunId": self.last_seen_run_id,
            "deletedInGraph": self.deleted_in_graph,
            "deletedDetectedAt": _iso(self.deleted_detected_at),
        }


def row_key(policy_type: str, policy_id: str) -> str:
    return f"{_part(policy_type)}{_SEP}{_part(policy_id)}"


def seen_rows(tenant_id: str, run_id: str, versions: Iterable[PolicyVersion]) -> list[dict[str, Any]]:
    """Merge rows for the versions a chunk recorded (not yet written)."""
    rows = []
    for version in versions:
        row: dict[str, Any] = {
            "PartitionKey": tenant_id,
            "RowKey": row_key(version.policy_type, version.policy_id),
            "PolicyType": version.policy_type,
            "PolicyId": version.policy_id,
            "DisplayName": version.display_name,
            "LatestVersionId": version.version_id,
            "ContentSha256": version.content_sha256,
            "LastSeenAt": version.captured_at,
            "LastSeenRunId": run_id,
            "DeletedInGraph": False,
        }
        if version.changed:
            row["LastChangedAt"] = version.captured_at
        rows.append(row)
    return rows


def record_seen(table: TableClient, rows: list[dict[str, Any]]) -> None:
    upsert_batched(table, rows, mode=UpdateMode.MERGE)


def mark_missing_deleted(
    table: TableClient, tenant_id: str, run_id: str, listed: Mapping[str, Collection[str]], now: datetime
) -> int:
    """Mark deleted every live row of a type this run listed whose object the listing no longer holds.

    The listing decides, not the capture: an object listed but not captured (a 403 or 5xx on its read,
    a type whose capture stopped) still exists in Graph. A type that could not be listed is not in
    `listed` and keeps its rows as they are. One query of the tenant's live rows not seen by this run
    (a query per type cost 43 sequential round trips)."""
    missing = [
        {"PartitionKey": tenant_id, "RowKey": entity["RowKey"], "DeletedInGraph": True,
         "DeletedDetectedAt": now}
        for entity in table.query_entities(
            "PartitionKey eq @tenant and DeletedInGraph eq false and LastSeenRunId ne @run",
            parameters={"tenant": tenant_id, "run": run_id},
            select=["RowKey", "PolicyType", "PolicyId"],
            results_per_page=1000,
        )
        if entity.get("PolicyType") in listed and entity.get("PolicyId") not in listed[entity["PolicyType"]]
    ]
    return upsert_batched(table, missing, mode=UpdateMode.MERGE)


def list_inventory(
    table: TableClient,
    tenant_id: str,
    *,
    policy_type: str | None = None,
    name_prefix: str | None = None,
    page_size: int = DEFAULT_PAGE_SIZE,
    continuation: str | None = None,
) -> Page[InventoryEntry]:
    """Inventory rows in type and ID order; the name filter is a case-sensitive prefix (Table Storage
    has no substring match)."""
    query = "PartitionKey eq @tenant"
    parameters: dict[str, Any] = {"tenant": tenant_id}
    if policy_type is not None:
        prefix = _part(policy_type) + _SEP
        query += " and RowKey gt @start and RowKey lt @end"
        parameters |= {"start": prefix, "end": prefix[:-1] + _AFTER_SEP}
    if name_prefix:
        query += " and DisplayName ge @name and DisplayName lt @nameEnd"
        parameters |= {"name": name_prefix, "nameEnd": name_prefix + "\uffff"}
    page = query_page(table, query, parameters, page_size=page_size, continuation=continuation)
    return map_page(page, _from_entity)


def _from_entity(entity: Mapping[str, Any]) -> InventoryEntry:
    type_part, _, id_part = str(entity["RowKey"]).partition(_SEP)
    return InventoryEntry(
        tenant_id=entity["PartitionKey"],
        policy_type=entity.get("PolicyType") or decode_key(type_part),
        policy_id=entity.get("PolicyId") or decode_key(id_part.replace("%21", "!")),
        display_name=entity.get("DisplayName") or "",
        latest_version_id=entity.get("LatestVersionId") or "",
        content_sha256=entity.get("ContentSha256") or "",
        last_changed_at=entity.get("LastChangedAt"),
        last_seen_at=entity["LastSeenAt"],
        last_seen_run_id=entity.get("LastSeenRunId") or "",
        deleted_in_graph=bool(entity.get("DeletedInGraph")),
        deleted_detected_at=entity.get("DeletedDetectedAt"),
    )


def _part(value: str) -> str:
    return encode_key(value).replace(_SEP, "%21")


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()
