"""The tenant backup orchestrators replayed by the azure-functions-durable SDK on the devhost's engine
(history in Azurite), with the activities answered in-process: the generator tests' claims hold under
real replay, task numbering, durable timers and sub-orchestration failure events."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from local.azurite import AzuriteEndpoints
from local.devhost.engine import Engine
from local.devhost.engine.testing import function_maps, run_engine
from orchestrators.tenant_backup import TYPE_ORCHESTRATOR, tenant_backup, tenant_backup_type

COUNTS = {"configurationPolicies": 45, "deviceConfigurations": 3}
RUN = {"tenantId": "t", "runId": "r"}


class FakeActivities:
    """Answers the backup's activities and records every call (name, input) in the order they ran."""

    def __init__(self, fail_chunk: bool = False) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.fail_chunk = fail_chunk
        self._lock = threading.Lock()
        self._listed: set[str] = set()
        self._chunked: set[int] = set()

    def _record(self, name: str, payload: dict[str, Any]) -> None:
        with self._lock:
            self.calls.append((name, payload))

    def begin_backup(self, ref: dict[str, Any]) -> dict[str, Any]:
        self._record("begin_backup", ref)
        return {"active": True, "status": "running", "types": list(COUNTS)}

    def backup_list_type(self, request: dict[str, Any]) -> dict[str, Any]:
        self._record("backup_list_type", request)
        kind = request["policyType"]
        with self._lock:
            first = kind not in self._listed
            self._listed.add(kind)
        if kind == "deviceConfigurations" and first:
            return {"policyType": kind, "throttled": True, "retryAfter": 0.5}
        return {"policyType": kind, "count": COUNTS[kind], "skipped": 0}

    def backup_capture_chunk(self, chunk: dict[str, Any]) -> dict[str, Any]:
        self._record("backup_capture_chunk", chunk)
        if chunk["policyType"] == "configurationPolicies" and chunk["start"] == 20:
            if self.fail_chunk:
                raise RuntimeError("storage down")
            if not chunk.get("retry"):
                return {"succeeded": 18, "failed": 0, "skipped": 0, "throttled": ["x", "y"], "retryAfter": 1}
        size = len(chunk.get("retry") or ()) or chunk["end"] - chunk["start"]
        return {"succeeded": size, "failed": 0, "skipped": 0, "throttled": [], "retryAfter": 0}

    def backup_progress(self, ref: dict[str, Any]) -> dict[str, Any]:
        self._record("backup_progress", ref)
        return {"total": ref.get("total"), "processed": ref.get("processed")}

    def finish_backup(self, ref: dict[str, Any]) -> dict[str, Any]:
        self._record("finish_backup", ref)
        return {"backupId": ref["run_id"], "manifest": "m", "deletedInGraph": 0}

    def end_run(self, ref: dict[str, Any]) -> dict[str, Any]:
        self._record("end_run", ref)
        return {"status": "failed" if ref["error"] else "succeeded", "error": ref["error"]}

    def functions(self) -> dict[str, Callable[[Any], Any]]:
        names = ("begin_backup", "backup_list_type", "backup_capture_chunk", "backup_progress",
                 "finish_backup", "end_run")
        return {name: getattr(self, name) for name in names}

    def of(self, name: str) -> list[dict[str, Any]]:
        return [payload for called, payload in self.calls if called == name]


def _run_backup(azurite: AzuriteEndpoints, activities: FakeActivities) -> tuple[dict[str, Any], list[Any]]:
    orchestrators = {
        "tenant_backup": tenant_backup.build().get_user_function().orchestrator_function,
        TYPE_ORCHESTRATOR: tenant_backup_type.build().get_user_function().orchestrator_function,
    }
    outcome: dict[str, Any] = {}
    history: list[Any] = []

    async def scenario(engine: Engine) -> None:
        instance = await engine.start_new("tenant_backup", "backup-1", '{"tenantId": "t", "runId": "r"}')
        outcome.update(await engine.wait_for_completion(instance, 60))
        child = await engine.get_status(f"{instance}:configurationPolicies", show_history=True)
        history.extend((child or {}).get("historyEvents") or [])

    run_engine(azurite.connection_string, function_maps(orchestrators, activities.functions()), scenario)
    return outcome, history


def test_a_backup_replayed_by_the_sdk_waits_out_throttling_and_reports_progress_per_chunk(
    azurite: AzuriteEndpoints,
) -> None:
    activities = FakeActivities()
    done, child_history = _run_backup(azurite, activities)

    assert done["runtimeStatus"] == "Completed", done
    assert done["output"] == {"status": "succeeded", "error": None, "backupId": "r"}
    assert [c["policyType"] for c in activities.of("backup_list_type")] == [*COUNTS, "deviceConfigurations"]
    assert activities.of("backup_progress")[0] == {"tenant_id": "t", "run_id": "r", "total": 48}
    retried = [c for c in activities.of("backup_capture_chunk") if c.get("retry")]
    assert retried == [{**RUN, "policyType": "configurationPolicies", "start": 20, "end": 40,
                        "retry": ["x", "y"], "finalAttempt": False}]
    by_type: dict[str, list[int]] = {}
    for report in activities.of("backup_progress")[1:]:
        by_type.setdefault(report["policyType"], []).append(report["processed"])
    assert sorted(by_type["configurationPolicies"]) == by_type["configurationPolicies"]
    assert by_type["configurationPolicies"][-1] == 45 and len(by_type["configurationPolicies"]) == 4
    assert by_type["deviceConfigurations"] == [3]
    kinds = [event["EventType"] for event in child_history]
    assert kinds.count("TimerCreated") == kinds.count("TimerFired") == 1
    assert [c[0] for c in activities.calls][-2:] == ["finish_backup", "end_run"]


def test_a_chunk_activity_that_keeps_failing_ends_the_run_with_its_cause(azurite: AzuriteEndpoints) -> None:
    activities = FakeActivities(fail_chunk=True)
    done, _ = _run_backup(azurite, activities)

    assert done["runtimeStatus"] == "Completed", done
    assert done["output"]["status"] == "failed"
    [ended] = activities.of("end_run")
    assert "storage down" in ended["error"]
    assert len([c for c in activities.of("backup_capture_chunk") if c["start"] == 20]) == 3
    assert activities.of("finish_backup")[0]["error"] == ended["error"]
