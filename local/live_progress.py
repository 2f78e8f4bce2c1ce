"""A live view of runs for the demo: one line per run (status, processed of total, elapsed), followed
through each run's status URL as a Logic App would poll it.

On a terminal the lines are redrawn in place (ANSI cursor-up); into a file or a pipe a line is printed
when a run's figures change, at most once a second per run, so a log stays readable.

A run that records its items as it goes but reports `processed` only at its end (a restore) is
followed with `count_items`: its items route is read at each poll and their number is the progress.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, TextIO
from urllib.parse import urlsplit, urlunsplit

import requests

ACTIVE = frozenset({"queued", "running"})
BAR_WIDTH = 24
POLL_SECONDS = 0.2
PIPE_PRINT_SECONDS = 1.0


class StatusRefused(RuntimeError):
    """A status URL answered an error: its problem (code and detail) is in the message."""


class RunTimedOut(RuntimeError):
    """A followed run was still active when the view's deadline passed."""


@dataclass
class FollowedRun:
    label: str
    status_url: str
    run: dict[str, Any]
    started: float = field(default_factory=time.monotonic)
    ended: float | None = None
    printed: tuple[str, int] | None = None
    printed_at: float = 0.0
    items_url: str | None = None

    @property
    def active(self) -> bool:
        return self.run["status"] in ACTIVE

    def line(self, now: float) -> str:
        counters = self.run.get("counters") or {}
        total, processed = int(counters.get("total") or 0), int(counters.get("processed") or 0)
        filled = BAR_WIDTH * processed // total if total else 0
        bar = "#" * filled + "." * (BAR_WIDTH - filled)
        elapsed = (self.ended or now) - self.started
        failed = int(counters.get("failed") or 0)
        tail = f", {failed} failed" if failed else ""
        status = "listing types" if self.run["status"] == "running" and not total else self.run["status"]
        return f"{self.label:<20} [{bar}] {processed:>4}/{total:<4} {status:<19} {elapsed:5.1f}s{tail}"


class LiveProgress:
    """Follow runs until every one has ended; `follow` returns their last answers in the given order."""

    def __init__(
        self,
        session: requests.Session,
        headers: Mapping[str, str],
        out: TextIO = sys.stdout,
        *,
        count_items: bool = False,
    ) -> None:
        self._session = session
        self._headers = dict(headers)
        self._out = out
        self._count_items = count_items
        self._in_place = out.isatty()
        self._drawn = 0

    def follow(self, started: list[tuple[str, str, dict[str, Any]]], timeout: float) -> list[dict[str, Any]]:
        """`started`: (label, status URL, run as the start answered it) per run."""
        runs = [
            FollowedRun(label, url, dict(run), items_url=_items_url(url) if self._count_items else None)
            for label, url, run in started
        ]
        deadline = time.monotonic() + timeout
        while True:
            now = time.monotonic()
            self._show(runs, now)
            if not any(run.active for run in runs):
                return [run.run for run in runs]
            if now > deadline:
                still = [f"{run.label} ({run.run['status']})" for run in runs if run.active]
                raise RunTimedOut(f"still active after {timeout:.0f} s: {', '.join(still)}")
            time.sleep(POLL_SECONDS)
            for run in (r for r in runs if r.active):
                answer = self._session.get(run.status_url, headers=self._headers, timeout=30)
                try:
                    answer.raise_for_status()
                except requests.HTTPError as error:
                    raise StatusRefused(f"{run.label}: {error}: {answer.text[:500]}") from None
                run.run = answer.json()
                if run.active and run.items_url:
                    self._count(run, run.items_url)
                if not run.active:
                    run.ended = time.monotonic()

    def _count(self, run: FollowedRun, items_url: str) -> None:
        """Progress of a run that reports it only at its end: the items it has recorded so far."""
        answer = self._session.get(items_url, headers=self._headers, params={"pageSize": "1000"}, timeout=30)
        answer.raise_for_status()
        counters = dict(run.run.get("counters") or {})
        counters["processed"] = max(int(counters.get("processed") or 0), len(answer.json()["items"]))
        run.run = {**run.run, "counters": counters}

    def _show(self, runs: list[FollowedRun], now: float) -> None:
        if self._in_place:
            if self._drawn:
                self._out.write(f"\x1b[{self._drawn}F")
            self._out.write("".join(f"\x1b[2K{run.line(now)}\n" for run in runs))
            self._drawn = len(runs)
        else:
            for run in runs:
                figures = (run.run["status"], int((run.run.get("counters") or {}).get("processed") or 0))
                due = now - run.printed_at >= PIPE_PRINT_SECONDS or not run.active
                if figures != run.printed and due:
                    self._out.write(run.line(now) + "\n")
                    run.printed, run.printed_at = figures, now
        self._out.flush()


def _items_url(status_url: str) -> str:
    """`.../runs/{run}/status?...` -> `.../runs/{run}/items`."""
    parts = urlsplit(status_url)
    path = parts.path.removesuffix("/status") + "/items"
    return urlunsplit((parts.scheme, parts.netloc, path, "", ""))
