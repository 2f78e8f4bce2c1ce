"""`$batch` against graphsim: chunks of 20, answers matched by ID, only throttled items resent, and
a read-only client that sends nothing when asked to write."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import pytest

from local.graphsim.testing import GraphSim
from shared.graph import BatchRequest, GraphClient, GraphThrottled, ReadOnlyViolation, RetryPolicy

DEVICE_CONFIGURATIONS = "/deviceManagement/deviceConfigurations"
POLICIES = "/deviceManagement/configurationPolicies"
Factory = Callable[..., GraphClient]
LATENCY_MS = 800
CONFIGURATION = {"@odata.type": "#microsoft.graph.windows10GeneralConfiguration"}


def _gets(client: GraphClient, collection: str, count: int) -> list[BatchRequest]:
    ids = [item["id"] for item in client.get_all(collection, params={"$select": "id"})][:count]
    assert len(ids) == count
    return [BatchRequest(f"r{n}", "GET", f"{collection}/{item_id}") for n, item_id in enumerate(ids)]


def test_thirty_gets_in_two_batches_answered_in_request_order(sim: GraphSim, make_client: Factory) -> None:
    client = make_client()
    requests = _gets(client, POLICIES, 30)
    answers = client.batch(requests)
    assert [answer.id for answer in answers] == [request.id for request in requests]
    assert all(answer.status == 200 for answer in answers)
    assert [answer.json()["id"] for answer in answers] == [
        request.url.rsplit("/", 1)[1] for request in requests
    ]
    assert len(sim.admin.log(kind="batch")) == 2
    assert len(sim.admin.log(kind="graph", in_batch=True)) == 30


def test_only_the_inner_requests_throttled_are_resent(
    sim: GraphSim, make_client: Factory, sleeps: list[float]
) -> None:
    client = make_client()
    requests = _gets(client, POLICIES, 12)
    first, second = (requests[n].url.rsplit("/", 1)[1] for n in (2, 7))
    throttled_ids = {first, second}
    sim.admin.clear_log()
    sim.admin.set_faults(
        rules=[
            {"path": f"{first}$", "occurrences": [1], "status": 429, "retry_after": "0.3"},
            {"path": f"{second}$", "occurrences": [1], "status": 429, "retry_after": "0.6"},
        ]
    )

    answers = client.batch(requests)

    assert all(answer.status == 200 for answer in answers)
    assert sleeps == [0.6]
    inner = sim.admin.log(kind="graph", in_batch=True)
    per_path: dict[str, list[int]] = {}
    for entry in inner:
        per_path.setdefault(entry["path"].rsplit("/", 1)[1], []).append(entry["status"])
    assert {key: statuses for key, statuses in per_path.items() if len(statuses) > 1} == {
        item_id: [429, 200] for item_id in throttled_ids
    }
    assert len(inner) == 14
    assert len(sim.admin.log(kind="batch")) == 2


def test_items_still_throttled_when_the_budget_runs_out_come_back_with_their_wait(
    sim: GraphSim, make_client: Factory, sleeps: list[float]
) -> None:
    client = make_client(retry=RetryPolicy(max_total_wait=5.0))
    requests = _gets(client, POLICIES, 3)
    sim.admin.set_faults(
        rules=[{"path": f"{requests[1].url.rsplit('/', 1)[1]}$", "status": 429, "retry_after": "40"}]
    )
    answers = client.batch(requests)
    assert [answer.status for answer in answers] == [200, 429, 200]
    assert answers[1].retry_after == 40.0
    throttled = answers[1].error()
    assert isinstance(throttled, GraphThrottled) and throttled.retry_after == 40.0
    assert sleeps == []


def test_read_only_client_refuses_writes_and_graph_sees_nothing(sim: GraphSim, make_client: Factory) -> None:
    reader = make_client(read_only=True)
    assert reader.get_all(DEVICE_CONFIGURATIONS)
    sim.admin.clear_log()
    body = {"@odata.type": "#microsoft.graph.windows10CustomConfiguration", "displayName": "x"}

    with pytest.raises(ReadOnlyViolation):
        reader.post(DEVICE_CONFIGURATIONS, body)
    with pytest.raises(ReadOnlyViolation):
        reader.delete(f"{DEVICE_CONFIGURATIONS}/anything")
    with pytest.raises(ReadOnlyViolation):
        reader.batch(
            [
                BatchRequest("1", "GET", DEVICE_CONFIGURATIONS),
                BatchRequest("2", "POST", DEVICE_CONFIGURATIONS, body=body),
            ]
        )

    assert sim.admin.log() == []
    assert reader.batch([BatchRequest("1", "GET", DEVICE_CONFIGURATIONS)])[0].status == 200
    assert [entry["method"] for entry in sim.admin.log(kind="graph")] == ["GET"]


def _arrivals(sim: GraphSim) -> list[float]:
    return sorted(datetime.fromisoformat(entry["time"]).timestamp() for entry in sim.admin.log(kind="batch"))


def test_a_read_round_of_several_batches_sends_them_side_by_side(sim: GraphSim, make_client: Factory) -> None:
    client = make_client()
    first = _gets(client, POLICIES, 30)
    requests = first + [BatchRequest(f"again{n}", "GET", request.url) for n, request in enumerate(first)]
    sim.admin.clear_log()
    sim.admin.set_latency(base_ms=LATENCY_MS)

    answers = client.batch(requests)

    assert [answer.json()["id"] for answer in answers] == [r.url.rsplit("/", 1)[1] for r in requests]
    arrivals = _arrivals(sim)
    assert len(arrivals) == 3
    # Each call takes LATENCY_MS to answer: all three arrived before the first could have been answered.
    assert arrivals[-1] - arrivals[0] < LATENCY_MS / 1000


def test_writes_go_one_batch_after_the_other(sim: GraphSim, make_client: Factory) -> None:
    client = make_client()
    writes = [
        BatchRequest(f"w{n}", "POST", DEVICE_CONFIGURATIONS, body={**CONFIGURATION, "displayName": f"W{n}"})
        for n in range(25)
    ]
    sim.admin.clear_log()
    sim.admin.set_latency(base_ms=LATENCY_MS)

    answers = client.batch(writes)

    assert all(answer.status == 201 for answer in answers)
    arrivals = _arrivals(sim)
    assert len(arrivals) == 2
    assert arrivals[1] - arrivals[0] >= LATENCY_MS / 1000  # the second was sent after the first's answer
