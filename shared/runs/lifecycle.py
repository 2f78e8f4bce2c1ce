"""Status changes and progress of a run, each an ETag-conditional write retried on conflict.

Every function is safe to call again with the same arguments (a retried activity): it
returns the run unchanged when the change is already there.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from azure.core import MatchConditions
from azure.core.exceptions import ResourceModifiedError
from azure.data.tables import UpdateMode

from shared.runs.errors import RunContention
from shared.runs.items import count_outcomes, redact_error
from shared.runs.model import Counters, Run, RunStatus, check_transition, derive_status
from shared.runs.queries import get_run
from shared.runs.tables import RunTables

MAX_ATTEMPTS = 10
PROGRESS_ATTEMPTS = 25
"""A part's progress report races every other part of its run (a backup has one per catalog type,
over 40 of them, and the small ones end together), so it tries longer before it is dropped."""
BACKOFF_SECONDS = 0.02
MAX_BACKOFF_SECONDS = 0.5
"""Base of the jittered wait after losing a write race: parts of one run report in parallel, and
retrying at once only collides again."""


def _update(
    tables: RunTables,
    tenant_id: str,
    run_id: str,
    change: Callable[[Run], Run | None],
    attempts: int = MAX_ATTEMPTS,
) -> Run:
    """Read, apply `change` (None = nothing to write), write back only if nobody wrote in between."""
    for attempt in range(attempts):
        current = get_run(tables, tenant_id, run_id)
        updated = change(current)
        if updated is None:
            return current
        try:
            metadata = tables.runs.update_entity(
                updated.to_entity(),
                mode=UpdateMode.REPLACE,
                etag=current.etag,
                match_condition=MatchConditions.IfNotModified,
            )
        except ResourceModifiedError:
            time.sleep(random.uniform(0, min(BACKOFF_SECONDS * 2**attempt, MAX_BACKOFF_SECONDS)))
            continue
        return updated.with_changes(etag=metadata.get("etag"))
    raise RunContention(f"Run {run_id} kept changing under concurrent updates; retry.")


def mark_running(tables: RunTables, tenant_id: str, run_id: str, *, now: datetime | None = None) -> Run:
    """queued -> running, stamping started_at (the orchestration's first activity calls this)."""

    def change(run: Run) -> Run | None:
        if not check_transition(run.status, RunStatus.RUNNING):
            return None
        return run.with_changes(status=RunStatus.RUNNING, started_at=now or datetime.now(UTC))

    return _update(tables, tenant_id, run_id, change)


def update_progress(
    tables: RunTables,
    tenant_id: str,
    run_id: str,
    *,
    total: int | None = None,
    processed: int | None = None,
    summary: dict[str, Any] | None = None,
) -> Run:
    """Set absolute progress figures (from the orchestrator, at chunk level; never per item).

    Figures only grow, so a late or replayed update cannot move progress backwards; an ended
    run is left as it is (its counters come from the items).
    """

    def change(run: Run) -> Run | None:
        if not run.status.is_active:
            return None
        counters = Counters(
            total=max(run.counters.total, total or 0),
            processed=max(run.counters.processed, processed or 0),
            succeeded=run.counters.succeeded,
            failed=run.counters.failed,
            skipped=run.counters.skipped,
            conflicts=run.counters.conflicts,
        )
        new_summary = summary if summary is not None else run.summary
        if counters == run.counters and new_summary == run.summary:
            return None
        return run.with_changes(counters=counters, summary=new_summary)

    return _update(tables, tenant_id, run_id, change)


PROGRESS_PARTS = "processedByPart"
"""Summary key of the per-part figures behind `processed` (advance_part)."""


def advance_part(tables: RunTables, tenant_id: str, run_id: str, part: str, processed: int) -> Run:
    """Progress of one part of a run (a restore's plan or write group, a type of a tenant backup).

    Each part's figure is absolute and only grows, and `processed` is their sum: a retried, late or
    replayed report changes nothing, and parts reporting in parallel never overwrite each other.
    """
    return advance_parts(tables, tenant_id, run_id, {part: processed})


def advance_parts(tables: RunTables, tenant_id: str, run_id: str, figures: Mapping[str, int]) -> Run:
    """`advance_part` for several parts in one write of the run."""

    def change(run: Run) -> Run | None:
        summary = run.summary or {}
        parts = dict(summary.get(PROGRESS_PARTS) or {})
        grown = {part: n for part, n in figures.items() if n > parts.get(part, 0)}
        if not run.status.is_active or not grown:
            return None
        parts.update(grown)
        counters = replace(run.counters, processed=max(run.counters.processed, sum(parts.values())))
        return run.with_changes(counters=counters, summary={**summary, PROGRESS_PARTS: parts})

    return _update(tables, tenant_id, run_id, change, attempts=PROGRESS_ATTEMPTS)


def finish(
    tables: RunTables,
    tenant_id: str,
    run_id: str,
    *,
    error: str | None = None,
    summary: dict[str, Any] | None = None,
    now: datetime | None = None,
) -> Run:
    """End a run with counters counted from its items and the status they imply.

    `error` (a fatal error, stored redacted) makes the run failed whatever the items say.
    Ending the run is what frees its dedupe key: the lock stays and is taken over later.
    """
    counters: Counters | None = None

    def change(run: Run) -> Run | None:
        nonlocal counters
        if counters is None:
            counters = count_outcomes(tables, run_id, declared_total=run.counters.total)
        status = derive_status(counters, fatal=error is not None)
        if not check_transition(run.status, status):
            return None
        return run.with_changes(
            status=status,
            counters=counters,
            ended_at=now or datetime.now(UTC),
            summary=summary if summary is not None else run.summary,
            error=redact_error(error),
        )

    return _update(tables, tenant_id, run_id, change)


def cancel(
    tables: RunTables, tenant_id: str, run_id: str, *, reason: str | None = None, now: datetime | None = None
) -> Run:
    """End a queued or running run as cancelled, with counters from the items recorded so far."""

    def change(run: Run) -> Run | None:
        if not check_transition(run.status, RunStatus.CANCELLED):
            return None
        return run.with_changes(
            status=RunStatus.CANCELLED,
            counters=count_outcomes(tables, run_id, declared_total=run.counters.total),
            ended_at=now or datetime.now(UTC),
            error=redact_error(reason),
        )

    return _update(tables, tenant_id, run_id, change)
