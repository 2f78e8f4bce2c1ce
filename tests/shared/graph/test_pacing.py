"""Client-side pacing: a sliding window that mirrors Graph's, shared per app and tenant."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from local.graphsim.testing import GraphSim
from shared.graph import GraphClient, GraphThrottled, RetryPolicy
from shared.graph.pacing import (
    ARRIVAL_SLACK_SECONDS,
    HEADROOM,
    WINDOW_SECONDS,
    Pacer,
    PacingPolicy,
    ReservationTooLate,
    SlidingWindow,
    shared_pacer,
)


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_the_window_admits_its_limit_then_books_the_next_slot_a_window_later() -> None:
    clock = Clock()
    window = SlidingWindow(10, window=20.0, clock=clock)
    assert [window.reserve(1, max_wait=60) for _ in range(10)] == [0.0] * 10
    assert window.reserve(1, max_wait=60) == pytest.approx(20.0)
    clock.now += 5
    assert window.reserve(2, max_wait=60) == pytest.approx(15.0)


def test_a_batch_takes_all_its_slots_at_one_instant() -> None:
    clock = Clock()
    window = SlidingWindow(20, window=20.0, clock=clock)
    window.reserve(15, max_wait=60)
    clock.now += 1
    assert window.reserve(10, max_wait=60) == pytest.approx(19.0)


def test_a_wait_beyond_the_budget_reserves_nothing() -> None:
    clock = Clock()
    window = SlidingWindow(5, window=20.0, clock=clock)
    window.reserve(5, max_wait=60)
    with pytest.raises(ReservationTooLate) as raised:
        window.reserve(1, max_wait=10)
    assert raised.value.wait == pytest.approx(20.0)
    clock.now += 20
    assert window.reserve(5, max_wait=0) == 0.0


def test_limits_follow_the_reference_values_scaled() -> None:
    assert PacingPolicy().limit(write=False) == int(1000 * HEADROOM)
    assert PacingPolicy(scale=0.1).limit(write=True) == int(10 * HEADROOM)


def test_clients_of_one_app_in_one_tenant_share_a_pacer() -> None:
    policy = PacingPolicy(scale=0.5)
    first = shared_pacer("https://graph.example/", "T1", "app", policy)
    assert shared_pacer("https://graph.example", "t1", "APP", policy) is first
    assert shared_pacer("https://graph.example", "t2", "app", policy) is not first


def test_read_slots_free_after_graphs_window_plus_the_arrival_slack_and_write_slots_after_it() -> None:
    clock = Clock()
    policy = PacingPolicy(scale=0.01)
    reads, writes = Pacer(policy, clock=clock), Pacer(policy, clock=clock)
    assert reads.reserve(policy.limit(write=False), write=False, max_wait=60) == 0.0
    assert reads.reserve(1, write=False, max_wait=60) == pytest.approx(WINDOW_SECONDS + ARRIVAL_SLACK_SECONDS)
    assert writes.reserve(policy.limit(write=True), write=True, max_wait=60) == 0.0
    assert writes.reserve(1, write=True, max_wait=60) == pytest.approx(WINDOW_SECONDS)


def test_a_refused_booking_is_handed_back_to_come_again_when_it_could_be_booked(
    sim: GraphSim, make_client: Callable[..., GraphClient]
) -> None:
    clock = Clock()
    pacer = Pacer(PacingPolicy(scale=0.01), clock=clock)  # 9 reads per 20 s window
    client = make_client(pacer=pacer, retry=RetryPolicy(max_total_wait=5.0))
    pacer.reserve(pacer.reads.limit, write=False, max_wait=0)  # this window is booked full
    sim.admin.clear_log()

    with pytest.raises(GraphThrottled) as refused:
        client.get("/deviceManagement/deviceConfigurations")

    # The next slot starts a read window (and its slack) from now; a call may wait 5 s for one, so a
    # booking succeeds 5 s before the slot starts.
    assert refused.value.retry_after == pytest.approx(WINDOW_SECONDS + ARRIVAL_SLACK_SECONDS - 5.0)
    assert refused.value.code == "ClientPacing"
    assert sim.admin.log(kind="graph") == []
