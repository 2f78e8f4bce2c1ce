"""The schedule timer: every minute, start the tenant backup of every due schedule slot, then prune
each started schedule's tenant under its retention (one `backup.retention` run per slot).

Thin on purpose: the loop and its exactly-once guards are `shared.jobs.scheduled_backups`, the
pruning `shared.jobs.retention`; this adapter gives them the clock, the storage and an
orchestration start backed by the durable client.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta

import azure.durable_functions as df
import azure.functions as func
from azure.core.exceptions import AzureError

from shared.config.errors import ConfigurationError
from shared.jobs.messages import Orchestrator, RunRef
from shared.jobs.retention import prune_after_slots
from shared.jobs.retention_store import TableBackupSets
from shared.jobs.retention_sweep import freer
from shared.jobs.run_alerts import announce_missed
from shared.jobs.scheduled_backups import OrchestrationStartFailed, StartBackup, start_due_backups
from shared.schedules import ScheduleStore
from shared.services import services
from triggers.start import start_once

bp = df.Blueprint()
log = logging.getLogger(__name__)

EVERY_MINUTE = "0 * * * * *"
"""Schedules have at most one slot an hour, so a minute is how late a slot may start, not a cost."""


@bp.timer_trigger(schedule=EVERY_MINUTE, arg_name="timer", run_on_startup=False)
@bp.durable_client_input(client_name="client")
async def start_scheduled_backups(timer: func.TimerRequest, client: df.DurableOrchestrationClient) -> None:
    if timer.past_due:
        log.info("Schedule timer is past due; the latest slot of each schedule is started once")
    loop = asyncio.get_running_loop()

    def start(orchestrator: Orchestrator, instance_id: str, payload: RunRef) -> None:
        future = asyncio.run_coroutine_threadsafe(
            _start_once(client, orchestrator, instance_id, payload), loop
        )
        future.result()

    await asyncio.to_thread(_tick, start)


def _tick(start: StartBackup) -> None:
    svc = services()
    now = datetime.now(UTC)
    started = start_due_backups(ScheduleStore(svc.account), svc.runs, svc.tenants, start, now)
    for slot in started:
        try:
            announce_missed(svc, slot, now)
        except (AzureError, ConfigurationError) as exc:
            # The slots stay in the log (start_due_backups warned); a later tick does not see them again.
            log.warning("Missed-slot alert of schedule %s not sent: %s", slot.schedule_id, type(exc).__name__)
    grace = timedelta(hours=svc.settings.runs.retention_grace_hours)
    prune_after_slots(svc.runs, TableBackupSets(svc.account), started, now, freer(svc.account, grace))


async def _start_once(
    client: df.DurableOrchestrationClient, orchestrator: Orchestrator, instance_id: str, payload: RunRef
) -> None:
    """Start the instance; one that already exists (an earlier tick started it) is fine."""
    try:
        await start_once(client, orchestrator, instance_id, payload)
    except Exception as exc:  # the durable client raises bare Exception
        raise OrchestrationStartFailed(f"{orchestrator} {instance_id}: {exc}") from exc
