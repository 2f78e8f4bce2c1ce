"""Throttling, outages and dropped connections injected by graphsim, and what the client does about them."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from local.graphsim.testing import GraphSim
from shared.graph import (
    GraphClient,
    GraphThrottled,
    GraphUnavailable,
    GraphWriteOutcomeUnknown,
    RetryPolicy,
)

DEVICE_CONFIGURATIONS = "/deviceManagement/deviceConfigurations"
Factory = Callable[..., GraphClient]


def _new_configuration(name: str) -> dict[str, object]:
    return {
        "@odata.type": "#microsoft.graph.windows10CustomConfiguration",
        "displayName": name,
        "omaSettings": [],
    }


@pytest.mark.parametrize("style", ["decimal", "integer", "none"])
def test_throttled_reads_wait_and_then_succeed(
    sim: GraphSim, make_client: Factory, sleeps: list[float], style: str
) -> None:
    sim.admin.set_throttle(scale=0.01, window_seconds=1, retry_after=style)
    client = make_client(
        retry=RetryPolicy(max_attempts=10, base_delay=0.25, max_delay=1.0, max_total_wait=20.0)
    )

    for _ in range(25):
        client.get(DEVICE_CONFIGURATIONS, params={"$top": 1})

    throttled = sim.admin.log(kind="graph", throttled=True)
    assert throttled, "graphsim should have throttled 25 reads at 10 per second"
    assert len(sleeps) == len(throttled)
    assert len(sim.admin.log(kind="graph", status=200)) == 25
    if style == "decimal":
        assert any(seconds != int(seconds) for seconds in sleeps)
    if style == "none":
        assert all(0 <= seconds <= 1.0 for seconds in sleeps)


def test_503_then_504_on_a_read_are_retried_with_retry_after(
    sim: GraphSim, make_client: Factory, sleeps: list[float]
) -> None:
    sim.admin.set_faults(
        rules=[
            {"path": "deviceConfigurations$", "occurrences": [1], "status": 503, "retry_after": "0.25"},
            {"path": "deviceConfigurations$", "occurrences": [2], "status": 504},
        ]
    )
    assert "value" in make_client().get(DEVICE_CONFIGURATIONS)
    assert [entry["status"] for entry in sim.admin.log(kind="graph")] == [503, 504, 200]
    assert sleeps[0] == 0.25
    assert len(sleeps) == 2


def test_a_wait_beyond_the_budget_is_handed_to_the_caller(
    sim: GraphSim, make_client: Factory, sleeps: list[float]
) -> None:
    sim.admin.set_faults(rules=[{"path": "deviceConfigurations$", "status": 429, "retry_after": "45"}])
    with pytest.raises(GraphThrottled) as caught:
        make_client(retry=RetryPolicy(max_total_wait=30.0)).get(DEVICE_CONFIGURATIONS)
    assert caught.value.retry_after == 45.0
    assert caught.value.request_id
    assert sleeps == []
    assert len(sim.admin.log(kind="graph")) == 1


def test_a_lasting_outage_ends_in_graph_unavailable_with_a_wait(
    sim: GraphSim, make_client: Factory, sleeps: list[float]
) -> None:
    sim.admin.set_faults(rules=[{"path": "deviceConfigurations$", "status": 503, "retry_after": "0.05"}])
    with pytest.raises(GraphUnavailable) as caught:
        make_client(retry=RetryPolicy(max_attempts=3)).get(DEVICE_CONFIGURATIONS)
    assert caught.value.status == 503
    assert caught.value.retry_after == 0.05
    assert len(sim.admin.log(kind="graph")) == 3


def test_a_dropped_connection_on_a_read_is_retried(sim: GraphSim, make_client: Factory) -> None:
    sim.admin.set_faults(rules=[{"path": "deviceConfigurations$", "occurrences": [1], "action": "drop"}])
    assert "value" in make_client().get(DEVICE_CONFIGURATIONS)
    assert [entry["fault"] is not None for entry in sim.admin.log(kind="graph")] == [True, False]


@pytest.mark.parametrize("action", ["apply_then_drop", "drop"])
def test_a_write_whose_answer_was_lost_is_not_resent(
    sim: GraphSim, make_client: Factory, action: str
) -> None:
    sim.admin.set_faults(rules=[{"method": "POST", "path": "deviceConfigurations$", "action": action}])
    name = f"Lost answer {action}"
    with pytest.raises(GraphWriteOutcomeUnknown) as caught:
        make_client().post(DEVICE_CONFIGURATIONS, _new_configuration(name))
    assert caught.value.client_request_id
    assert len(sim.admin.log(kind="graph", method="POST")) == 1
    held = sim.admin.tenant_state(sim.tenants[0].id)["collections"]["deviceManagement/deviceConfigurations"]
    created = [item for item in held if item.get("displayName") == name]
    assert len(created) == (1 if action == "apply_then_drop" else 0)


def test_a_write_answered_504_may_have_been_applied_so_it_is_not_resent(
    sim: GraphSim, make_client: Factory
) -> None:
    sim.admin.set_faults(rules=[{"method": "POST", "path": "deviceConfigurations$", "status": 504}])
    with pytest.raises(GraphWriteOutcomeUnknown):
        make_client().post(DEVICE_CONFIGURATIONS, _new_configuration("Gateway timeout"))
    assert len(sim.admin.log(kind="graph", method="POST")) == 1


def test_a_write_throttled_or_503_is_resent_because_graph_did_not_act(
    sim: GraphSim, make_client: Factory
) -> None:
    sim.admin.set_faults(
        rules=[
            {
                "method": "POST",
                "path": "deviceConfigurations$",
                "occurrences": [1],
                "status": 429,
                "retry_after": "0.1",
            },
            {
                "method": "POST",
                "path": "deviceConfigurations$",
                "occurrences": [2],
                "status": 503,
                "retry_after": "0.1",
            },
        ]
    )
    created = make_client().post(DEVICE_CONFIGURATIONS, _new_configuration("Resent after 429 and 503"))
    assert created["displayName"] == "Resent after 429 and 503"
    assert [entry["status"] for entry in sim.admin.log(kind="graph", method="POST")] == [429, 503, 201]
