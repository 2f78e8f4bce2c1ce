"""The tenant backup orchestrator replayed by the azure-functions-durable SDK on the devhost's engine
(history in Azurite), with the activities answered in-process: the generator tests' claims hold under
real replay, task numbering, durable timers and activity failure events."""

from __future__ import annotations

import threading
from collections.abc import Callable
from itertools import pairwise
from typing import Any

import pytest
from azure.functions._durable_functions import df_dumps

import orchestrators.tenant_backup as tenant_backup_module
from local.azurite import AzuriteEndpoints
from local.devhost.engine import Engine
from local.devhost.engine.testing import function_maps, run_engine
from orchestrators.tenant_backup import tenant_backup
from shared.jobs.messages import (
    Activity,
    BackupBegun,
    BackupChunk,
    BackupFinished,
    BackupTotal,
    ChunkOutcome,
    Counters,
    FinishBackup,
    Message,
    Orchestrator,
    PartsProgress,
    RunEnd,
    RunEnded,
    RunRef,
    TypeListing,
    TypeListings,
    TypesRequest,
)

COUNTS = {"configurationPolicies": 75, "deviceConfigurations": 3}
"""Two chunks: 60 objects read one by one, then 15 of them and the 3 of a type whose list is complete."""
RUN = RunRef(tenant_id="t", run_id="r")


class FakeActivities:
    """Answers the backup's activities and records every call (name, input) in the order they ran."""

    def __init__(self, fail_chunk: bool = False) -> None:
        self.calls: list[tuple[str, Message]] = []
        self.fail_chunk = fail_chunk
        self._lock = threading.Lock()
        self._listed: set[str] = set()

    def _record(self, name: str, payload: Message) -> None:
        assert isinstance(payload, Message), payload
        with self._lock:
            self.calls.append((name, payload))

    def begin_backup(self, ref: RunRef) -> BackupBegun:
        self._record(Activity.BEGIN_BACKUP, ref)
        return BackupBegun(active=True, status="running", types=tuple(COUNTS))

    def backup_list_types(self, request: TypesRequest) -> TypeListings:
        self._record(Activity.BACKUP_LIST_TYPES, request)
        listings = []
        for kind in request.policy_types:
            with self._lock:
                first = kind not in self._listed
                self._listed.add(kind)
            if kind == "deviceConfigurations" and first:
                listings.append(TypeListing(policy_type=kind, throttled=True, retry_after=0.5))
            else:
                listings.append(TypeListing(policy_type=kind, count=COUNTS[kind]))
        return TypeListings(listings=tuple(listings))

    def backup_capture_chunk(self, chunk: BackupChunk) -> ChunkOutcome:
        self._record(Activity.BACKUP_CAPTURE_CHUNK, chunk)
        size = sum(span.end - span.start for span in chunk.spans)
        if chunk.spans[0].start == 60:
            if self.fail_chunk:
                raise RuntimeError("storage down")
            if not chunk.retry:
                throttled = ("configurationPolicies:x", "configurationPolicies:y")
                return ChunkOutcome(succeeded=size - 2, throttled=throttled, retry_after=1)
        return ChunkOutcome(succeeded=len(chunk.retry) or size)

    def backup_total(self, total: BackupTotal) -> Counters:
        self._record(Activity.BACKUP_TOTAL, total)
        return Counters(total=total.total, processed=0)

    def backup_progress(self, progress: PartsProgress) -> Counters:
        self._record(Activity.BACKUP_PROGRESS, progress)
        return Counters(processed=sum(progress.parts.values()))

    def finish_backup(self, finish: FinishBackup) -> BackupFinished:
        self._record(Activity.FINISH_BACKUP, finish)
        return BackupFinished(backup_id=finish.run_id, manifest="m", deleted_in_graph=0)

    def end_run(self, end: RunEnd) -> RunEnded:
        self._record(Activity.END_RUN, end)
        return RunEnded(status="failed" if end.error else "succeeded", error=end.error)

    def functions(self) -> dict[str, Callable[[Any], Any]]:
        names = (Activity.BEGIN_BACKUP, Activity.BACKUP_LIST_TYPES, Activity.BACKUP_CAPTURE_CHUNK,
                 Activity.BACKUP_TOTAL, Activity.BACKUP_PROGRESS, Activity.FINISH_BACKUP, Activity.END_RUN)
        return {name: getattr(self, name) for name in names}

    def of(self, name: str) -> list[Any]:
        return [payload for called, payload in self.calls if called == name]


