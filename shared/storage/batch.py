"""Batched Table writes: one entity-group transaction per partition and per 100 entities.

Recording a chunk of item results costs one round trip instead of one per item
(docs/architecture.md#chunked-activities).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from azure.data.tables import TableClient, UpdateMode

from shared.storage.transaction import submit_transaction

MAX_TRANSACTION = 100


def upsert_batched(
    table: TableClient, entities: Iterable[Mapping[str, Any]], mode: UpdateMode = UpdateMode.REPLACE
) -> int:
    """Upsert entities grouped by PartitionKey in transactions of up to 100; returns the number written.

    A transaction may not touch one entity twice, so a later duplicate of the same
    (PartitionKey, RowKey) replaces an earlier one: the last value wins, as upserts would.
    A failed transaction raises `azure.data.tables.TableTransactionError` and writes nothing of its group.
    """
    by_partition: dict[str, dict[str, Mapping[str, Any]]] = {}
    for entity in entities:
        by_partition.setdefault(entity["PartitionKey"], {})[entity["RowKey"]] = entity
    written = 0
    for rows in by_partition.values():
        batch = list(rows.values())
        for start in range(0, len(batch), MAX_TRANSACTION):
            group = batch[start : start + MAX_TRANSACTION]
            submit_transaction(table, [("upsert", dict(e), {"mode": mode}) for e in group])
            written += len(group)
    return written
