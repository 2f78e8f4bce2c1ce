"""Telling people beyond a run's requester: every matching webhook subscription of a run's end, a
tenant turned unhealthy or schedule slots missed, and, for a failed scheduled backup (requested by
`system`, whom nobody reads), the tenant's admins in-app (docs/alerts.md)."""

from __future__ import annotations

import functools
from datetime import datetime

import requests

from shared.alerts.dispatch import Dispatcher, post_with
from shared.alerts.events import Event, run_ended_event, scheduled_backup_missed_event, tenant_unhealthy_event
from shared.alerts.vault import webhook_vault
from shared.auth.roles import Role
from shared.jobs.scheduled_backups import StartedSlot
from shared.notifications import notify_run
from shared.runs.model import FLEET, Run, RunStatus
from shared.schedules import SCHEDULED_BACKUP
from shared.services import Services
from shared.tenants import HealthStatus, Tenant

UNHEALTHY = frozenset(
    {HealthStatus.CONSENT_MISSING, HealthStatus.PERMISSIONS_MISSING, HealthStatus.UNREACHABLE}
)


@functools.cache
def _session() -> requests.Session:
    """One connection pool per worker for every receiver."""
    return requests.Session()


def dispatcher(services: Services) -> Dispatcher:
    settings = services.settings
    return Dispatcher.of(
        services.account,
        lambda name: webhook_vault(settings).read(name),
        post_with(_session(), allow_loopback_http=settings.is_local),
        settings.alerts,
    )


def announce_run_end(services: Services, run: Run) -> Event | None:
    """Publish the run's end to the webhooks, and wake the admins of a failed scheduled backup.
    Safe to call again: notifications and deliveries are each recorded once."""
    if run.tenant_id == FLEET:
        return None  # a fleet run's tenants each publish their own backup's end
    tenant = services.tenants.get(run.tenant_id)
    event = run_ended_event(
        run, tenant.display_name if tenant else run.tenant_id, services.settings.alerts.public_base_url
    )
    if event is None:
        return None
    if run.run_type == SCHEDULED_BACKUP and run.status is RunStatus.FAILED:
        for member in services.memberships.members_of(run.tenant_id):
            if member.role.includes(Role.ADMIN):
                notify_run(services.notifications, run, recipient=member.principal)
    dispatcher(services).publish(event)
    return event


def announce_health(services: Services, before: Tenant, after: Tenant) -> Event | None:
    """A tenant that turned unhealthy at this verification (not one that stays so: no daily repeat)."""
    health = after.health
    if health.status not in UNHEALTHY or before.health.status is health.status or health.checked_at is None:
        return None
    event = tenant_unhealthy_event(
        after.tenant_id, after.display_name, health.status.value, health.checked_at, health.detail
    )
    dispatcher(services).publish(event)
    return event


def announce_missed(services: Services, slot: StartedSlot, now: datetime) -> Event | None:
    """Publish the slots a schedule missed before the one the timer started now (none: nothing)."""
    if not slot.missed:
        return None
    tenant = services.tenants.get(slot.tenant_id)
    event = scheduled_backup_missed_event(
        slot.tenant_id,
        tenant.display_name if tenant else slot.tenant_id,
        slot.schedule_id,
        slot.missed,
        (slot.slot, slot.run_id),
        now,
        services.settings.alerts.public_base_url,
    )
    dispatcher(services).publish(event)
    return event
