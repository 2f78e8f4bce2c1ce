"""Client-side pacing: stay under Graph's per-app-per-tenant budget instead of bouncing off 429s.

Intune allows an app 1,000 requests per 20 s in a tenant (100 of them writes), and a throttled
request still counts, so retrying into a full window only digs deeper. Every request (each
inner request of a `$batch` counts one) first takes a slot from a sliding window that mirrors
Graph's: at most `limit` requests in any `window` seconds, with a small headroom for clock and
latency differences between us and Graph.

In one process this is exact: one window per (Graph host, tenant, app) sees all of its traffic.
Several processes (workers, instances) carrying one tenant each pace alone and together exceed
the budget, so the app shares one budget between them (`shared.graph.budget`, in a table) and
keeps this pacer as the fallback while that budget cannot be reached. The 429 handling stays as
the safety net either way.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

READ_LIMIT = 1000
WRITE_LIMIT = 100
WINDOW_SECONDS = 20.0
HEADROOM = 0.95
"""Share of the budget we use: the rest absorbs requests Graph counts that we did not pace alone."""
ARRIVAL_SLACK_SECONDS = 1.0
"""Our read window is this much longer than Graph's. Graph counts a request when it arrives, and
arrivals jitter with latency: a `$batch` of 20 GETs sent the instant our window frees 20 slots could
otherwise reach Graph just before the batch it replaces has left Graph's window, and at a small
budget (5% of 100) the headroom cannot absorb 20. Writes go one by one, so their window is Graph's."""


class RequestPacer(Protocol):
    """What the Graph client asks before each request, and tells after a 429."""

    def reserve(self, count: int, *, write: bool, max_wait: float) -> float:
        """Seconds to wait before sending `count` requests; ReservationTooLate past `max_wait`."""
        ...

    def throttled(self, retry_after: float, *, write: bool) -> None:
        """Graph answered 429 with this Retry-After."""
        ...


@dataclass(frozen=True)
class PacingPolicy:
    """Graph's limits (docs/graph-intune.md#throttling) times `scale` (a test against a slower
    simulator scales both)."""

    scale: float = 1.0
    enabled: bool = True
    shared: bool = False
    """Pace against the budget every instance shares (`shared.graph.budget`) where a client is given
    one; the settings turn it on (TENANTATLAS_GRAPH_BUDGET)."""

    def limit(self, write: bool) -> int:
        return max(1, int((WRITE_LIMIT if write else READ_LIMIT) * self.scale * HEADROOM))


class SlidingWindow:
    """At most `limit` permits in any `window` seconds; permits may be reserved in the near future."""

    def __init__(
        self,
        limit: int,
        window: float = WINDOW_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limit = limit
        self.window = window
        self._clock = clock
        self._granted: deque[float] = deque()
        self._lock = threading.Lock()

    def reserve(self, count: int, max_wait: float) -> float:
        """Reserve `count` permits at one instant; the seconds to wait before using them.

        Nothing is reserved when the wait would exceed `max_wait`: the caller is told how long
        (a negative number of seconds is never returned; `ReservationTooLate` carries the wait).
        """
        count = min(max(count, 1), self.limit)
        with self._lock:
            now = self._clock()
            while self._granted and self._granted[0] <= now - self.window:
                self._granted.popleft()
            blocking = len(self._granted) - (self.limit - count)
            at = now if blocking <= 0 else max(now, self._granted[blocking - 1] + self.window)
            wait = at - now
            if wait > max_wait:
                raise ReservationTooLate(wait)
            self._granted.extend([at] * count)
            return wait


class ReservationTooLate(Exception):
    """The window is booked for longer than the caller may wait; `wait` is how long it would be."""

    def __init__(self, wait: float) -> None:
        super().__init__(f"the pacing window is booked for {wait:.1f} s")
        self.wait = wait


class Pacer:
    """Read and write windows of one app in one tenant."""

    def __init__(self, policy: PacingPolicy, clock: Callable[[], float] = time.monotonic) -> None:
        self.policy = policy
        read_window = WINDOW_SECONDS + ARRIVAL_SLACK_SECONDS
        self.reads = SlidingWindow(policy.limit(write=False), read_window, clock=clock)
        self.writes = SlidingWindow(policy.limit(write=True), clock=clock)

    def reserve(self, count: int, *, write: bool, max_wait: float) -> float:
        """Seconds to wait before sending `count` requests; raises ReservationTooLate past `max_wait`.

        A write counts against both windows, as Graph counts it against both limits.
        """
        if not self.policy.enabled:
            return 0.0
        if not write:
            return self.reads.reserve(count, max_wait)
        return max(self.writes.reserve(count, max_wait), self.reads.reserve(count, max_wait))

    def throttled(self, retry_after: float, *, write: bool) -> None:
        """Nothing to share in one process: the throttled request itself waits its Retry-After."""


_PACERS: dict[tuple[str, str, str], Pacer] = {}
_PACERS_LOCK = threading.Lock()


def shared_pacer(graph_base_url: str, tenant_id: str, client_id: str, policy: PacingPolicy) -> Pacer:
    """The process-wide pacer of one (Graph host, tenant, app): every client of that pair shares it."""
    key = (graph_base_url.rstrip("/").lower(), tenant_id.lower(), client_id.lower())
    with _PACERS_LOCK:
        pacer = _PACERS.get(key)
        if pacer is None or pacer.policy != policy:
            pacer = _PACERS[key] = Pacer(policy)
        return pacer