@pytest.fixture(autouse=True)
def full_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Chunks of CHUNK_COST whatever the tenant's size (the ranges below assume it)."""
    monkeypatch.setattr(tenant_backup_module, "TARGET_CHUNKS", 1)


def _run_backup(azurite: AzuriteEndpoints, activities: FakeActivities) -> tuple[dict[str, Any], list[Any]]:
    orchestrators: dict[str, Any] = {
        Orchestrator.TENANT_BACKUP: tenant_backup.build().get_user_function().orchestrator_function,
    }
    outcome: dict[str, Any] = {}
    history: list[Any] = []

    async def scenario(engine: Engine) -> None:
        instance = await engine.start_new(Orchestrator.TENANT_BACKUP, "backup-1", df_dumps(RUN))
        outcome.update(await engine.wait_for_completion(instance, 60))
        status = await engine.get_status(instance, show_history=True)
        history.extend((status or {}).get("historyEvents") or [])

    run_engine(azurite.connection_string, function_maps(orchestrators, activities.functions()), scenario)
    return outcome, history


def test_a_backup_replayed_by_the_sdk_waits_out_throttling_and_reports_progress(
    azurite: AzuriteEndpoints,
) -> None:
    activities = FakeActivities()
    done, history = _run_backup(azurite, activities)

    assert done["runtimeStatus"] == "Completed", done
    assert done["output"] == {"status": "succeeded", "error": None, "backupId": "r"}
    listed = [c.policy_types for c in activities.of(Activity.BACKUP_LIST_TYPES)]
    assert listed == [tuple(COUNTS), ("deviceConfigurations",)]
    assert activities.of(Activity.BACKUP_TOTAL) == [BackupTotal(tenant_id="t", run_id="r", total=78)]
    chunks = activities.of(Activity.BACKUP_CAPTURE_CHUNK)
    retried = [c for c in chunks if c.retry]
    assert [c.retry for c in retried] == [("configurationPolicies:x", "configurationPolicies:y")]
    assert [(s.policy_type, s.start, s.end) for s in retried[0].spans] == [
        ("configurationPolicies", 60, 75), ("deviceConfigurations", 0, 3),
    ]
    reports = [r.parts for r in activities.of(Activity.BACKUP_PROGRESS)]
    assert reports[-1] == COUNTS
    assert all(later[t] >= earlier.get(t, 0) for earlier, later in pairwise(reports) for t in later)
    kinds = [event["EventType"] for event in history]
    assert kinds.count("TimerCreated") == kinds.count("TimerFired") == 2
    assert [c[0] for c in activities.calls][-2:] == ["finish_backup", "end_run"]


@pytest.mark.slow
def test_the_types_of_a_chunk_that_keeps_failing_are_reported_to_finish_after_the_others_ended(
    azurite: AzuriteEndpoints,
) -> None:
    activities = FakeActivities(fail_chunk=True)
    done, _ = _run_backup(azurite, activities)

    assert done["runtimeStatus"] == "Completed", done
    assert len([c for c in activities.of(Activity.BACKUP_CAPTURE_CHUNK) if c.spans[0].start == 60]) == 3
    assert [r.parts for r in activities.of(Activity.BACKUP_PROGRESS)] == [{"configurationPolicies": 60}]
    [finish] = activities.of(Activity.FINISH_BACKUP)
    assert finish.error is None
    assert sorted(finish.type_errors) == ["configurationPolicies", "deviceConfigurations"]
    assert "storage down" in finish.type_errors["configurationPolicies"]
    names = [name for name, _ in activities.calls]
    assert names.index(Activity.FINISH_BACKUP) > max(
        i for i, name in enumerate(names) if name == Activity.BACKUP_CAPTURE_CHUNK
    )
    [ended] = activities.of(Activity.END_RUN)
    assert ended.error is None
