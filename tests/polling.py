"""Wait for a state, not for a fixed time: the one polling helper of the tests.

`wait_until(predicate)` calls `predicate` every `interval` seconds until it returns something truthy and
returns that value, so a test can wait for a thing and then use it. Past `timeout` it fails the test with
what it waited for and the last value it saw. `wait_until_async` does the same for a predicate that must be
awaited, in tests that run inside one event loop (a blocking sleep there would stall the code under test).

A sleep that is itself what a test checks (nothing may happen during an interval, a time window has to
pass) stays a plain sleep, with a comment saying so.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

DEFAULT_TIMEOUT = 30.0
DEFAULT_INTERVAL = 0.05


class WaitTimeout(AssertionError):
    """The awaited state did not come within the timeout: a test failure, not an error of the test."""


def wait_until[T](
    predicate: Callable[[], T | None],
    timeout: float = DEFAULT_TIMEOUT,
    interval: float = DEFAULT_INTERVAL,
    *,
    message: str | None = None,
) -> T:
    """The first truthy value `predicate` returns; WaitTimeout after `timeout` seconds without one."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise WaitTimeout(_timed_out(predicate, message, timeout, value))
        time.sleep(interval)


async def wait_until_async[T](
    predicate: Callable[[], Awaitable[T | None]],
    timeout: float = DEFAULT_TIMEOUT,
    interval: float = DEFAULT_INTERVAL,
    *,
    message: str | None = None,
) -> T:
    """`wait_until` for a coroutine predicate; sleeps with `asyncio.sleep`, so the loop keeps running."""
    deadline = time.monotonic() + timeout
    while True:
        value = await predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise WaitTimeout(_timed_out(predicate, message, timeout, value))
        await asyncio.sleep(interval)


def _timed_out(predicate: Callable[[], object], message: str | None, timeout: float, last: object) -> str:
    awaited = message or getattr(predicate, "__qualname__", repr(predicate))
    return f"waited {timeout:g} s for {awaited}; the last value was {last!r}"
