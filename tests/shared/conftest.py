"""Fixtures for tests of shared/: a storage account isolated by a unique name prefix per test."""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import pytest

from local.azurite import AzuriteEndpoints
from shared.runs import RunTables
from shared.storage import StorageAccount, StorageConfig


@pytest.fixture
def storage_config(azurite: AzuriteEndpoints) -> StorageConfig:
    """Config for the session's Azurite with a fresh prefix, so each test sees empty tables and containers."""
    return StorageConfig(connection_string=azurite.connection_string, name_prefix="t" + secrets.token_hex(6))


@pytest.fixture
def storage(storage_config: StorageConfig) -> Iterator[StorageAccount]:
    """A StorageAccount closed after the test (warnings are errors: unclosed sockets would fail the run)."""
    with StorageAccount(storage_config) as account:
        yield account


@pytest.fixture
def run_tables(storage: StorageAccount) -> RunTables:
    """The run machinery's tables in this test's isolated storage."""
    return RunTables.from_account(storage)
