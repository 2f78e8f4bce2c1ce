"""`$batch` in graphsim: limits, dependsOn and 424, inner throttling, any order, malformed batches."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from local.graphsim.testing import GraphSim

DC = "/deviceManagement/deviceConfigurations"
WINDOWS = {"@odata.type": "#microsoft.graph.windows10GeneralConfiguration", "displayName": "WIN - Batch"}


@pytest.fixture
def post_batch(sim: GraphSim, http: requests.Session) -> Any:
    headers = {"Authorization": f"Bearer {sim.token(sim.tenants[0].id)}"}

    def post(requests_: Any, version: str = "beta") -> requests.Response:
        return http.post(
            sim.graph_url("$batch", version), json={"requests": requests_}, headers=headers, timeout=30
        )

    return post


def gets(count: int) -> list[dict[str, Any]]:
    return [{"id": str(i), "method": "GET", "url": f"{DC}?$top=1"} for i in range(1, count + 1)]


def test_batch_of_20_answers_every_request_by_id(sim: GraphSim, post_batch: Any) -> None:
    response = post_batch(gets(20))
    assert response.status_code == 200
    answers = response.json()["responses"]
    assert sorted(int(a["id"]) for a in answers) == list(range(1, 21))
    assert all(a["status"] == 200 and "value" in a["body"] for a in answers)
    inner = sim.admin.log(in_batch=True)
    assert len(inner) == 20 and all(e["path"] == "/beta/deviceManagement/deviceConfigurations" for e in inner)


def test_batch_of_21_is_400_and_runs_nothing(sim: GraphSim, post_batch: Any) -> None:
    response = post_batch(gets(21))
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "BadRequest"
    assert "maximum of 20" in response.json()["error"]["message"]
    assert sim.admin.log(in_batch=True) == []


@pytest.mark.parametrize(
    "batch",
    [
        [],
        [{"id": "1", "method": "GET"}],
        [{"id": "1", "method": "FETCH", "url": DC}],
        [{"id": "1", "method": "GET", "url": "https://graph.microsoft.com/beta/users"}],
        [{"id": "1", "method": "GET", "url": DC}, {"id": "1", "method": "GET", "url": DC}],
        [{"id": "1", "method": "GET", "url": DC, "dependsOn": ["9"]}],
        [
            {"id": "1", "method": "GET", "url": DC, "dependsOn": ["2"]},
            {"id": "2", "method": "GET", "url": DC, "dependsOn": ["1"]},
        ],
        [{"id": "1", "method": "POST", "url": DC, "body": WINDOWS}],
        "not a list",
    ],
)
def test_malformed_batches_are_400(post_batch: Any, batch: Any) -> None:
    response = post_batch(batch)
    assert response.status_code == 400
    assert response.json()["error"]["message"]


def test_a_failed_dependency_gives_424_and_is_not_run(sim: GraphSim, post_batch: Any) -> None:
    response = post_batch(
        [
            {"id": "1", "method": "GET", "url": f"{DC}/00000000-0000-0000-0000-000000000000"},
            {
                "id": "2",
                "method": "POST",
                "url": DC,
                "body": WINDOWS,
                "headers": {"Content-Type": "application/json"},
                "dependsOn": ["1"],
            },
            {"id": "3", "method": "GET", "url": f"{DC}?$top=1"},
        ]
    )
    by_id = {a["id"]: a for a in response.json()["responses"]}
    assert by_id["1"]["status"] == 404
    assert by_id["2"]["status"] == 424
    assert by_id["3"]["status"] == 200
    assert sim.admin.log(method="POST", status=201) == []


def test_dependent_write_runs_after_its_dependency(post_batch: Any) -> None:
    response = post_batch(
        [
            {"id": "b", "method": "GET", "url": f"{DC}?$top=1", "dependsOn": ["a"]},
            {
                "id": "a",
                "method": "POST",
                "url": DC,
                "body": WINDOWS,
                "headers": {"Content-Type": "application/json"},
            },
        ]
    )
    by_id = {a["id"]: a for a in response.json()["responses"]}
    assert by_id["a"]["status"] == 201 and by_id["b"]["status"] == 200
    assert by_id["a"]["body"]["displayName"] == "WIN - Batch"


def test_inner_requests_are_throttled_one_by_one_with_their_own_retry_after(
    sim: GraphSim, post_batch: Any
) -> None:
    sim.admin.set_throttle(scale=0.01, window_seconds=5)  # 10 requests per app per tenant
    response = post_batch(gets(15))
    answers = response.json()["responses"]
    throttled = [a for a in answers if a["status"] == 429]
    assert len(throttled) == 5
    assert all(int(a["headers"]["Retry-After"]) >= 1 for a in throttled)
    assert throttled[0]["body"]["error"]["code"] == "TooManyRequests"
    assert len(sim.admin.log(in_batch=True, throttled=True)) == 5


def test_answers_come_in_an_order_other_than_the_request_order(post_batch: Any) -> None:
    orders = {tuple(a["id"] for a in post_batch(gets(10)).json()["responses"]) for _ in range(3)}
    assert any(order != tuple(str(i) for i in range(1, 11)) for order in orders)


def test_inner_fault_rules_apply_per_request(sim: GraphSim, post_batch: Any) -> None:
    sim.admin.set_faults(
        rules=[
            {
                "method": "GET",
                "path": "deviceConfigurations",
                "occurrences": [2],
                "status": 503,
                "retry_after": 3,
            }
        ]
    )
    answers = post_batch(gets(3)).json()["responses"]
    statuses = sorted(a["status"] for a in answers)
    assert statuses == [200, 200, 503]
    failed = next(a for a in answers if a["status"] == 503)
    assert failed["headers"]["Retry-After"] == "3"
