"""Shared fixtures: real servers on real ports, started once per test session."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from local.azurite import Azurite, AzuriteEndpoints
from local.graphsim.testing import GraphSim, GraphSimProcess


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
