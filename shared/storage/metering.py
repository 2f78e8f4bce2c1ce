"""Storage transactions counted at the client, for benchmarks: what a job costs in billed requests.

On Azure every table, blob and queue request is a billed transaction, so the backup bench reports
them per object. With TENANTATLAS_STORAGE_METER set to a folder, every storage client built by this
app (and the devhost's engine) carries `METER`, an azure-core policy that counts each request sent
by the role of its client (`app.table`, `engine.blob`, ...) and kind (read, write, query, other); a
daemon thread writes the process's counts to `<folder>/<pid>-<role>.json` every half second, where
the bench sums them. Unset (production), no policy is added and nothing is counted.
"""

from __future__ import annotations

import atexit
import json
import os
import threading
from collections import Counter
from pathlib import Path
from typing import Any

from azure.core.pipeline import PipelineRequest

METER_SETTING = "TENANTATLAS_STORAGE_METER"
FLUSH_SECONDS = 0.5


def _kind(method: str, url: str) -> str:
    if method in ("PUT", "POST", "MERGE", "PATCH", "DELETE"):
        return "write"
    if method == "GET" and ("comp=list" in url or "()" in url or "$filter" in url or "/Tables" in url):
        return "query"
    return "read" if method in ("GET", "HEAD") else "other"


class StorageMeter:
    """Counts requests as they are sent (a retried request counts again: it is billed again). A
    client's `raw_request_hook` (azure-core's CustomHookPolicy): the storage SDKs build their own
    pipelines and leave out `per_call_policies`, but every one runs that hook."""

    def __init__(self, folder: Path, role: str) -> None:
        self.folder = folder
        self.role = role
        self.counts: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._dirty = threading.Event()
        threading.Thread(target=self._flush_loop, name="storage-meter", daemon=True).start()
        atexit.register(self.flush)

    def __call__(self, request: PipelineRequest[Any]) -> None:
        http = request.http_request
        key = _kind(http.method.upper(), http.url)
        with self._lock:
            self.counts[key] += 1
        self._dirty.set()

    def _flush_loop(self) -> None:
        while True:
            self._dirty.wait()
            self._dirty.clear()
            self.flush()
            threading.Event().wait(FLUSH_SECONDS)

    def flush(self) -> None:
        with self._lock:
            counts = dict(self.counts)
        target = self.folder / f"{os.getpid()}-{self.role}.json"
        temporary = target.with_suffix(".tmp")
        temporary.write_text(json.dumps(counts))
        temporary.replace(target)


_meters: dict[str, StorageMeter] = {}
_meters_lock = threading.Lock()


def meter_hook(role: str, folder: str | None) -> dict[str, Any]:
    """`{"raw_request_hook": meter}` to pass to a storage client when a meter folder is set (the app's
    settings read TENANTATLAS_STORAGE_METER), else {} (the client as it always was)."""
    if not folder:
        return {}
    with _meters_lock:
        meter = _meters.get(role)
        if meter is None:
            Path(folder).mkdir(parents=True, exist_ok=True)
            meter = _meters[role] = StorageMeter(Path(folder), role)
        return {"raw_request_hook": meter}


def read_meters(folder: Path) -> dict[str, dict[str, int]]:
    """Role -> counts summed over every process that wrote to `folder`."""
    totals: dict[str, Counter[str]] = {}
    for path in folder.glob("*.json"):
        role = path.stem.split("-", 1)[1]
        totals.setdefault(role, Counter()).update(json.loads(path.read_text()))
    return {role: dict(counts) for role, counts in totals.items()}
