"""The reconciler's decisions, pure: a run and what the engine says of its orchestration in, a verdict out."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from shared.config.settings import RunSettings
from shared.jobs.messages import CaptureJob, Orchestrator, RunRef
from shared.jobs.reconcile import Instance, Verdict, judge, orchestration_for
from shared.runs import Run, RunStatus

NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
POLICY = RunSettings(start_grace_seconds=120, stall_minutes=30)


def run(status: RunStatus, *, age: timedelta = timedelta(minutes=10), run_type: str = "backup.tenant") -> Run:
    return Run(
        run_id="r", tenant_id="t", run_type=run_type, status=status, dedupe_key="k", instance_id="i",
        requested_by="user:a", created_at=NOW - age,
        source={"policyType": "deviceConfigurations", "policyId": "p"},
    )


@pytest.mark.parametrize("runtime_status", ["Completed", "Failed", "Terminated", "Canceled"])
@pytest.mark.parametrize("status", [RunStatus.QUEUED, RunStatus.RUNNING])
def test_an_orchestration_that_ended_without_its_run_fails_the_run_with_the_reason(
    runtime_status: str, status: RunStatus
) -> None:
    verdict, reason = judge(run(status), Instance(runtime_status, NOW), NOW, POLICY)
    assert verdict is Verdict.FAIL
    assert runtime_status.lower() in reason


def test_a_queued_run_without_an_instance_is_started_after_the_grace_only() -> None:
    assert judge(run(RunStatus.QUEUED, age=timedelta(seconds=30)), None, NOW, POLICY)[0] is Verdict.KEEP
    assert judge(run(RunStatus.QUEUED, age=timedelta(seconds=121)), None, NOW, POLICY)[0] is Verdict.START


def test_a_running_run_whose_instance_is_gone_fails() -> None:
    verdict, reason = judge(run(RunStatus.RUNNING), None, NOW, POLICY)
    assert verdict is Verdict.FAIL and "gone" in reason


def test_a_running_orchestration_is_kept_until_it_makes_no_progress_for_the_configured_time() -> None:
    fresh = Instance("Running", NOW - timedelta(minutes=29))
    stale = Instance("Running", NOW - timedelta(minutes=31))
    assert judge(run(RunStatus.RUNNING), fresh, NOW, POLICY)[0] is Verdict.KEEP
    assert judge(run(RunStatus.RUNNING), stale, NOW, POLICY) == (
        Verdict.STALLED, "No progress for more than 30 minutes."
    )
    assert judge(run(RunStatus.QUEUED), Instance("Pending", None), NOW, POLICY)[0] is Verdict.KEEP


def test_each_run_type_is_started_by_its_own_orchestrator_with_its_input() -> None:
    backup = (Orchestrator.TENANT_BACKUP, RunRef(tenant_id="t", run_id="r"))
    assert orchestration_for(run(RunStatus.QUEUED)) == backup
    assert orchestration_for(run(RunStatus.QUEUED, run_type="restore.live"))[0] is Orchestrator.RESTORE
    assert orchestration_for(run(RunStatus.QUEUED, run_type="policy.capture_snapshot")) == (
        Orchestrator.CAPTURE_POLICY_SNAPSHOT,
        CaptureJob(tenant_id="t", run_id="r", policy_type="deviceConfigurations", policy_id="p"),
    )
    with pytest.raises(LookupError):
        orchestration_for(run(RunStatus.QUEUED, run_type="unknown.kind"))
