"""Cancelling a fleet run: its active children first, each as a tenant cancel would (an operator
cancels the runs they requested, an admin any run), then the parent.

A child the caller may not cancel (another's run in a tenant where the caller is only an operator,
a tenant the caller lost its role on) is left running and named with the reason; the others end
`cancelled` with the items they had done, are audited in their tenants and announced to the
webhooks. The parent then records an item per tenant whose child has ended and ends `cancelled`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from shared.auth.authorize import TenantAccess
from shared.auth.memberships import Membership
from shared.auth.principal import Principal
from shared.auth.roles import Role
from shared.http.problems import ProblemError
from shared.jobs.fleet import CHILDREN, follow_fleet, roles_of
from shared.jobs.reconcile import RunNotActive, cancel_run, check_cancel
from shared.runs import Run, cancel, get_run
from shared.runs.errors import RunNotFound
from shared.runs.model import FLEET
from shared.services import Services


@dataclass(frozen=True)
class FleetCancel:
    """The children the caller may cancel (with the access that allows it), and why the others stay."""

    cancellable: list[tuple[TenantAccess, Run]] = field(default_factory=list)
    left_running: dict[str, str] = field(default_factory=dict)


def plan_fleet_cancel(services: Services, principal: Principal, parent: Run) -> FleetCancel:
    """Which active children the caller may cancel; 409 `run.not_active` when the parent has ended."""
    if not parent.status.is_active:
        raise RunNotActive(f"Fleet run {parent.run_id} is {parent.status.value}.")
    roles = roles_of(services, principal)
    plan = FleetCancel()
    for tenant_id, child_id in ((parent.summary or {}).get(CHILDREN) or {}).items():
        try:
            child = get_run(services.runs, tenant_id, child_id)
        except RunNotFound:
            continue
        if not child.status.is_active:
            continue
        role = roles.get(tenant_id)
        if role is None or not role.includes(Role.OPERATOR):
            plan.left_running[tenant_id] = "auth.forbidden: the caller has no operator role on this tenant."
            continue
        # The role as the caller holds it now, directly or through a group (roles_of): what a tenant
        # cancel would be authorized with.
        held = Membership(principal.key, tenant_id, role, "roles_of", parent.created_at)
        access = TenantAccess(principal, held)
        try:
            check_cancel(access, child)
        except ProblemError as exc:
            plan.left_running[tenant_id] = f"{exc.code}: {exc.detail or exc.title}"
            continue
        plan.cancellable.append((access, child))
    return plan


def cancel_fleet(services: Services, principal: Principal, parent: Run, plan: FleetCancel) -> Run:
    """Cancel the planned children (their orchestrations already terminated), then the parent."""
    for access, child in plan.cancellable:
        cancel_run(services, access, child)
    follow_fleet(services, parent.run_id)
    return cancel(services.runs, FLEET, parent.run_id, reason=f"Cancelled by {principal.key}.")
