"""graphsim server tests: each test starts from the start profile and start configuration."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from local.graphsim.testing import GraphSim


@pytest.fixture
def http(sim: GraphSim) -> Iterator[requests.Session]:
    """A session that trusts graphsim's CA, closed after the test."""
    with sim.session() as session:
        yield session
