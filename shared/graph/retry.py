"""When to try a Graph request again, and for how long: bounded, so activities do not sleep long.

Graph counts throttled requests against the limit too, so a retry never goes out at once:
it waits `Retry-After` when Graph gives one, else an exponential backoff with full jitter
(so many workers throttled together do not come back together).
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable
from dataclasses import dataclass

RETRYABLE_STATUSES = frozenset({429, 503, 504})


@dataclass(frozen=True)
class RetryPolicy:
    """How hard one client call (paging and `$batch` rounds included) tries before giving up."""

    max_attempts: int = 6
    """Tries of one request, the first included."""
    base_delay: float = 0.5
    """Seconds of the first backoff ceiling; it doubles each attempt."""
    max_delay: float = 16.0
    """Ceiling of one backoff wait."""
    max_total_wait: float = 30.0
    """Seconds one call may spend sleeping; a longer wait is handed to the caller (an orchestrator timer)."""


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a `Retry-After` header; Graph sends integers or decimals (`2.128`), or nothing."""
    if value is None:
        return None
    try:
        seconds = float(value.strip())
    except ValueError:
        return None
    if not math.isfinite(seconds):
        return None
    return max(seconds, 0.0)


def backoff_ceiling(attempt: int, policy: RetryPolicy) -> float:
    """The longest backoff after the `attempt`-th failure (0-based): base * 2^attempt, capped."""
    return min(policy.max_delay, policy.base_delay * 2.0 ** min(attempt, 32))


def may_resend(status: int, *, idempotent: bool) -> bool:
    """429 and 503 mean Graph did not act; a 504 on a write may have been applied, so only reads go again."""
    return status in (429, 503) or (status == 504 and idempotent)


class RetryClock:
    """Tracks one call's retries and sleeping against its policy; one per public client call."""

    def __init__(
        self, policy: RetryPolicy, sleep: Callable[[float], None], random: Callable[[], float]
    ) -> None:
        self._policy = policy
        self._sleep = sleep
        self._random = random
        self._lock = threading.Lock()
        self.waited = 0.0

    def next_delay(self, attempt: int, retry_after: float | None) -> float | None:
        """Seconds to wait before retrying after the `attempt`-th failure (0-based), or None to give up:
        attempts exhausted, or the wait would overrun the call's budget.
        """
        if attempt + 1 >= self._policy.max_attempts:
            return None
        if retry_after is None:
            retry_after = self._random() * backoff_ceiling(attempt, self._policy)
        if self.waited + retry_after > self._policy.max_total_wait:
            return None
        return retry_after

    def sleep(self, delay: float) -> None:
        """Wait, and count it against the call's budget (`batch()` may wait on several threads)."""
        self._sleep(delay)
        with self._lock:
            self.waited += delay

    def suggested_wait(self, attempt: int, retry_after: float | None) -> float:
        """What to tell a caller that must wait elsewhere: Graph's hint, else the full backoff ceiling."""
        return retry_after if retry_after is not None else backoff_ceiling(attempt, self._policy)
