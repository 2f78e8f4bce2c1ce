"""Retry timing: Retry-After as Graph sends it, full-jitter backoff, and the per-call budget."""

from __future__ import annotations

import pytest

from shared.graph.retry import RetryClock, RetryPolicy, backoff_ceiling, may_resend, parse_retry_after


@pytest.mark.parametrize(
    ("header", "seconds"),
    [("2", 2.0), ("2.128", 2.128), (" 0.5 ", 0.5), ("0", 0.0), ("-3", 0.0)],
)
def test_retry_after_in_seconds_including_decimals(header: str, seconds: float) -> None:
    assert parse_retry_after(header) == seconds


@pytest.mark.parametrize("header", [None, "", "soon", "nan", "inf", "Wed, 21 Oct 2015 07:28:00 GMT"])
def test_missing_or_unusable_retry_after_means_backoff(header: str | None) -> None:
    assert parse_retry_after(header) is None


def test_backoff_ceiling_doubles_then_caps() -> None:
    policy = RetryPolicy(base_delay=0.5, max_delay=4.0)
    assert [backoff_ceiling(n, policy) for n in range(6)] == [0.5, 1.0, 2.0, 4.0, 4.0, 4.0]
    assert backoff_ceiling(10_000, policy) == 4.0


def _clock(policy: RetryPolicy, random_value: float = 1.0) -> tuple[RetryClock, list[float]]:
    slept: list[float] = []
    return RetryClock(policy, slept.append, lambda: random_value), slept


@pytest.mark.parametrize("random_value", [0.0, 0.37, 0.999])
def test_backoff_is_full_jitter_below_the_ceiling(random_value: float) -> None:
    clock, _ = _clock(RetryPolicy(base_delay=1.0, max_delay=8.0), random_value)
    assert clock.next_delay(3, None) == pytest.approx(random_value * 8.0)


def test_retry_after_wins_over_backoff() -> None:
    clock, _ = _clock(RetryPolicy(base_delay=1.0))
    assert clock.next_delay(0, 2.128) == 2.128


def test_gives_up_when_attempts_run_out() -> None:
    clock, _ = _clock(RetryPolicy(max_attempts=3))
    assert clock.next_delay(1, 0.1) == 0.1
    assert clock.next_delay(2, 0.1) is None


def test_gives_up_when_the_wait_would_overrun_the_budget() -> None:
    clock, slept = _clock(RetryPolicy(max_total_wait=5.0))
    clock.sleep(3.0)
    assert clock.next_delay(0, 2.0) == 2.0
    assert clock.next_delay(0, 2.5) is None
    assert slept == [3.0]
    assert clock.waited == 3.0


def test_suggested_wait_is_graphs_hint_else_the_whole_ceiling() -> None:
    clock, _ = _clock(RetryPolicy(base_delay=1.0, max_delay=30.0), random_value=0.0)
    assert clock.suggested_wait(2, 7.5) == 7.5
    assert clock.suggested_wait(2, None) == 4.0


@pytest.mark.parametrize(
    ("status", "idempotent", "expected"),
    [(429, False, True), (503, False, True), (504, True, True), (504, False, False), (500, True, False)],
)
def test_a_write_answered_504_is_not_resent(status: int, idempotent: bool, expected: bool) -> None:
    assert may_resend(status, idempotent=idempotent) is expected
