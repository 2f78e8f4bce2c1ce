"""The tables the run machinery uses, taken once from the worker's StorageAccount."""

from __future__ import annotations

from dataclasses import dataclass

from azure.data.tables import TableClient

from shared.storage import StorageAccount, names


@dataclass(frozen=True)
class RunTables:
    """The tables: runs (tenant / run id), runids (run id -> tenant), runitems (run / item id),
    dedupelocks (tenant / dedupe key hash)."""

    runs: TableClient
    run_ids: TableClient
    items: TableClient
    locks: TableClient

    @classmethod
    def from_account(cls, account: StorageAccount) -> RunTables:
        return cls(
            runs=account.table(names.RUNS),
            run_ids=account.table(names.RUN_IDS),
            items=account.table(names.RUN_ITEMS),
            locks=account.table(names.DEDUPE_LOCKS),
        )
