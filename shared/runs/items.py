"""Per-item outcomes of a run, keyed by a stable item ID so a retried activity overwrites, never adds.

Items are written in batches (one transaction per 100), and the run's counters are computed
from them when the run finishes, so no item write touches the run record.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from azure.data.tables import UpdateMode

from shared.redact import redact
from shared.runs.model import Counters, Run, dump_json, load_json
from shared.runs.tables import RunTables
from shared.storage import (
    DEFAULT_PAGE_SIZE,
    Page,
    decode_key,
    encode_key,
    map_page,
    query_page,
    upsert_batched,
)

_MAX_ERROR_CHARS = 8_000


class ItemOutcome(StrEnum):
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    SKIPPED = "skipped"
    CONFLICT = "conflict"
    """Not written: the target changed since it was planned (a restore), or its match is ambiguous."""


@dataclass(frozen=True)
class ItemResult:
    """What happened to one item. `item_id` must be stable across retries (e.g. type + policy ID)."""

    item_id: str
    item_type: str
    outcome: ItemOutcome
    policy_id: str | None = None
    display_name: str | None = None
    reason: str | None = None
    error: str | None = None
    version_id: str | None = None
    started_at: datetime | None = None
    ended_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    action: str | None = None
    """What the item's step planned or did (a restore: create, update, unchanged, skip, conflict)."""
    details: dict[str, Any] | None = None
    """Step-specific JSON (a restore: target ID, content hashes, a bounded diff, notes)."""

    def to_api(self) -> dict[str, Any]:
        return {
            "itemId": self.item_id,
            "type": self.item_type,
            "policyId": self.policy_id,
            "displayName": self.display_name,
            "outcome": self.outcome.value,
            "reason": self.reason,
            "error": self.error,
            "versionId": self.version_id,
            "startedAt": None if self.started_at is None else self.started_at.isoformat(),
            "endedAt": self.ended_at.isoformat(),
            "action": self.action,
            "details": self.details,
        }


def redact_error(error: str | None) -> str | None:
    """Every error stored on a run or item passes the one redaction function, then is bounded in size."""
    if error is None:
        return None
    return redact(error)[:_MAX_ERROR_CHARS]


def _to_entity(run_id: str, item: ItemResult) -> dict[str, Any]:
    return {
        "PartitionKey": run_id,
        "RowKey": encode_key(item.item_id),
        "ItemType": item.item_type,
        "PolicyId": item.policy_id,
        "DisplayName": item.display_name,
        "Outcome": item.outcome.value,
        "Reason": item.reason,
        "Error": redact_error(item.error),
        "VersionId": item.version_id,
        "StartedAt": item.started_at,
        "EndedAt": item.ended_at,
        "Action": item.action,
        "Details": dump_json(item.details),
    }


def _from_entity(entity: Any) -> ItemResult:
    return ItemResult(
        item_id=decode_key(entity["RowKey"]),
        item_type=entity["ItemType"],
        outcome=ItemOutcome(entity["Outcome"]),
        policy_id=entity.get("PolicyId"),
        display_name=entity.get("DisplayName"),
        reason=entity.get("Reason"),
        error=entity.get("Error"),
        version_id=entity.get("VersionId"),
        started_at=entity.get("StartedAt"),
        ended_at=entity["EndedAt"],
        action=entity.get("Action"),
        details=load_json(entity.get("Details")),
    )


def record_items(tables: RunTables, run_id: str, items: Iterable[ItemResult]) -> int:
    """Upsert (replace) item outcomes in batched transactions; recording the same item again overwrites it."""
    return upsert_batched(tables.items, (_to_entity(run_id, item) for item in items), mode=UpdateMode.REPLACE)


def list_items(
    tables: RunTables,
    run: Run,
    *,
    outcome: ItemOutcome | None = None,
    page_size: int = DEFAULT_PAGE_SIZE,
    continuation: str | None = None,
) -> Page[ItemResult]:
    """A run's items in item-ID order. Takes the Run (from get_run) so the tenant check has happened."""
    query = "PartitionKey eq @run"
    parameters: dict[str, Any] = {"run": run.run_id}
    if outcome is not None:
        query += " and Outcome eq @outcome"
        parameters["outcome"] = outcome.value
    page = query_page(tables.items, query, parameters, page_size=page_size, continuation=continuation)
    return map_page(page, _from_entity)


def count_outcomes(tables: RunTables, run_id: str, declared_total: int = 0) -> Counters:
    """Counters from the recorded items (one paged query reading only the Outcome column)."""
    tally = dict.fromkeys(ItemOutcome, 0)
    for entity in tables.items.query_entities(
        "PartitionKey eq @run", parameters={"run": run_id}, select=["Outcome"], results_per_page=1000
    ):
        tally[ItemOutcome(entity["Outcome"])] += 1
    processed = sum(tally.values())
    return Counters(
        total=max(declared_total, processed),
        processed=processed,
        succeeded=tally[ItemOutcome.SUCCEEDED],
        failed=tally[ItemOutcome.FAILED],
        skipped=tally[ItemOutcome.SKIPPED],
        conflicts=tally[ItemOutcome.CONFLICT],
    )
