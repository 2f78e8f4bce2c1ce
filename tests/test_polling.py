"""The tests' polling helper: returns what it waited for, and fails naming it."""

from __future__ import annotations

import asyncio
import itertools

import pytest

from tests.polling import WaitTimeout, wait_until, wait_until_async


def test_returns_the_first_truthy_value() -> None:
    values: list[dict[str, str] | None] = [None, {}, {"id": "r1"}, {"id": "r2"}]
    answers = iter(values)
    assert wait_until(lambda: next(answers), timeout=5, interval=0) == {"id": "r1"}


def test_fails_with_what_it_waited_for_and_the_last_value() -> None:
    count = itertools.count()
    with pytest.raises(WaitTimeout, match=r"waited 0.1 s for the run to end; the last value was 0") as failed:
        wait_until(lambda: 0 * next(count), timeout=0.1, interval=0.01, message="the run to end")
    assert isinstance(failed.value, AssertionError), "a failed wait is a failed test"
    assert next(count) > 2, "it polled more than once"


def test_names_a_named_predicate_when_no_message_is_given() -> None:
    def run_ended() -> bool:
        return False

    with pytest.raises(WaitTimeout, match=r"for .*run_ended; the last value was False"):
        wait_until(run_ended, timeout=0, interval=0)


def test_async_form_awaits_the_predicate_and_lets_the_loop_run() -> None:
    async def scenario() -> str:
        done: list[str] = []
        asyncio.get_running_loop().call_later(0.05, done.append, "fired")

        async def fired() -> str | None:
            return done[0] if done else None

        return await wait_until_async(fired, timeout=5, interval=0.01)

    assert asyncio.run(scenario()) == "fired"


def test_async_form_fails_like_the_sync_one() -> None:
    async def never() -> None:
        return None

    with pytest.raises(WaitTimeout, match=r"waited 0 s for the engine; the last value was None"):
        asyncio.run(wait_until_async(never, timeout=0, interval=0, message="the engine"))
