"""Intune's throttling: sliding windows per tenant and per app per tenant, writes and all requests apart.

Limits per 20 s window (docs/graph-intune.md#throttling): device configuration and most areas allow 200 writes
per tenant / 100 per app per tenant and 2,000 / 1,000 requests of any kind; the devices area
(managed devices and scripts) allows twice that. A throttled request still counts, as on the
real service, so a client that retries at once stays throttled.
"""

from __future__ import annotations

import math
from collections import deque
from typing import Literal

from local.graphsim.config import RetryAfterStyle, ThrottleConfig

Area = Literal["configuration", "devices"]

_DEVICE_AREA_PREFIXES = (
    "/deviceManagement/managedDevices",
    "/deviceManagement/deviceManagementScripts",
    "/deviceManagement/deviceHealthScripts",
    "/deviceManagement/deviceShellScripts",
    "/deviceManagement/deviceCustomAttributeShellScripts",
    "/deviceManagement/deviceComplianceScripts",
)
# (per tenant, per app per tenant) for writes and for requests of any kind.
_LIMITS: dict[Area, dict[str, tuple[int, int]]] = {
    "configuration": {"write": (200, 100), "any": (2000, 1000)},
    "devices": {"write": (400, 200), "any": (4000, 2000)},
}


def throttle_area(path: str) -> Area:
    """The limit area of a Graph path (after the version); everything else shares the configuration limits."""
    return "devices" if path.startswith(_DEVICE_AREA_PREFIXES) else "configuration"


class Throttler:
    """Counts requests in sliding windows and says when one is over budget."""

    def __init__(self, config: ThrottleConfig) -> None:
        self.config = config
        self._windows: dict[tuple[str, ...], deque[float]] = {}

    def configure(self, config: ThrottleConfig) -> None:
        """New limits start from empty windows, so a test's budget does not depend on earlier traffic."""
        self.config = config
        self._windows.clear()

    def limits(self) -> dict[str, dict[str, dict[str, int]]]:
        return {
            area: {
                kind: {"per_tenant": self._scaled(pair[0]), "per_app_per_tenant": self._scaled(pair[1])}
                for kind, pair in kinds.items()
            }
            for area, kinds in _LIMITS.items()
        }

    def admit(self, tenant_id: str, app_id: str, area: Area, is_write: bool, now: float) -> float | None:
        """Count the request; None if it is within budget, else the seconds until it would be."""
        if not self.config.enabled:
            return None
        wait = 0.0
        for kind in ("write", "any") if is_write else ("any",):
            per_tenant, per_app = _LIMITS[area][kind]
            wait = max(
                wait,
                self._count((tenant_id, area, kind), self._scaled(per_tenant), now),
                self._count((tenant_id, app_id, area, kind), self._scaled(per_app), now),
            )
        return wait if wait > 0 else None

    def _count(self, key: tuple[str, ...], limit: int, now: float) -> float:
        window = self._windows.get(key)
        if window is None:
            window = self._windows[key] = deque()
        horizon = now - self.config.window_seconds
        while window and window[0] <= horizon:
            window.popleft()
        wait = 0.0
        if len(window) >= limit:
            wait = window[len(window) - limit] + self.config.window_seconds - now
        window.append(now)
        return wait

    def _scaled(self, limit: int) -> int:
        return max(1, round(limit * self.config.scale))


def retry_after_header(seconds: float, style: RetryAfterStyle) -> dict[str, str]:
    """Retry-After as Graph sends it: whole seconds, seconds with decimals, or not at all."""
    if style == "none":
        return {}
    if style == "decimal":
        return {"Retry-After": f"{max(seconds, 0.001):.3f}"}
    return {"Retry-After": str(max(1, math.ceil(seconds)))}
