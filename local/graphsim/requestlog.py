"""The request log and counters that tests and the admin API read to see what a client really did.

Bounded (oldest entries fall off) so a long benchmark cannot grow memory without limit;
counters are kept apart and survive the bound.
"""

from __future__ import annotations

import re
import time
from collections import Counter, deque
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

_MAX_ENTRIES = 200_000


class LogQueryError(ValueError):
    """A request-log filter is invalid; the message names the parameter."""


@dataclass(slots=True)
class LogEntry:
    time: float
    kind: str
    """`graph`, `batch` (the outer $batch request), `token`, `identity` (a managed identity token) or
    `keyvault`."""
    tenant: str | None
    app: str | None
    method: str
    path: str
    status: int
    throttled: bool
    fault: str | None
    """None, or what was injected: `status:503`, `drop`, `apply_then_drop`."""
    in_batch: bool
    request_id: str
    credential: str | None = None
    """For `token` entries: how the client authenticated (`secret`, `certificate`, `federated`)."""

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["time"] = datetime.fromtimestamp(self.time, UTC).isoformat(timespec="milliseconds")
        data["faulted"] = self.fault is not None
        return data


class RequestLog:
    def __init__(self) -> None:
        self._entries: deque[LogEntry] = deque(maxlen=_MAX_ENTRIES)
        self._counters: Counter[str] = Counter()

    def record(self, entry: LogEntry) -> None:
        self._entries.append(entry)
        counters = self._counters
        counters[f"{entry.kind}.requests"] += 1
        counters[f"{entry.kind}.status.{entry.status}"] += 1
        if entry.throttled:
            counters[f"{entry.kind}.throttled"] += 1
        if entry.fault is not None:
            counters[f"{entry.kind}.faulted"] += 1
        if entry.in_batch:
            counters["graph.in_batch"] += 1

    def clear(self) -> None:
        self._entries.clear()
        self._counters.clear()

    def counters(self) -> dict[str, int]:
        return dict(sorted(self._counters.items()))

    def query(self, filters: Mapping[str, str]) -> list[dict[str, Any]]:
        """Entries matching every given filter, oldest first; see the README for the parameters."""
        predicates = _predicates(filters)
        limit = _int(filters, "limit", 1000)
        matched = [entry for entry in self._entries if all(p(entry) for p in predicates)]
        return [entry.to_json() for entry in matched[-limit:]] if limit else []


def now() -> float:
    return time.time()


def _predicates(filters: Mapping[str, str]) -> list[Any]:
    known = {
        "tenant",
        "app",
        "method",
        "path",
        "status",
        "kind",
        "throttled",
        "faulted",
        "in_batch",
        "since",
        "limit",
        "credential",
    }
    unknown = set(filters) - known
    if unknown:
        raise LogQueryError(f"Unknown log filter(s) {sorted(unknown)}; known: {sorted(known)}.")
    predicates: list[Any] = []
    for key in ("tenant", "app", "kind", "credential"):
        if key in filters:
            value = filters[key].lower()
            predicates.append(lambda e, k=key, v=value: (getattr(e, k) or "").lower() == v)
    if "method" in filters:
        method = filters["method"].upper()
        predicates.append(lambda e: e.method == method)
    if "path" in filters:
        try:
            pattern = re.compile(filters["path"])
        except re.error as exc:
            raise LogQueryError(f"'path' is not a valid regular expression: {exc}.") from None
        predicates.append(lambda e: pattern.search(e.path) is not None)
    if "status" in filters:
        status = _int(filters, "status", 0)
        predicates.append(lambda e: e.status == status)
    for key, attr in (("throttled", "throttled"), ("in_batch", "in_batch")):
        if key in filters:
            flag = _bool(filters, key)
            predicates.append(lambda e, a=attr, f=flag: getattr(e, a) is f)
    if "faulted" in filters:
        faulted = _bool(filters, "faulted")
        predicates.append(lambda e: (e.fault is not None) is faulted)
    if "since" in filters:
        since = _since(filters["since"])
        predicates.append(lambda e: e.time >= since)
    return predicates


def _int(filters: Mapping[str, str], key: str, default: int) -> int:
    if key not in filters:
        return default
    try:
        value = int(filters[key])
    except ValueError:
        raise LogQueryError(f"'{key}' must be an integer, got {filters[key]!r}.") from None
    if value < 0:
        raise LogQueryError(f"'{key}' must not be negative.")
    return value


def _bool(filters: Mapping[str, str], key: str) -> bool:
    value = filters[key].lower()
    if value not in {"true", "false"}:
        raise LogQueryError(f"'{key}' must be true or false, got {filters[key]!r}.")
    return value == "true"


def _since(value: str) -> float:
    """Either Unix seconds or an ISO 8601 time (with offset or Z)."""
    try:
        return float(value)
    except ValueError:
        pass
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise LogQueryError(f"'since' must be Unix seconds or an ISO 8601 time, got {value!r}.") from None
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).timestamp()
