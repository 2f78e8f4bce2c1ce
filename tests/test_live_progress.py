"""The demo's live view of runs: its lines, and what it prints into a pipe (a change, not every poll)."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

import pytest

from local import live_progress
from local.live_progress import FollowedRun, LiveProgress, RunTimedOut


def _run(status: str, total: int = 0, processed: int = 0, failed: int = 0) -> dict[str, Any]:
    return {"status": status, "counters": {"total": total, "processed": processed, "failed": failed}}


class Answer:
    def __init__(self, body: dict[str, Any]) -> None:
        self.body = body

    def raise_for_status(self) -> None:
        return None

    def json(self) -> dict[str, Any]:
        return self.body


class StatusUrls:
    """Answers each status URL with the next of its scripted run states (the last one repeats)."""

    def __init__(self, scripts: dict[str, list[dict[str, Any]]]) -> None:
        self._scripts: dict[str, Iterator[dict[str, Any]]] = {u: iter(s) for u, s in scripts.items()}
        self._last: dict[str, dict[str, Any]] = {}

    def get(self, url: str, headers: dict[str, str], timeout: float) -> Answer:
        self._last[url] = next(self._scripts[url], self._last.get(url) or {})
        return Answer(self._last[url])


@pytest.fixture(autouse=True)
def no_waiting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(live_progress, "POLL_SECONDS", 0)
    monkeypatch.setattr(live_progress, "PIPE_PRINT_SECONDS", 0)


def test_a_line_shows_the_phase_figures_bar_and_failures() -> None:
    run = FollowedRun("Contoso", "u", _run("running"), started=10.0)
    assert "listing types" in run.line(11.0) and "0/0" in run.line(11.0)
    run.run = _run("running", total=40, processed=10, failed=2)
    line = run.line(12.5)
    assert "[######" + "." * 18 + "]" in line and "10/40" in line and "running" in line
    assert line.endswith("2.5s, 2 failed")


def test_runs_are_followed_to_their_end_and_a_pipe_gets_one_line_per_change() -> None:
    urls = StatusUrls({
        "a": [_run("running"), _run("running", 50, 20), _run("running", 50, 20), _run("succeeded", 50, 50)],
        "b": [_run("succeeded", 5, 5)],
    })
    out = io.StringIO()
    ended = LiveProgress(urls, {}, out).follow(  # type: ignore[arg-type]
        [("A", "a", _run("queued")), ("B", "b", _run("queued"))], timeout=30
    )
    assert [run["status"] for run in ended] == ["succeeded", "succeeded"]
    lines = [line.split("]")[1].split()[:2] for line in out.getvalue().splitlines()]
    assert lines == [
        ["0/0", "queued"], ["0/0", "queued"], ["0/0", "listing"], ["5/5", "succeeded"],
        ["20/50", "running"], ["50/50", "succeeded"],
    ]


def test_a_run_still_active_at_the_deadline_is_named() -> None:
    urls = StatusUrls({"a": [_run("running", 9, 1)]})
    with pytest.raises(RunTimedOut, match=r"after 0 s: A \(queued\)"):
        LiveProgress(urls, {}, io.StringIO()).follow(  # type: ignore[arg-type]
            [("A", "a", _run("queued"))], timeout=0
        )


class RestoreUrls(StatusUrls):
    """A run that reports `processed` only at its end, with items recorded as it goes."""

    def __init__(self, scripts: dict[str, list[dict[str, Any]]], items: list[int]) -> None:
        super().__init__(scripts)
        self._items = iter(items)
        self.items_asked: list[tuple[str, dict[str, str]]] = []

    def get(
        self, url: str, headers: dict[str, str], timeout: float, params: dict[str, str] | None = None
    ) -> Answer:
        if url.endswith("/items"):
            self.items_asked.append((url, params or {}))
            return Answer({"items": [{}] * next(self._items), "continuationToken": None})
        return super().get(url, headers, timeout)


def test_counting_items_shows_progress_of_a_run_that_reports_it_only_at_its_end() -> None:
    status = "https://h/api/tenants/t/runs/r/status?failOnError=true"
    urls = RestoreUrls(
        {status: [_run("running", 30, 0), _run("running", 30, 0), _run("succeeded", 30, 30)]}, [4, 17]
    )
    out = io.StringIO()
    (ended,) = LiveProgress(urls, {}, out, count_items=True).follow(  # type: ignore[arg-type]
        [("restore", status, _run("queued"))], timeout=30
    )
    assert ended["counters"]["processed"] == 30
    assert urls.items_asked == [("https://h/api/tenants/t/runs/r/items", {"pageSize": "1000"})] * 2
    figures = [line.split("]")[1].split()[0] for line in out.getvalue().splitlines()]
    assert figures == ["0/0", "4/30", "17/30", "30/30"]
