"""The tenant backup orchestrator: list every type (one activity, the types side by side), capture the
listed objects in chunks that pack the small types together, report progress, write the manifest, end.

Deterministic: no I/O, time from the context, logs only when not replaying. Messages stay small:
types, index ranges and counts; listings and manifest parts live in staging blobs.

What a backup costs is mostly per invocation (an activity is a queue message, a history event and a
worker round trip; an orchestrator episode replays its history), not per object: so one activity
lists all 43 types, a chunk spans as many types as fit its Graph budget (most types hold 1 to 10
objects), and progress is reported every few chunks, not after each one. One orchestration, no
sub-orchestration per type: its history holds a few dozen events.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Sequence
from typing import Any

import azure.durable_functions as df

from orchestrators.plumbing import ACTIVITY_RETRY, MAX_ATTEMPTS, Task, end_run, timer
from shared.intune.catalog import object_type
from shared.jobs.messages import (
    Activity,
    BackupBegun,
    BackupChunk,
    BackupEnded,
    BackupFinished,
    BackupTotal,
    ChunkOutcome,
    ChunkSpan,
    FinishBackup,
    Orchestrator,
    Output,
    PartsProgress,
    RunEnd,
    RunRef,
    TypeListing,
    TypeListings,
    TypesRequest,
)

bp = df.Blueprint()

CHUNK_COST = 300
"""Cost units of one chunk: 60 objects read one by one (three `$batch` calls of 20, sent side by side),
or 100 of types whose list holds everything (no Graph request per object, only storage writes), or a
mix. Bigger chunks mean fewer invocations and fewer fixed storage round trips per object; smaller
ones spread one tenant over more activity slots."""
GET_COST = 5
"""Cost units of an object read one by one (its `$batch` share and its storage writes)."""
LIST_COST = 3
"""Cost units of an object whose type's list is complete (its storage writes only)."""
TARGET_CHUNKS = 4
"""A tenant smaller than this many full chunks is spread over this many (down to MIN_CHUNK_COST each):
a lone tenant then uses several activity slots, and its backup takes a fraction of the time. Not
more: a chunk's fixed cost (its invocation, the tenant and listing reads, the pointer query, the
item, inventory and manifest writes) is paid per chunk, and one worker's Python is the bottleneck.
In the backup bench 8 gave 5.0-5.8 ms of app CPU per object and 2.4-2.6 s for one 300-object
tenant; 4 gave 3.7-4.2 ms and 2.1-2.4 s (bench/README.md, "Payloads in table rows")."""
MIN_CHUNK_COST = 60
PROGRESS_EVERY = 3
"""Chunks that end between two progress reports (each report is an activity and a run-row write)."""
OUTCOMES = ("succeeded", "failed", "skipped")


@bp.function_name(Orchestrator.TENANT_BACKUP)
@bp.orchestration_trigger(context_name="context")
def tenant_backup(
    context: df.DurableOrchestrationContext,
) -> Generator[Task, Any, Output]:
    ref: RunRef = context.get_input(expected_type=RunRef)
    error: str | None
    try:
        begun: BackupBegun = yield context.call_activity_with_retry(
            Activity.BEGIN_BACKUP, ACTIVITY_RETRY, ref
        )
        if not begun.active:
            return begun.to_json()
        listings = yield from _list_all(context, ref, begun.types, begun.retry_of)
        total = BackupTotal(
            tenant_id=ref.tenant_id, run_id=ref.run_id, total=sum(listing.count for listing in listings)
        )
        yield context.call_activity_with_retry(Activity.BACKUP_TOTAL, ACTIVITY_RETRY, total)
        type_errors = yield from _capture(context, ref, [listing for listing in listings if listing.count])
        error = None
    except Exception as exc:  # noqa: BLE001 - the SDK raises bare Exception for an activity that failed
        type_errors, error = {}, f"The backup stopped on an internal error: {exc}"
    finish = FinishBackup(tenant_id=ref.tenant_id, run_id=ref.run_id, error=error, type_errors=type_errors)
    finished: BackupFinished = yield context.call_activity_with_retry(
        Activity.FINISH_BACKUP, ACTIVITY_RETRY, finish
    )
    ended = yield from end_run(context, RunEnd(tenant_id=ref.tenant_id, run_id=ref.run_id, error=error))
    return BackupEnded(status=ended.status, error=ended.error, backup_id=finished.backup_id).to_json()


def _list_all(
    context: df.DurableOrchestrationContext, ref: RunRef, types: Sequence[str], retry_of: str | None
) -> Generator[Task, Any, list[TypeListing]]:
    """Every type listed by one activity; the throttled ones are waited out and listed again. A retry's
    listings keep only the failed items of the run it retries (`retry_of`)."""
    done: list[TypeListing] = []
    pending = tuple(types)
    for attempt in range(MAX_ATTEMPTS):
        answer: TypeListings = yield context.call_activity_with_retry(
            Activity.BACKUP_LIST_TYPES,
            ACTIVITY_RETRY,
            TypesRequest(tenant_id=ref.tenant_id, run_id=ref.run_id, policy_types=pending, retry_of=retry_of),
        )
        throttled = [listing for listing in answer.listings if listing.throttled]
        done += [listing for listing in answer.listings if not listing.throttled]
        if not throttled:
            return done
        pending = tuple(listing.policy_type for listing in throttled)
        if attempt < MAX_ATTEMPTS - 1:
            yield timer(context, max(listing.retry_after for listing in throttled))
    raise RuntimeError(f"Graph kept throttling the listing of {list(pending)}.")


