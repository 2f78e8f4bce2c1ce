"""The write journal of live restores: an intent row written just before an item's first write.

A host that dies between a write and the record of its outcome leaves the target changed and the item
without an outcome. The next attempt of the run reads the target and finds a drift since the preview
(a same-named object where a create was planned, or a changed object where an update was planned),
which would otherwise be a `conflict`. The journal tells it that this run began writing the item, so
the change is its own and the write is completed instead (`shared.restore.live.apply_item`).
"""

from __future__ import annotations

from datetime import UTC, datetime

from azure.data.tables import TableClient, UpdateMode

from shared.storage import decode_key, encode_key


class WriteJournal:
    def __init__(self, table: TableClient) -> None:
        self._table = table

    def intend(self, run_id: str, item_id: str, action: str) -> None:
        """Record that this run is about to write the item (idempotent: a retry rewrites the row)."""
        self._table.upsert_entity(
            {
                "PartitionKey": run_id,
                "RowKey": encode_key(item_id),
                "Action": action,
                "IntendedAt": datetime.now(UTC),
            },
            mode=UpdateMode.REPLACE,
        )

    def intended(self, run_id: str) -> set[str]:
        """The items this run began writing (one query: the run's partition)."""
        return {
            decode_key(entity["RowKey"])
            for entity in self._table.query_entities(
                "PartitionKey eq @run", parameters={"run": run_id}, select=["RowKey"]
            )
        }
