"""A schedule named in a tenant-scoped route, under docs/architecture.md#401-403-and-404.

As for runs (shared.runs.access): a schedule of the caller's tenant is returned; one that exists
under another tenant is a 403, audited in the owner's trail; an ID no tenant holds is a 404.
Schedules are partitioned by tenant, so finding the owner is a query across partitions; it runs
only on that miss path, over a table of one small row per schedule.
"""

from __future__ import annotations

import re

from shared.auth.authorize import Authorizer, TenantAccess
from shared.auth.errors import Forbidden
from shared.schedules import Schedule, ScheduleNotFound, ScheduleStore
from shared.services import Services
from shared.storage import names

_SCHEDULE_ID = re.compile(r"^[0-9a-f]{32}$")


def schedule_for_access(
    services: Services, store: ScheduleStore, access: TenantAccess, schedule_id: str, *, action: str
) -> Schedule:
    try:
        return store.get(access.tenant_id, schedule_id)
    except ScheduleNotFound:
        owner = _owner_of(services, schedule_id)
        if owner is None or owner == access.tenant_id:
            raise
    error = Forbidden("The schedule belongs to a tenant the caller has no role on.")
    Authorizer(services.memberships, services.audit).audit_denial(
        owner,
        access.principal.key,
        action,
        error.code,
        {"scheduleId": schedule_id, "askedUnder": access.tenant_id},
    )
    raise error


def _owner_of(services: Services, schedule_id: str) -> str | None:
    if not _SCHEDULE_ID.match(schedule_id):
        return None
    rows = services.account.table(names.SCHEDULES).query_entities(
        "RowKey eq @id", parameters={"id": schedule_id}, select=["TenantId"]
    )
    for row in rows:
        return str(row["TenantId"])
    return None
