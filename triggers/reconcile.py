"""Runs reconciled with the engine: on a timer for every active run, and on each read of an active run
(`reconcile`, used by the run routes). The decisions are `shared.jobs.reconcile.judge`'s."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime

import azure.durable_functions as df
import azure.functions as func

from shared.jobs.reconcile import Instance, Verdict, active_runs, fail_orphan, judge, orchestration_for
from shared.runs import Run
from shared.services import services
from triggers.start import start_once

bp = df.Blueprint()
log = logging.getLogger(__name__)

EVERY_FIVE_MINUTES = "0 */5 * * * *"
"""An orphaned run holds its tenant's dedupe key until this finds it, or until someone reads it."""


@bp.timer_trigger(schedule=EVERY_FIVE_MINUTES, arg_name="timer", run_on_startup=False)
@bp.durable_client_input(client_name="client")
async def reconcile_runs(timer: func.TimerRequest, client: df.DurableOrchestrationClient) -> None:
    runs = await asyncio.to_thread(lambda: list(active_runs(services().runs)))
    verdicts = [await reconcile(client, run) for run in runs]
    acted = [v for _, v in verdicts if v is not Verdict.KEEP]
    log.info("Reconciled %d active run(s): %d needed action", len(runs), len(acted))


async def reconcile(client: df.DurableOrchestrationClient, run: Run) -> tuple[Run, Verdict]:
    """The run after comparing it with its orchestration (unchanged unless the two had parted ways)."""
    if not run.status.is_active:
        return run, Verdict.KEEP
    status = await client.get_status(run.instance_id)
    instance = None
    if status and status.runtime_status is not None:
        updated = status.last_updated_time
        if updated is not None and updated.tzinfo is None:
            updated = updated.replace(tzinfo=UTC)
        instance = Instance(status.runtime_status.value, updated)
    svc = services()
    verdict, reason = judge(run, instance, datetime.now(UTC), svc.settings.runs)
    if verdict is Verdict.FAIL:
        return await asyncio.to_thread(fail_orphan, svc, run, reason), verdict
    if verdict is Verdict.START:
        orchestrator, payload = orchestration_for(run)
        await start_once(client, orchestrator, run.instance_id, payload)
        log.warning("Run %s reconciled: %s", run.run_id, reason)
    elif verdict is Verdict.STALLED:
        log.warning("Run %s of tenant %s: %s", run.run_id, run.tenant_id, reason)
    return run, verdict
