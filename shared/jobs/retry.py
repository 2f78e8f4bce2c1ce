"""`POST .../runs/{run}/retry`: a new run of the failed items of an ended run, by the run's type.

- A backup (`backup.tenant`, `backup.scheduled`): a new backup of its failed items only, for an
  operator, as starting a backup is (`shared.jobs.backup_retry`). The body is not read.
- Anything else goes to the restore side (`shared.jobs.restore_request.request_retry`): a live
  restore is retried by an admin with `confirm: true`; another run type is 409
  `restore.not_retryable` (for an admin; 403 `auth.insufficient_role` before that for an operator).

Refusals of a backup retry (problem `code`):

| case | status | code |
|---|---|---|
| the backup run is still queued or running | 409 | `backup.run_not_finished` |
| the backup run has no failed items | 409 | `backup.nothing_to_retry` |
| the tenant is disabled | 409 | `tenant.disabled` |
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from shared.audit import AuditOutcome
from shared.auth.authorize import TenantAccess
from shared.http.problems import ProblemError
from shared.jobs.backup import BACKUP_RUN_TYPES, REQUESTED_ACTION, RUN_TYPE
from shared.jobs.backup_retry import RETRY_OF
from shared.jobs.capture_snapshot import TenantDisabled
from shared.jobs.messages import Orchestrator
from shared.jobs.restore_request import RESTORE_RETRY_PROBLEMS
from shared.jobs.restore_request import request_retry as request_restore_retry
from shared.runs import ItemOutcome, Run, find_run, list_items, start_or_reuse
from shared.services import Services
from shared.tenants import TenantStatus


class BackupRunNotFinished(ProblemError):
    status = 409
    code = "backup.run_not_finished"
    title = "The backup has not finished yet."


class NothingToRetry(ProblemError):
    status = 409
    code = "backup.nothing_to_retry"
    title = "The backup has no failed items."


RETRY_PROBLEMS: tuple[type[ProblemError], ...] = (
    *RESTORE_RETRY_PROBLEMS,
    BackupRunNotFinished,
    NothingToRetry,
)
"""The refusals of a retry, of a restore's run or of a backup's (the 403s are the gate's)."""


def request_retry(
    services: Services, access: TenantAccess, run_id: str, body: Mapping[str, Any]
) -> tuple[Run, bool, Orchestrator]:
    """The retry run (`reused` when one for the same run is active) and the orchestrator that runs it."""
    original = find_run(services.runs, access.tenant_id, run_id)
    if original is not None and original.run_type in BACKUP_RUN_TYPES:
        run, reused = request_backup_retry(services, access, original)
        return run, reused, Orchestrator.TENANT_BACKUP
    run, reused = request_restore_retry(services, access, run_id, body)
    return run, reused, Orchestrator.RESTORE


def request_backup_retry(services: Services, access: TenantAccess, original: Run) -> tuple[Run, bool]:
    """A new backup of the failed items of an ended backup; audited as a backup request with
    `retryOf`. No Graph call."""
    tenant = services.tenants.require(access.tenant_id)
    if tenant.status is not TenantStatus.ACTIVE:
        raise TenantDisabled(f"Tenant {tenant.tenant_id} is {tenant.status}; enable it first.")
    if original.status.is_active:
        raise BackupRunNotFinished(
            f"Run {original.run_id} is {original.status.value}; retry once it has ended."
        )
    if not list_items(services.runs, original, outcome=ItemOutcome.FAILED, page_size=1).items:
        raise NothingToRetry(f"Run {original.run_id} has no failed items.")
    run, reused = start_or_reuse(
        services.runs,
        tenant.tenant_id,
        RUN_TYPE,
        ["retry", original.run_id],
        access.principal.key,
        source={},
        parameters={RETRY_OF: original.run_id},
    )
    services.audit.record(
        tenant.tenant_id,
        REQUESTED_ACTION,
        access.principal.key,
        AuditOutcome.SUCCEEDED,
        run_id=run.run_id,
        details={RETRY_OF: original.run_id, "reused": reused},
    )
    return run, reused
