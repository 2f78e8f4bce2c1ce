"""Follow runs to their end through their status URLs, one progress bar per run (rich).

On a terminal the bars redraw in place; into a pipe or a file (a script, CI) each run prints a line
when its figures change, at most once a second, and a line when it ends, so a log shows progress too.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from cli.api import ApiClient, CliError
from cli.exit_codes import ExitCode

PIPE_LINE_SECONDS = 1.0


@dataclass
class Followed:
    label: str
    status_url: str
    run: dict[str, Any]
    task: TaskID | None = None
    printed: tuple[str, int, int] | None = None
    printed_at: float = 0.0
    ended: bool = False
    started: float = field(default_factory=time.monotonic)

    @property
    def figures(self) -> tuple[str, int, int]:
        counters = self.run.get("counters") or {}
        return self.run["status"], int(counters.get("processed") or 0), int(counters.get("total") or 0)


def follow(
    client: ApiClient,
    started: list[tuple[str, str, dict[str, Any]]],
    console: Console,
    *,
    timeout: float,
    interval: float,
) -> list[dict[str, Any]]:
    """`started`: (label, status URL, run as started) per run; their ended runs, in the same order."""
    runs = [Followed(label, url, dict(run)) for label, url, run in started]
    width = max((len(run.label) for run in runs), default=10)
    columns = (
        TextColumn(f"{{task.description:<{width}}}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[status]:<19}"),
        TimeElapsedColumn(),
    )
    deadline = time.monotonic() + timeout
    with Progress(*columns, console=console, transient=False) as progress:
        for run in runs:
            run.task = progress.add_task(run.label, total=None, status=run.run["status"])
        while not all(run.ended for run in runs):
            for run in (r for r in runs if not r.ended):
                _poll(client, run)
                _show(progress, console, run)
            if all(run.ended for run in runs):
                break
            if time.monotonic() > deadline:
                waiting = ", ".join(run.label for run in runs if not run.ended)
                raise CliError(
                    f"Still running after {timeout:.0f}s: {waiting} "
                    "(the runs go on; `tenantatlas runs` shows them).",
                    ExitCode.TIMED_OUT,
                )
            time.sleep(interval)
    return [run.run for run in runs]


def _poll(client: ApiClient, run: Followed) -> None:
    answer = client.call("GET", run.status_url, accept=(202,))
    run.run = answer.json()
    run.ended = answer.status_code != 202


def _show(progress: Progress, console: Console, run: Followed) -> None:
    status, processed, total = run.figures
    assert run.task is not None
    progress.update(run.task, total=total or None, completed=processed, status=status)
    if console.is_terminal:
        return
    now = time.monotonic()
    if run.printed != run.figures and (run.ended or now - run.printed_at >= PIPE_LINE_SECONDS):
        console.print(f"{run.label}: {status} {processed}/{total} ({now - run.started:.1f}s)")
        run.printed, run.printed_at = run.figures, now
