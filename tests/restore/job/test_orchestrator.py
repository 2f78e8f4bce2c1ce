"""The restore orchestrator as a generator: activities answered by a dispatch on their names, every message
crossing the SDK's codec."""

from __future__ import annotations

from typing import Any

from orchestrators.plumbing import MAX_ATTEMPTS
from orchestrators.restore import restore
from shared.jobs.messages import (
    Activity,
    ChunkOutcome,
    ChunkRequest,
    Counters,
    ItemRange,
    Orchestrator,
    PartProgress,
    PreviewFinished,
    RestoreBegun,
    RunEnd,
    RunEnded,
    RunRef,
    SafetyBackup,
)
from tests.orchestrators import fakes
from tests.orchestrators.fakes import Answer, FakeTask, calls

REF = RunRef(tenant_id="t", run_id="r")
SAFE = SafetyBackup(backup_id="r")


def drive(answer: Answer, *, last_first: bool = False) -> tuple[Any, list[FakeTask]]:
    """Run the orchestrator to its end: its result and what it scheduled; `task_any` hands back the
    first unfinished task scheduled (or the last one, `last_first`, as when chunks end out of order)."""
    orchestrators = {Orchestrator.RESTORE: restore}
    return fakes.drive(orchestrators, Orchestrator.RESTORE, REF, answer, last_first=last_first)


def names(log: list[FakeTask]) -> list[str]:
    return fakes.names(log, seconds=True)


def ranges(*bounds: tuple[int, int]) -> tuple[ItemRange, ...]:
    return tuple(ItemRange(start=start, end=end) for start, end in bounds)


def preview(*bounds: tuple[int, int]) -> RestoreBegun:
    return RestoreBegun(active=True, status="running", mode="preview", chunks=ranges(*bounds))


def live(*groups: tuple[tuple[int, int], ...]) -> RestoreBegun:
    return RestoreBegun(active=True, status="running", mode="live", groups=tuple(ranges(*g) for g in groups))


def progress(part: str, processed: int) -> PartProgress:
    return PartProgress(tenant_id="t", run_id="r", part=part, processed=processed)


def test_a_preview_plans_chunks_in_parallel_joins_the_plan_and_ends() -> None:
    def answer(name: Activity, payload: Any) -> Any:
        return {
            Activity.BEGIN_RESTORE: preview((0, 20), (20, 25)),
            Activity.RESTORE_PLAN_CHUNK: ChunkOutcome(succeeded=1),
            Activity.RESTORE_PROGRESS: Counters(),
            Activity.RESTORE_FINISH_PREVIEW: PreviewFinished(planned=25),
            Activity.END_RUN: RunEnded(status="succeeded"),
        }[name]

    result, context = drive(answer)
    assert RunEnded.from_json(result) == RunEnded(status="succeeded")
    assert names(context) == [
        "begin_restore",
        "restore_plan_chunk",
        "restore_plan_chunk",
        "restore_progress",
        "restore_progress",
        "restore_finish_preview",
        "end_run",
    ]
    assert calls(context, Activity.RESTORE_PLAN_CHUNK) == [
        ChunkRequest(tenant_id="t", run_id="r", start=0, end=20),
        ChunkRequest(tenant_id="t", run_id="r", start=20, end=25),
    ]
    assert calls(context, Activity.RESTORE_FINISH_PREVIEW) == [REF]
    assert "restore_safety_backup" not in names(context) and "restore_apply_chunk" not in names(context)


def test_live_takes_the_safety_backup_first_then_writes_group_after_group() -> None:
    def answer(name: Activity, payload: Any) -> Any:
        return {
            Activity.BEGIN_RESTORE: live(((0, 2),), ((2, 4),)),
            Activity.RESTORE_SAFETY_BACKUP: SAFE,
            Activity.RESTORE_APPLY_CHUNK: ChunkOutcome(succeeded=1),
            Activity.RESTORE_PROGRESS: Counters(),
            Activity.END_RUN: RunEnded(status="succeeded"),
        }[name]

    _, context = drive(answer)
    assert names(context) == [
        "begin_restore",
        "restore_safety_backup",
        "restore_apply_chunk",
        "restore_progress",
        "restore_apply_chunk",
        "restore_progress",
        "end_run",
    ]
    assert [c.start for c in calls(context, Activity.RESTORE_APPLY_CHUNK)] == [0, 2]


