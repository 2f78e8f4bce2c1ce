"""Every day, verify every active tenant again (consent, permissions, a Graph probe), so a consent an
admin withdrew or a permission removed shows in the tenant's health before a backup needs it."""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor

import azure.functions as func
from azure.core.exceptions import AzureError

from shared.http.problems import ProblemError
from shared.onboarding.changes import verify_and_record
from shared.services import Services, services
from shared.tenants import TenantStatus

bp = func.Blueprint()
log = logging.getLogger(__name__)

DAILY_AT_0230_UTC = "0 30 2 * * *"
_PARALLEL = 8
"""Tenants verified at once: each is a token request and one Graph call, mostly waiting."""


@bp.timer_trigger(schedule=DAILY_AT_0230_UTC, arg_name="timer", run_on_startup=False)
def verify_tenants_daily(timer: func.TimerRequest) -> None:
    svc = services()
    active = [t.tenant_id for t in svc.tenants.list() if t.status is TenantStatus.ACTIVE]
    with ThreadPoolExecutor(max_workers=_PARALLEL) as pool:
        outcomes = list(pool.map(lambda tenant_id: _verify(svc, tenant_id), active))
    counts: dict[str, int] = {}
    for status in outcomes:
        counts[status] = counts.get(status, 0) + 1
    log.info("Verified %d tenants: %s", len(outcomes), counts)


def _verify(svc: Services, tenant_id: str) -> str:
    """The tenant's new health status; one that could not be recorded (removed meanwhile, storage
    hiccup) is logged and left for tomorrow, never stopping the others."""
    try:
        return str(verify_and_record(svc, tenant_id, None).health.status)
    except (ProblemError, AzureError) as exc:
        log.warning("Could not verify tenant %s (%s)", tenant_id, type(exc).__name__)
        return "not_recorded"
