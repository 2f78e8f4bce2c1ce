"""Shared fixtures: real servers on real ports, started once per test session."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from local.azurite import Azurite, AzuriteEndpoints


@pytest.fixture(scope="session")
def azurite() -> Iterator[AzuriteEndpoints]:
    """One Azurite for the whole session; tests isolate themselves by table, container or queue name."""
    with Azurite(in_memory=True) as endpoints:
        yield endpoints
