"""The daily storage sweep: payloads still at their legacy shared names migrate under their tenants'
prefixes, every tenant's versions and payloads that nothing kept needs are freed (also tenants
without a schedule, whose sets are deleted by hand), and the Durable histories of runs that ended
long enough ago are purged.

Thin on purpose: the rules are `shared.jobs.retention_sweep` and `shared.jobs.retention_history`.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta

import azure.durable_functions as df
import azure.functions as func

from shared.jobs.retention_history import purge_histories, runs_to_purge
from shared.jobs.retention_sweep import (
    migrate_legacy_payloads,
    restore_references,
    sweep_tenant,
    version_tenants,
)
from shared.services import Services, services

bp = df.Blueprint()
log = logging.getLogger(__name__)

DAILY = "0 30 3 * * *"
"""Once a day, at night UTC: freeing storage is not urgent, and the schedule timer frees each
scheduled tenant after its retention run anyway."""


@bp.timer_trigger(schedule=DAILY, arg_name="timer", run_on_startup=False)
@bp.durable_client_input(client_name="client")
async def sweep_storage(timer: func.TimerRequest, client: df.DurableOrchestrationClient) -> None:
    svc = services()
    now = datetime.now(UTC)
    await asyncio.to_thread(sweep_payloads, svc, now)

    async def purge(instance_id: str) -> int:
        result = await client.purge_instance_history(instance_id)
        return int(result.instances_deleted)

    after = timedelta(days=svc.settings.runs.history_purge_days)
    ended = await asyncio.to_thread(lambda: list(runs_to_purge(svc.runs, now, after)))
    outcome = await purge_histories(svc.runs, purge, ended, now)
    log.info("Purged the Durable histories of %d run(s): %d instance(s)", outcome.runs, outcome.instances)


def sweep_payloads(svc: Services, now: datetime) -> None:
    """Migrate legacy payloads once, then free every tenant (one failing tenant does not stop the rest)."""
    tenants = version_tenants(svc.account)
    migrate_legacy_payloads(svc.account, tenants)
    grace = timedelta(hours=svc.settings.runs.retention_grace_hours)
    restores = restore_references(svc.account)
    for tenant_id in sorted(tenants):
        try:
            sweep_tenant(svc.account, tenant_id, now, grace, restores)
        except Exception:  # one tenant's storage error is logged and left to the next day
            log.exception("Sweep of tenant %s failed", tenant_id)