def test_throttled_items_are_retried_alone_after_a_durable_timer_and_the_last_attempt_is_final() -> None:
    throttled = ChunkOutcome(succeeded=1, throttled=("x:1",), retry_after=7.5)
    answers = iter([throttled] * (MAX_ATTEMPTS - 1) + [ChunkOutcome(succeeded=1)])
    safety = iter([SafetyBackup(throttled=True, retry_after=3), SAFE])

    def answer(name: Activity, payload: Any) -> Any:
        if name == Activity.RESTORE_APPLY_CHUNK:
            return next(answers)
        if name == Activity.RESTORE_SAFETY_BACKUP:
            return next(safety)
        return {
            Activity.BEGIN_RESTORE: live(((0, 3),)),
            Activity.RESTORE_PROGRESS: Counters(),
            Activity.END_RUN: RunEnded(status="partially_succeeded"),
        }[name]

    _, context = drive(answer)
    assert names(context)[:4] == [
        "begin_restore",
        "restore_safety_backup",
        "timer 3s",
        "restore_safety_backup",
    ]
    applies = calls(context, Activity.RESTORE_APPLY_CHUNK)
    assert len(applies) == MAX_ATTEMPTS
    assert applies[0].retry == () and all(a.retry == ("x:1",) for a in applies[1:])
    assert [a.final_attempt for a in applies] == [False] * (MAX_ATTEMPTS - 1) + [True]
    assert names(context).count("timer 7.5s") == MAX_ATTEMPTS - 1


def test_a_begin_error_or_a_failing_activity_ends_the_run_failed_without_writing() -> None:
    def answer(name: Activity, payload: Any) -> Any:
        if name == Activity.BEGIN_RESTORE:
            return RestoreBegun(active=True, status="running", mode="live",
                                error="The restore could not start: gone")
        return RunEnded(status="failed")

    _, context = drive(answer)
    assert names(context) == ["begin_restore", "end_run"]
    assert context[-1].payload == RunEnd(tenant_id="t", run_id="r", error="The restore could not start: gone")

    def broken(name: Activity, payload: Any) -> Any:
        if name == Activity.RESTORE_PLAN_CHUNK:
            return RuntimeError("activity failed")
        if name == Activity.BEGIN_RESTORE:
            return preview((0, 1))
        return RunEnded(status="failed")

    _, context = drive(broken)
    assert names(context)[-1] == "end_run" and "internal error" in context[-1].payload.error


def test_a_preview_reports_a_running_figure_as_each_chunk_ends_in_whatever_order() -> None:
    by_start = {
        0: ChunkOutcome(succeeded=18, conflict=2),
        20: ChunkOutcome(skipped=19, failed=1),
        40: ChunkOutcome(succeeded=3),
    }

    def answer(name: Activity, payload: Any) -> Any:
        if name == Activity.RESTORE_PLAN_CHUNK:
            return by_start[payload.start]
        return {
            Activity.BEGIN_RESTORE: preview((0, 20), (20, 40), (40, 43)),
            Activity.RESTORE_PROGRESS: Counters(),
            Activity.RESTORE_FINISH_PREVIEW: PreviewFinished(planned=43),
            Activity.END_RUN: RunEnded(status="partially_succeeded"),
        }[name]

    _, context = drive(answer, last_first=True)
    assert names(context)[1:] == [
        *["restore_plan_chunk"] * 3,
        *["restore_progress"] * 3,
        "restore_finish_preview",
        "end_run",
    ]
    assert calls(context, Activity.RESTORE_PROGRESS) == [
        progress("plan", 3),
        progress("plan", 23),
        progress("plan", 43),
    ]


def test_live_reports_each_write_group_as_its_own_part() -> None:
    def answer(name: Activity, payload: Any) -> Any:
        if name == Activity.RESTORE_APPLY_CHUNK:
            return ChunkOutcome(succeeded=payload.end - payload.start)
        return {
            Activity.BEGIN_RESTORE: live(((0, 2),), ((2, 22), (22, 30))),
            Activity.RESTORE_SAFETY_BACKUP: SAFE,
            Activity.RESTORE_PROGRESS: Counters(),
            Activity.END_RUN: RunEnded(status="succeeded"),
        }[name]

    _, context = drive(answer)
    assert calls(context, Activity.RESTORE_PROGRESS) == [
        progress("write0", 2),
        progress("write1", 20),
        progress("write1", 28),
    ]


def test_items_handed_back_throttled_count_only_once_their_retry_settles_them() -> None:
    answers = iter(
        [
            ChunkOutcome(succeeded=2, throttled=("x:3", "x:4", "x:5"), retry_after=4),
            ChunkOutcome(throttled=("x:3", "x:4", "x:5"), retry_after=4),
            ChunkOutcome(succeeded=2, failed=1),
        ]
    )

    def answer(name: Activity, payload: Any) -> Any:
        if name == Activity.RESTORE_APPLY_CHUNK:
            return next(answers)
        return {
            Activity.BEGIN_RESTORE: live(((0, 5),)),
            Activity.RESTORE_SAFETY_BACKUP: SAFE,
            Activity.RESTORE_PROGRESS: Counters(),
            Activity.END_RUN: RunEnded(status="partially_succeeded"),
        }[name]

    _, context = drive(answer)
    assert names(context)[2:] == [
        "restore_apply_chunk",
        "restore_progress",
        "timer 4s",
        "restore_apply_chunk",
        "timer 4s",
        "restore_apply_chunk",
        "restore_progress",
        "end_run",
    ]
    assert [c.processed for c in calls(context, Activity.RESTORE_PROGRESS)] == [2, 5]
