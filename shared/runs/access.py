"""A run named in a tenant-scoped route, under docs/architecture.md#401-403-and-404.

The caller has passed the gate for tenant A. A run of A is returned; a run that exists but
belongs to another tenant is a 403 (audited in the owner's trail, where the attempt matters);
an ID no tenant owns is a 404.
"""

from __future__ import annotations

from shared.auth.authorize import Authorizer, TenantAccess
from shared.auth.errors import Forbidden
from shared.runs import Run, RunNotFound, find_run, locate_run
from shared.services import Services


def run_for_access(services: Services, access: TenantAccess, run_id: str, *, action: str) -> Run:
    run = find_run(services.runs, access.tenant_id, run_id)
    if run is not None:
        return run
    owner = locate_run(services.runs, run_id)
    if owner is None or owner == access.tenant_id:
        raise RunNotFound(f"Run {run_id[:64]!r} was not found in this tenant.")
    error = Forbidden("The run belongs to a tenant the caller has no role on.")
    Authorizer(services.memberships, services.audit).audit_denial(
        owner, access.principal.key, action, error.code, {"runId": run_id, "askedUnder": access.tenant_id}
    )
    raise error
