"""Fixtures for tests of shared/: a storage account isolated by a unique name prefix per test."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest

import shared.settings
from local.azurite import AzuriteEndpoints
from shared.redact import clear_secret_values
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

@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """No test sees the developer's settings: app variables are removed, local.settings.json is
    looked for in the test's tmp_path, and cached settings and registered secrets are dropped."""
    for name in list(os.environ):
        if name.startswith(shared.settings.ENV_PREFIXES):
            monkeypatch.delenv(name)
    monkeypatch.setattr(shared.settings, "LOCAL_SETTINGS_FILE", tmp_path / "local.settings.json")
    shared.settings.get_settings.cache_clear()
    clear_secret_values()
    yield
    shared.settings.get_settings.cache_clear()
    clear_secret_values()
