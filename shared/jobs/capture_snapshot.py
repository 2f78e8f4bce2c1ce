"""Capture a snapshot of one policy: the request side (validate, dedupe, audit) and the capture step.

The request side makes no Graph call: it only records a queued run (or finds the active one)
for the orchestration to work on. The capture step returns an outcome instead of raising for
a failed item, so the orchestrator can wait out throttling with a durable timer and still end
the run cleanly.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from shared.audit import AuditOutcome
from shared.auth.authorize import TenantAccess
from shared.config.errors import ConfigurationError
from shared.graph import GraphError, GraphThrottled
from shared.graph.tenant_clients import graph_client_for
from shared.http.problems import ProblemError
from shared.intune.capture import capture_policy
from shared.intune.catalog import object_type
from shared.intune.versions import record_version
from shared.jobs.messages import CaptureJob, CaptureOutcome
from shared.redact import redact
from shared.runs import ItemOutcome, ItemResult, Run, record_items, start_or_reuse
from shared.services import Services
from shared.tenants import TenantStatus

RUN_TYPE = "policy.capture_snapshot"
REQUESTED_ACTION = RUN_TYPE + ".requested"


class TenantDisabled(ProblemError):
    status = 409
    code = "tenant.disabled"
    title = "The tenant is disabled; no new job may start for it."


def check_policy_type(policy_type: str) -> str:
    """The type if the catalog knows it; `shared.intune.errors.UnknownPolicyType` (404) otherwise."""
    return object_type(policy_type).name


def request_capture(
    services: Services, access: TenantAccess, policy_type: str, policy_id: str
) -> tuple[Run, bool]:
    """The active run for this policy (`reused`) or a new queued one; the start is audited.

    Checked before any write: the type is known and the tenant is registered and active.
    """
    check_policy_type(policy_type)
    tenant = services.tenants.require(access.tenant_id)
    if tenant.status is not TenantStatus.ACTIVE:
        raise TenantDisabled(f"Tenant {tenant.tenant_id} is {tenant.status}; enable it first.")
    run, reused = start_or_reuse(
        services.runs,
        tenant.tenant_id,
        RUN_TYPE,
        [policy_type, policy_id],
        access.principal.key,
        source={"policyType": policy_type, "policyId": policy_id},
    )
    services.audit.record(
        tenant.tenant_id,
        REQUESTED_ACTION,
        access.principal.key,
        AuditOutcome.SUCCEEDED,
        run_id=run.run_id,
        details={"policyType": policy_type, "policyId": policy_id, "reused": reused},
    )
    return run, reused


def capture_step(services: Services, job: CaptureJob, *, final_attempt: bool) -> CaptureOutcome:
    """Read the policy from Graph, store its version and record the item outcome.

    The outcome is `succeeded`, `failed` or `throttled`: throttling beyond the Graph client's own
    budget is handed back (with `retry_after`) unless this is the last attempt, when
    it becomes a failed item like any other Graph error.
    """
    started_at = datetime.now(UTC)
    tenant = services.tenants.require(job.tenant_id)
    try:
        client = graph_client_for(services.settings, tenant)
        captured = capture_policy(client, job.policy_type, job.policy_id)
    except GraphThrottled as exc:
        if not final_attempt:
            return CaptureOutcome(outcome="throttled", retry_after=exc.retry_after)
        error = f"Graph kept throttling the capture: {exc}"
    except (GraphError, ConfigurationError) as exc:
        error = str(exc)
    else:
        version = record_version(
            services.account, tenant.tenant_id, captured, run_id=job.run_id, captured_at=started_at
        )
        _record_item(services, job, started_at, ItemOutcome.SUCCEEDED,
                     display_name=captured.display_name, version_id=version.version_id)
        return CaptureOutcome(outcome="succeeded", version_id=version.version_id, changed=version.changed)
    error = redact(error)
    _record_item(services, job, started_at, ItemOutcome.FAILED, error=error)
    return CaptureOutcome(outcome="failed", error=error)


def _record_item(
    services: Services, job: CaptureJob, started_at: datetime, outcome: ItemOutcome, **fields: Any
) -> None:
    """The run's one item for this policy, under its stable item id (a retry overwrites it)."""
    item = ItemResult(
        item_id=job.item_id,
        item_type=job.policy_type,
        outcome=outcome,
        policy_id=job.policy_id,
        started_at=started_at,
        **fields,
    )
    record_items(services.runs, job.run_id, [item])
