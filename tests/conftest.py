"""Shared fixtures: real servers on real ports, started once per test session."""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import pytest

from local.azurite import Azurite, AzuriteEndpoints
from local.graphsim.testing import GraphSim, GraphSimProcess
from shared.runs import RunTables
from shared.storage import StorageAccount, StorageConfig


@pytest.fixture(scope="session")
def azurite() -> Iterator[AzuriteEndpoints]:
    """One Azurite for the whole session; tests isolate themselves by table, container or queue name."""
    with Azurite(in_memory=True) as endpoints:
        yield endpoints


@pytest.fixture(scope="session")
def graphsim() -> Iterator[GraphSim]:
    """One graphsim (profile `demo`: 3 tenants, a secret app and a certificate app consented in all).

    Tests that change conditions, tenants or objects call `graphsim.admin.reset()` first or use a
    fresh tenant of their own (`graphsim.admin.create_tenant()`), so test order never matters.
    """
    with GraphSimProcess(profile="demo") as sim:
        yield sim


@pytest.fixture
def sim(graphsim: GraphSim) -> GraphSim:
    """The session graphsim, reset: start tenants and apps, default conditions, empty request log."""
    graphsim.admin.reset()
    return graphsim


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
