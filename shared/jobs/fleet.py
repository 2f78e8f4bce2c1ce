"""Fleet backup: one request backs up many tenants. A parent run (in the `fleet` partition) records
one child backup run per tenant and follows them; each child is the tenant's ordinary on-demand
backup, deduped per tenant as ever, so a tenant already being backed up joins with its running backup.

The parent is deduped on the set of tenants: the same request repeated while the parent is active
gets the same parent and starts nothing. Its items are its tenants (item ID the tenant ID), each
recorded when its child ends: `succeeded`, `failed` (a failed, partially succeeded or cancelled
child, with the reason), or `skipped` (the tenant could not start a backup: disabled, not ready).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from shared.auth.errors import Forbidden
from shared.auth.principal import Principal
from shared.auth.roles import Role
from shared.http.problems import ProblemError
from shared.jobs.backup import request_tenant_backup
from shared.jobs.messages import FleetProgress
from shared.runs import ItemOutcome, ItemResult, Run, RunStatus, get_run, record_items, start_or_reuse
from shared.runs.errors import RunNotFound
from shared.runs.lifecycle import update_progress
from shared.runs.model import FLEET
from shared.services import Services
from shared.storage import stable_hash
from shared.tenants import InvalidTenantId, normalize_tenant_id

FLEET_BACKUP = "backup.fleet"
FLEET_PREVIEW = "restore.fleet_preview"
FLEET_LIVE = "restore.fleet_live"
FLEET_RUN_TYPES = frozenset({FLEET_BACKUP, FLEET_PREVIEW, FLEET_LIVE})
"""Run types the fleet orchestrator follows (docs/fleet.md)."""
MAX_FLEET_TENANTS = 200
"""The parent keeps its tenants and children in its record (one Table property each, 32K characters)."""
CHILDREN = "children"
SKIPPED = "skipped"
ALL = "all"


class InvalidFleetRequest(ProblemError):
    status = 400
    code = "fleet.invalid_request"
    title = "The fleet request is not valid."


class NoTenantToBackUp(ProblemError):
    status = 409
    code = "fleet.no_tenants"
    title = "The caller operates no tenant that could be backed up."


@dataclass(frozen=True)
class FleetChild:
    tenant_id: str
    run: Run
    reused: bool


@dataclass(frozen=True)
class FleetRequest:
    parent: Run
    reused: bool
    children: tuple[FleetChild, ...]
    skipped: Mapping[str, str]


def parse_fleet_tenants(body: Any) -> list[str] | None:
    """The tenants named (normalized, deduplicated, in order); None: every tenant the caller operates."""
    if not isinstance(body, dict) or "tenants" not in body:
        raise InvalidFleetRequest('The body must be a JSON object: {"tenants": [...]} or {"tenants": "all"}.')
    tenants = body["tenants"]
    if tenants == ALL:
        return None
    if not isinstance(tenants, list) or not tenants or len(tenants) > MAX_FLEET_TENANTS:
        raise InvalidFleetRequest(f'`tenants` is "all" or a list of 1 to {MAX_FLEET_TENANTS} tenant IDs.')
    named: list[str] = []
    for value in tenants:
        if not isinstance(value, str):
            raise InvalidFleetRequest("`tenants` holds tenant IDs (GUIDs).")
        try:
            tenant_id = normalize_tenant_id(value)
        except InvalidTenantId:
            raise InvalidFleetRequest(f"{value[:60]!r} is not a tenant ID.") from None
        if tenant_id not in named:
            named.append(tenant_id)
    return named


def roles_of(services: Services, principal: Principal) -> dict[str, Role]:
    """The caller's role per tenant: direct memberships and group mappings, the higher one."""
    roles = {m.tenant_id: m.role for m in services.memberships.for_principal(principal.key)}
    for tenant_id, role in services.group_roles.tenants_of(principal.groups).items():
        if tenant_id not in roles or role.rank > roles[tenant_id].rank:
            roles[tenant_id] = role
    return roles


def fleet_targets(
    services: Services, principal: Principal, named: list[str] | None, role: Role = Role.OPERATOR
) -> list[str]:
    """The tenants to back up. Named ones must all be operated by the caller (403 otherwise, naming
    none of them: the caller learns nothing of tenants it has no role on); `all` is every tenant the
    caller operates that is registered."""
    roles = roles_of(services, principal)
    operable = {tenant for tenant, held in roles.items() if held.includes(role)}
    if named is None:
        registered = {tenant.tenant_id for tenant in services.tenants.list()}
        targets = sorted(operable & registered)
        if not targets:
            raise NoTenantToBackUp(f"The caller holds the {role} role on no registered tenant.")
        return targets
    refused = [tenant for tenant in named if tenant not in operable]
    if refused:
        raise Forbidden(
            f"{len(refused)} of the {len(named)} tenants named need the {role} role the caller lacks; "
            "nothing was started.",
            required_role=role.value,
        )
    return named


