"""Each response model accepts what the domain's `to_api` writes, and nothing it does not declare: a
member added to (or dropped from) an answer without its model fails here, before contract fuzzing."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from shared.api import models
from shared.audit import AuditOutcome
from shared.auth.group_roles import GroupRole
from shared.auth.memberships import Membership
from shared.auth.roles import Role
from shared.backups.inventory import InventoryEntry
from shared.backups.sets import BackupSet
from shared.health import Check, HealthReport
from shared.intune.diff import FieldChange, PolicyDiff
from shared.intune.version_diff import VersionDiff
from shared.intune.versions import PolicyVersion
from shared.notifications import Notification
from shared.runs import Counters, ItemOutcome, ItemResult, Run, RunStatus
from shared.runs.status import RunFailed, status_answer
from shared.schedules import RetentionPolicy, Schedule, ScheduleSpec
from shared.tenants import HealthStatus, Tenant, TenantHealth, TenantStatus

NOW = datetime(2026, 1, 31, 12, 0, tzinfo=UTC)
TENANT = "6f1c3a52-3d8e-4a43-9f4e-0c1f2a3b4c5d"
RUN_ID = "799999999999999999-0123456789ab"


def _run(**changes: Any) -> Run:
    run = Run(
        run_id=RUN_ID, tenant_id=TENANT, run_type="backup.tenant", status=RunStatus.RUNNING,
        dedupe_key="k", instance_id="backup.tenant-abc-" + RUN_ID, requested_by="user:x", created_at=NOW,
        started_at=NOW, counters=Counters(total=3, processed=1, succeeded=1),
    )
    return run.with_changes(**changes)


def _version(version_id: str = "a" * 32) -> PolicyVersion:
    return PolicyVersion(
        version_id=version_id, tenant_id=TENANT, policy_type="deviceConfigurations", policy_id="p1",
        display_name="Baseline", content_sha256="0" * 64, size=10, changed=True,
        previous_version_id=None, captured_at=NOW, run_id=RUN_ID, secrets_not_captured=["x"],
    )


def _schedule() -> Schedule:
    spec = ScheduleSpec("0 0 2 * * *", "Europe/Berlin", RetentionPolicy(keep_last=7))
    return Schedule(TENANT, "b" * 32, spec, "user:x", NOW, "user:x", NOW, next_due=NOW, etag="W/1")


_TENANT = Tenant(TENANT, "Contoso", "public", "msp-app", TenantStatus.ACTIVE, NOW)

SHAPES: list[tuple[type[BaseModel], dict[str, Any]]] = [
    (models.Run, _run().to_api()),
    (models.Run, _run(status=RunStatus.PARTIALLY_SUCCEEDED, ended_at=NOW,
                      counters=Counters(total=2, processed=2, succeeded=1, conflicts=1),
                      summary={"links": {}}, error="x").to_api()),
    (models.RunAccepted, {**_run().to_api(), "reused": False, "statusUrl": "https://h/api/x"}),
    (models.RunItem, ItemResult("t:p", "t", ItemOutcome.FAILED, policy_id="p", error="no", ended_at=NOW,
                                action="update", details={"diff": []}).to_api()),
    (models.AuditEvent, {"id": "e", "at": NOW.isoformat(), "actor": "system", "action": "a",
                         "outcome": str(AuditOutcome.DENIED), "runId": None, "details": {}}),
    (models.Notification, Notification("n", "user:x", "run.ended", "Backup succeeded", "succeeded", RUN_ID,
                                       TENANT, "/runs/x", NOW).to_api()),
    (models.PolicyVersion, _version().to_api()),
    (models.VersionDiff, VersionDiff(_version(), _version("c" * 32), PolicyDiff(
        "deviceConfigurations", (FieldChange("changed", "a.b", 1, 2),), ("secret",))).to_api()),
    (models.InventoryEntry, InventoryEntry(TENANT, "t", "p", "Name", "v", "0" * 64, None, NOW, RUN_ID,
                                           False, None).to_api()),
    (models.BackupSet, BackupSet(RUN_ID, TENANT, RUN_ID, "succeeded", NOW, "m",
                                 {"t": {"listed": 1, "succeeded": 1, "failed": 0, "skipped": 0}}).to_api()),
    (models.Schedule, {**_schedule().to_api(), "etag": "W/1"}),
    (models.Health, HealthReport("1", (Check("tables", False, 1.5, "down"),)).to_dict()),
    (models.BackupSet, replace(BackupSet(RUN_ID, TENANT, RUN_ID, "failed", NOW, "m", {}), kind="retry",
                               retry_of=RUN_ID).to_api()),
    (models.Tenant, _TENANT.to_api()),
    (models.MyTenant, {**_TENANT.to_api(), "role": None}),
    (models.TenantView, {**replace(_TENANT, health=TenantHealth(
        HealthStatus.PERMISSIONS_MISSING, NOW, ("DeviceManagementConfiguration.ReadWrite.All",),
        "consented without write", {"backup": True, "restore": False})).to_api(), "role": "admin"}),
    (models.Membership, Membership("user:" + TENANT, TENANT, Role.OPERATOR, "user:x", NOW).to_api()),
    (models.GroupRole, GroupRole(TENANT, TENANT, Role.READER, "user:x", NOW).to_api()),
]


@pytest.mark.parametrize(
    ("model", "body"), SHAPES, ids=[f"{model.__name__}-{n}" for n, (model, _) in enumerate(SHAPES)]
)
def test_the_model_accepts_what_the_domain_writes(model: type[BaseModel], body: dict[str, Any]) -> None:
    model.model_validate(body)


def test_a_member_the_model_does_not_declare_is_refused() -> None:
    with pytest.raises(ValidationError, match="extra"):
        models.Run.model_validate({**_run().to_api(), "internalEtag": "x"})


def test_a_failed_run_at_the_status_url_is_the_run_problem() -> None:
    answer = status_answer(_run(status=RunStatus.FAILED, ended_at=NOW, error="boom"), "u", fail_on_error=True)
    problem = models.RunProblem.model_validate(answer.body)
    assert (problem.status, problem.code) == (RunFailed.status, RunFailed.code)
