"""A backup set ID that names no run never reaches Table Storage: it is a 404 problem, whatever it holds."""

from __future__ import annotations

import pytest

from shared.backups.sets import BackupSetNotFound, get_backup_set
from shared.storage import StorageAccount, names


@pytest.mark.parametrize("backup_id", ["x/y", "x#y", "a?b", "back\\slash", "'", "1" * 2000, ""])
def test_a_key_that_names_no_run_is_not_found(storage: StorageAccount, backup_id: str) -> None:
    table = storage.table(names.BACKUP_SETS)
    with pytest.raises(BackupSetNotFound):
        get_backup_set(table, "00000000-0000-0000-0000-000000000001", backup_id)