def plan_chunks(ref: RunRef, listings: Sequence[TypeListing]) -> list[BackupChunk]:
    """The listed objects in chunks of at most CHUNK_COST (less for a small tenant: TARGET_CHUNKS), in
    listing order: a type too big for one chunk is split, small types share one."""
    costs = [LIST_COST if object_type(entry.policy_type).list_is_complete else GET_COST for entry in listings]
    total = sum(cost * listing.count for cost, listing in zip(costs, listings, strict=True))
    size = min(CHUNK_COST, max(MIN_CHUNK_COST, -(-total // TARGET_CHUNKS)))
    chunks: list[BackupChunk] = []
    spans: list[ChunkSpan] = []
    room = size
    for listing, cost in zip(listings, costs, strict=True):
        start = 0
        while start < listing.count:
            if room < cost:
                chunks.append(BackupChunk(tenant_id=ref.tenant_id, run_id=ref.run_id, spans=tuple(spans)))
                spans, room = [], size
            end = min(listing.count, start + room // cost)
            spans.append(ChunkSpan(policy_type=listing.policy_type, start=start, end=end))
            room -= (end - start) * cost
            start = end
    if spans:
        chunks.append(BackupChunk(tenant_id=ref.tenant_id, run_id=ref.run_id, spans=tuple(spans)))
    return chunks


def _capture(
    context: df.DurableOrchestrationContext, ref: RunRef, listings: list[TypeListing]
) -> Generator[Task, Any, dict[str, str]]:
    """Every chunk in parallel, progress (per type) every few chunks; every chunk is waited for (finish
    drops the staging files they read). The types of a chunk whose activity failed are answered with
    the reason."""
    failed: list[tuple[BackupChunk, Exception]] = []
    by_type: dict[str, int] = {}

    def settled(chunk: BackupChunk, answer: ChunkOutcome) -> None:
        for policy_type, count in settled_by_type(chunk, answer).items():
            by_type[policy_type] = by_type.get(policy_type, 0) + count

    report = lambda: context.call_activity_with_retry(  # noqa: E731 - read at each report
        Activity.BACKUP_PROGRESS,
        ACTIVITY_RETRY,
        PartsProgress(tenant_id=ref.tenant_id, run_id=ref.run_id, parts=dict(by_type)),
    )
    yield from _run_chunks(context, plan_chunks(ref, listings), report, failed, settled)
    return {
        span.policy_type: f"The capture of {span.policy_type} stopped: {error}"
        for chunk, error in failed
        for span in chunk.spans
    }


def _run_chunks(
    context: df.DurableOrchestrationContext,
    chunks: Sequence[BackupChunk],
    report: Callable[[], Task],
    failed: list[tuple[BackupChunk, Exception]],
    settled: Callable[[BackupChunk, ChunkOutcome], None],
) -> Generator[Task, Any]:
    """Every chunk in parallel; a chunk Graph throttled waits out its own durable timer and runs again
    with only its throttled objects, while the others go on (a round that waited for its slowest chunk
    left the paced Graph budget unused). Its MAX_ATTEMPTS-th run is told it is the last. Progress is
    reported every PROGRESS_EVERY settled chunks and whenever no chunk runs."""
    current = list(chunks)
    attempts = [0] * len(current)
    running: list[tuple[Task, int, bool]] = []
    """(task, chunk index, whether the task is the chunk's timer)."""

    def start(index: int) -> None:
        final = attempts[index] == MAX_ATTEMPTS - 1
        chunk = current[index].model_copy(update={"final_attempt": final})
        task = context.call_activity_with_retry(Activity.BACKUP_CAPTURE_CHUNK, ACTIVITY_RETRY, chunk)
        running.append((task, index, False))

    for index in range(len(current)):
        start(index)
    unreported = 0
    while running:
        finished = yield context.task_any([task for task, _, _ in running])
        position = next(at for at, (task, _, _) in enumerate(running) if task is finished)
        _, index, is_timer = running.pop(position)
        if is_timer:
            start(index)
            continue
        if isinstance(finished.result, Exception):
            failed.append((current[index], finished.result))
        else:
            answer: ChunkOutcome = finished.result
            settled(current[index], answer)
            unreported += 1 if sum(answer.count(outcome) for outcome in OUTCOMES) else 0
            if answer.throttled:
                attempts[index] += 1
                current[index] = current[index].model_copy(update={"retry": answer.throttled})
                running.append((timer(context, answer.retry_after), index, True))
        if unreported and (unreported >= PROGRESS_EVERY or all(waiting for _, _, waiting in running)):
            unreported = 0
            yield report()


def settled_by_type(chunk: BackupChunk, answer: ChunkOutcome) -> dict[str, int]:
    """Objects of each type the chunk settled (any outcome): what it was asked for less what Graph
    throttled (`type:id` keys)."""
    asked: dict[str, int] = {}
    if chunk.retry:
        for key in chunk.retry:
            policy_type = key.partition(":")[0]
            asked[policy_type] = asked.get(policy_type, 0) + 1
    else:
        for span in chunk.spans:
            asked[span.policy_type] = asked.get(span.policy_type, 0) + span.end - span.start
    for key in answer.throttled:
        policy_type = key.partition(":")[0]
        asked[policy_type] = asked.get(policy_type, 0) - 1
    return {policy_type: count for policy_type, count in asked.items() if count > 0}