StartChild = Callable[[str], tuple[Run, bool]]
"""Record (or find) the child run of one tenant; a ProblemError skips the tenant with its reason."""


def request_fleet_backup(services: Services, principal: Principal, targets: Sequence[str]) -> FleetRequest:
    """The active parent for these tenants (`reused`), or a new one with a child backup per tenant
    (each deduped per tenant). The caller starts the children's and the parent's orchestrations."""
    return start_fleet(
        services,
        principal,
        FLEET_BACKUP,
        [stable_hash(*sorted(targets))],
        targets,
        lambda tenant_id: request_tenant_backup(services, tenant_id, principal.key),
        parameters={"tenants": list(targets)},
    )


def start_fleet(
    services: Services,
    principal: Principal,
    run_type: str,
    dedupe: list[str],
    targets: Sequence[str],
    start_child: StartChild,
    *,
    parameters: dict[str, Any],
) -> FleetRequest:
    """The parent run (deduped on `dedupe`) and, when it is new, one child per tenant."""
    parent, reused = start_or_reuse(
        services.runs, FLEET, run_type, dedupe, principal.key, parameters=parameters
    )
    if reused:
        return _recorded(services, parent)
    children: list[FleetChild] = []
    skipped: dict[str, str] = {}
    for tenant_id in targets:
        try:
            run, child_reused = start_child(tenant_id)
        except ProblemError as exc:
            skipped[tenant_id] = f"{exc.code}: {exc.detail or exc.title}"
            continue
        children.append(FleetChild(tenant_id, run, child_reused))
    summary = {
        CHILDREN: {child.tenant_id: child.run.run_id for child in children},
        SKIPPED: skipped,
    }
    parent = update_progress(services.runs, FLEET, parent.run_id, total=len(targets), summary=summary)
    return FleetRequest(parent, False, tuple(children), skipped)


def _recorded(services: Services, parent: Run) -> FleetRequest:
    summary = parent.summary or {}
    children = []
    for tenant_id, run_id in (summary.get(CHILDREN) or {}).items():
        try:
            children.append(FleetChild(tenant_id, get_run(services.runs, tenant_id, run_id), True))
        except RunNotFound:
            continue
    return FleetRequest(parent, True, tuple(children), dict(summary.get(SKIPPED) or {}))


def follow_fleet(services: Services, run_id: str) -> FleetProgress:
    """One look at the children: record an item for each tenant whose child ended (and for each
    skipped tenant), set `processed`; how many children are still active."""
    parent = get_run(services.runs, FLEET, run_id)
    summary = parent.summary or {}
    items = [
        ItemResult(tenant_id, "tenant", ItemOutcome.SKIPPED, reason=reason)
        for tenant_id, reason in (summary.get(SKIPPED) or {}).items()
    ]
    active = 0
    for tenant_id, child_id in (summary.get(CHILDREN) or {}).items():
        child = get_run(services.runs, tenant_id, child_id)
        if child.status.is_active:
            active += 1
            continue
        items.append(_item_of(tenant_id, child))
    record_items(services.runs, run_id, items)
    update_progress(services.runs, FLEET, run_id, processed=len(items))
    return FleetProgress(active=active, ended=len(items))


def _item_of(tenant_id: str, child: Run) -> ItemResult:
    c = child.counters
    details = {
        "runId": child.run_id,
        "status": child.status.value,
        "counters": {"total": c.total, "succeeded": c.succeeded, "failed": c.failed, "skipped": c.skipped},
    }
    if child.status is RunStatus.SUCCEEDED:
        return ItemResult(
            tenant_id,
            "tenant",
            ItemOutcome.SUCCEEDED,
            details=details,
            ended_at=child.ended_at or child.created_at,
        )
    reason = {
        RunStatus.PARTIALLY_SUCCEEDED: f"The run partially succeeded: {c.failed} of {c.total} failed.",
        RunStatus.CANCELLED: "The run was cancelled.",
    }.get(child.status, f"The run failed: {child.error or 'see its items'}.")
    return ItemResult(
        tenant_id,
        "tenant",
        ItemOutcome.FAILED,
        reason=reason,
        details=details,
        ended_at=child.ended_at or child.created_at,
    )


def fleet_view(services: Services, parent: Run) -> dict[str, Any]:
    """The parent as the API shows it, with each tenant's child run and its current status."""
    summary = parent.summary or {}
    tenants = []
    for tenant_id, child_id in (summary.get(CHILDREN) or {}).items():
        try:
            child = get_run(services.runs, tenant_id, child_id).to_api()
        except RunNotFound:
            child = None
        tenants.append({"tenantId": tenant_id, "runId": child_id, "run": child, "skipped": None})
    for tenant_id, reason in (summary.get(SKIPPED) or {}).items():
        tenants.append({"tenantId": tenant_id, "runId": None, "run": None, "skipped": reason})
    return {**parent.to_api(), "tenants": tenants}
