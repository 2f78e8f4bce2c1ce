"""Fixtures for schedule tests: storage isolated per test by a unique table prefix in the session's Azurite.

tests/shared/conftest.py holds the same storage fixture for tests of shared/; conftest files apply to
their own directory only, so the few lines are repeated here rather than moving someone else's fixtures.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import pytest

from local.azurite import AzuriteEndpoints
from shared.runs import RunTables
from shared.schedules import ScheduleStore
from shared.storage import StorageAccount, StorageConfig


@pytest.fixture
def storage(azurite: AzuriteEndpoints) -> Iterator[StorageAccount]:
    config = StorageConfig(
        connection_string=azurite.connection_string, name_prefix="s" + secrets.token_hex(6)
    )
    with StorageAccount(config) as account:
        yield account


@pytest.fixture
def store(storage: StorageAccount) -> ScheduleStore:
    return ScheduleStore(storage)


@pytest.fixture
def run_tables(storage: StorageAccount) -> RunTables:
    return RunTables.from_account(storage)
