"""The backup set table as retention sees it (`shared.jobs.retention.BackupSetRepository`)."""

from __future__ import annotations

import contextlib
from collections.abc import Collection

from shared.backups.sets import BackupSet, BackupSetNotFound, delete_backup_set, list_backup_sets
from shared.schedules import BackupSetSummary
from shared.storage import MAX_PAGE_SIZE, StorageAccount, names


class TableBackupSets:
    """Reads the whole partition per call: a tenant keeps tens to hundreds of sets, pruned once per slot."""

    def __init__(self, account: StorageAccount) -> None:
        self._table = account.table(names.BACKUP_SETS)
        self._manifests = account.container(names.MANIFESTS_CONTAINER)

    def summaries(self, tenant_id: str) -> list[BackupSetSummary]:
        return [
            BackupSetSummary(b.backup_id, b.tenant_id, b.status, b.created_at) for b in self._all(tenant_id)
        ]

    def protected_ids(self, tenant_id: str) -> Collection[str]:
        return {b.backup_id for b in self._all(tenant_id) if not b.deletable}

    def delete(self, tenant_id: str, backup_id: str) -> None:
        """Delete the set and its manifest; one already gone counts as deleted (a repeated prune)."""
        with contextlib.suppress(BackupSetNotFound):
            delete_backup_set(self._table, self._manifests, tenant_id, backup_id)

    def _all(self, tenant_id: str) -> list[BackupSet]:
        found: list[BackupSet] = []
        continuation: str | None = None
        while True:
            page = list_backup_sets(self._table, tenant_id, MAX_PAGE_SIZE, continuation)
            found.extend(page.items)
            continuation = page.continuation
            if continuation is None:
                return found
