"""Two instances' Graph clients on one tenant, paced by the shared budget, against graphsim's throttling.

Each instance is its own `SharedBudget` (its own cache of the row, its own lock, as two processes
would have) with its own clients on threads; graphsim counts every request in its own windows.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest

from local.graphsim.testing import GraphSim
from shared.graph import BatchRequest, GraphClient, GraphThrottled, RetryPolicy
from shared.graph.budget import BudgetKey, BudgetTable, BudgetTuning, SharedBudget
from shared.graph.pacing import PacingPolicy
from shared.storage import StorageAccount, names

DEVICE_CONFIGURATIONS = "/deviceManagement/deviceConfigurations"
SCALE = 0.05
"""graphsim lets an app 50 requests per window in a tenant; the budget books 47."""
WINDOW = 2.0
TUNING = BudgetTuning(hold=0.3, slack=0.3)
Factory = Callable[..., GraphClient]


def instance_budget(storage: StorageAccount, sim: GraphSim, tenant_id: str) -> SharedBudget:
    key = BudgetKey.of(sim.base_url, tenant_id, sim.secret_app.client_id)
    table = BudgetTable(storage.table(names.GRAPH_BUDGET), TUNING.storage_timeout)
    return SharedBudget(table, key, PacingPolicy(scale=SCALE, shared=True), tuning=TUNING, window=WINDOW)


def test_two_instances_sharing_the_budget_are_never_throttled(
    sim: GraphSim, make_client: Factory, storage: StorageAccount
) -> None:
    sim.admin.set_throttle(scale=SCALE, window_seconds=WINDOW)
    tenant_id = sim.tenants[0].id
    budgets = [instance_budget(storage, sim, tenant_id) for _ in range(2)]
    retry = RetryPolicy(max_total_wait=20.0)
    ids = [item["id"] for item in make_client(tenant_id).get_all(DEVICE_CONFIGURATIONS)][:5]
    sim.admin.clear_log()

    def work(number: int) -> None:
        client = make_client(tenant_id, pacer=budgets[number % 2], retry=retry)
        for _ in range(10):
            client.get(DEVICE_CONFIGURATIONS, params={"$top": 1})
        reads = [BatchRequest(f"r{n}", "GET", f"{DEVICE_CONFIGURATIONS}/{i}") for n, i in enumerate(ids)]
        answers = client.batch(reads)
        assert [answer.status for answer in answers] == [200] * len(ids)

    with ThreadPoolExecutor(6) as pool:
        list(pool.map(work, range(6)))

    counted = sim.admin.counters()["requests"]
    assert counted["graph.requests"] == 6 * (10 + len(ids)), "more than a window's budget was sent"
    assert counted["graph.requests"] > 50
    assert counted.get("graph.throttled", 0) == 0
    row = budgets[0].table.read(budgets[0].key)
    assert row.counters["claims"] < counted["graph.requests"] / 2, "blocks, not a booking per request"


def test_a_429_one_instance_gets_holds_the_other_off(
    sim: GraphSim, make_client: Factory, storage: StorageAccount
) -> None:
    tenant_id = sim.tenants[0].id
    sim.admin.set_faults(
        rules=[{"path": "deviceConfigurations$", "occurrences": [1], "status": 429, "retry_after": "3"}]
    )
    throttled, other = instance_budget(storage, sim, tenant_id), instance_budget(storage, sim, tenant_id)

    client = make_client(tenant_id, pacer=throttled, retry=RetryPolicy(max_total_wait=1.0))
    with pytest.raises(GraphThrottled):  # its own retry would wait beyond its budget of 1 s
        client.get(DEVICE_CONFIGURATIONS)

    assert other.reserve(1, write=False, max_wait=30) > 1.5, "the other instance waits out the Retry-After"
    assert other.table.read(other.key).counters["throttles"] == 1
