"""Graph client tests against the project's graphsim over real HTTPS, through MSAL and requests."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from local.graphsim.testing import GraphSim
from shared.graph import ClientSecret, Credential, GraphClient, GraphClientConfig, RetryPolicy
from shared.graph.pacing import RequestPacer

GRAPH_RESOURCE = "https://graph.microsoft.com"
"""graphsim issues tokens for the public Graph resource whatever host it listens on."""


@pytest.fixture
def sleeps() -> list[float]:
    """Every wait the client asked for, in order (the waits really happen: graphsim's windows are real)."""
    return []


@pytest.fixture
def make_client(sim: GraphSim, sleeps: list[float]) -> Callable[..., GraphClient]:
    """A client for a graphsim tenant; the start profile's secret app unless told otherwise.

    Backoff jitter is fixed at half the ceiling by default, so waits without Retry-After repeat.
    """

    def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        time.sleep(seconds)  # the client's backoff, under test: it must really wait out graphsim's windows

    def make(
        tenant_id: str | None = None,
        *,
        client_id: str | None = None,
        credential: Credential | None = None,
        read_only: bool = False,
        retry: RetryPolicy | None = None,
        random: Callable[[], float] = lambda: 0.5,
        pacer: RequestPacer | None = None,
    ) -> GraphClient:
        app = sim.secret_app
        assert app.client_secret is not None
        config = GraphClientConfig(
            graph_base_url=sim.base_url,
            login_base_url=sim.base_url,
            tenant_id=tenant_id or sim.tenants[0].id,
            client_id=client_id or app.client_id,
            credential=credential or ClientSecret(app.client_secret),
            ca_bundle=sim.ca_file,
            graph_resource=GRAPH_RESOURCE,
            retry=retry or RetryPolicy(base_delay=0.05, max_delay=1.0, max_total_wait=10.0),
            read_only=read_only,
        )
        return GraphClient(config, sleep=sleep, random=random, pacer=pacer)

    return make
