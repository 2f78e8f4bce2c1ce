"""Fleet routes: one request backs up many tenants, or rolls a baseline out to them (docs/fleet.md).

`POST /api/backups` is not tenant-scoped: the gate authenticates, and the caller's role is checked
per tenant here (`shared.jobs.fleet.fleet_targets`): a tenant named without the operator role refuses
the whole request (403), nothing started.
"""

from __future__ import annotations

import asyncio
import logging

import azure.durable_functions as df
import azure.functions as func

from shared.api import models
from shared.api.operations import operation
from shared.auth.gate import authenticated_route
from shared.auth.principal import Principal
from shared.auth.roles import PLATFORM_ADMIN_ROLE
from shared.http.body import json_body
from shared.http.response import json_response
from shared.jobs.fleet import (
    FleetRequest,
    InvalidFleetRequest,
    NoTenantToBackUp,
    fleet_targets,
    fleet_view,
    parse_fleet_tenants,
    request_fleet_backup,
)
from shared.jobs.fleet_cancel import cancel_fleet, plan_fleet_cancel
from shared.jobs.fleet_restore import PreviewNotInFleet, request_fleet_restore
from shared.jobs.messages import Orchestrator
from shared.jobs.reconcile import RunNotActive
from shared.jobs.restore_request import RESTORE_PROBLEMS
from shared.runs import Run, get_run
from shared.runs.errors import RunNotFound
from shared.runs.model import FLEET, RUN_ID_PATTERN
from shared.runs.status import RETRY_AFTER_SECONDS
from shared.services import services
from triggers.reconcile import reconcile
from triggers.start import ensure_started

bp = df.Blueprint()
log = logging.getLogger(__name__)


@bp.route(route="api/backups", methods=["POST"])
@bp.durable_client_input(client_name="client")
@operation(
    "Back up many tenants",
    response=models.FleetAccepted,
    status=202,
    long_running=True,
    body=models.FleetBackupRequest,
    problems=(InvalidFleetRequest, NoTenantToBackUp),
    visibility="advanced",
)
@authenticated_route()
async def start_fleet_backup(
    req: func.HttpRequest, client: df.DurableOrchestrationClient, principal: Principal
) -> func.HttpResponse:
    """202 with the fleet run and one backup run per tenant (each deduped per tenant); the same
    tenants again while it is active give the same fleet run (`reused`)."""
    named = parse_fleet_tenants(json_body(req, invalid=InvalidFleetRequest))
    svc = services()

    def request() -> FleetRequest:
        return request_fleet_backup(svc, principal, fleet_targets(svc, principal, named))

    fleet = await asyncio.to_thread(request)
    return await _accepted(req, client, fleet, Orchestrator.TENANT_BACKUP)


async def _accepted(
    req: func.HttpRequest, client: df.DurableOrchestrationClient, fleet: FleetRequest, child: Orchestrator
) -> func.HttpResponse:
    """Start the children's orchestrations, then the parent's; 202 with the parent and its tenants."""
    for started in fleet.children:
        await ensure_started(client, started.run, started.reused, child)
    await ensure_started(client, fleet.parent, fleet.reused, Orchestrator.FLEET_RUN)
    location = f"{req.url.split('/api/', 1)[0]}/api/fleet/runs/{fleet.parent.run_id}"
    svc = services()
    view = await asyncio.to_thread(fleet_view, svc, get_run(svc.runs, FLEET, fleet.parent.run_id))
    return json_response(
        {**view, "reused": fleet.reused, "statusUrl": location},
        202,
        {"Location": location, "Retry-After": str(RETRY_AFTER_SECONDS)},
    )


@bp.route(route="api/restores", methods=["POST"])
@bp.durable_client_input(client_name="client")
@operation("Roll a baseline out to many tenants", response=models.FleetAccepted, status=202,
           long_running=True, body=models.FleetRestoreRequest,
           problems=(InvalidFleetRequest, PreviewNotInFleet, *RESTORE_PROBLEMS), visibility="advanced")
@authenticated_route()
async def start_fleet_restore(
    req: func.HttpRequest, client: df.DurableOrchestrationClient, principal: Principal
) -> func.HttpResponse:
    """`mode: preview`: one preview per tenant of one source (operator on each); `mode: live` with the
    fleet preview's `fleetRunId` and `confirm: true`: the previews written into the tenants confirmed
    (admin on each). Nothing is started when one tenant refuses."""
    body = json_body(req, invalid=InvalidFleetRequest)
    fleet = await asyncio.to_thread(request_fleet_restore, services(), principal, body)
    return await _accepted(req, client, fleet, Orchestrator.RESTORE)


@bp.route(route="api/fleet/runs/{fleetRunId}", methods=["GET"])
@bp.durable_client_input(client_name="client")
@operation("Get a fleet run", response=models.FleetRun, visibility="advanced")
@authenticated_route()
async def get_fleet_run(
    req: func.HttpRequest, client: df.DurableOrchestrationClient, principal: Principal
) -> func.HttpResponse:
    """The fleet run with each tenant's backup run; its requester and platform admins see it (404 else)."""
    run = await asyncio.to_thread(_visible_run, principal, req.route_params["fleetRunId"])
    run, _ = await reconcile(client, run)
    return json_response(await asyncio.to_thread(fleet_view, services(), run))


@bp.route(route="api/fleet/runs/{fleetRunId}/cancel", methods=["POST"])
@bp.durable_client_input(client_name="client")
@operation(
    "Cancel a fleet run", response=models.FleetCancelled, problems=(RunNotActive,), visibility="advanced"
)
@authenticated_route()
async def cancel_fleet_run(
    req: func.HttpRequest, client: df.DurableOrchestrationClient, principal: Principal
) -> func.HttpResponse:
    """Cancel each active tenant run of the fleet run the caller may cancel (operators: the runs they
    requested; admins: any), then the fleet run; `leftRunning` names the others with the reason.
    409 `run.not_active` when the fleet run has ended."""
    svc = services()
    parent = await asyncio.to_thread(_visible_run, principal, req.route_params["fleetRunId"])
    plan = await asyncio.to_thread(plan_fleet_cancel, svc, principal, parent)
    for _, child in plan.cancellable:
        await _terminate(client, child.instance_id, principal)
    await _terminate(client, parent.instance_id, principal)
    cancelled = await asyncio.to_thread(cancel_fleet, svc, principal, parent, plan)
    view = await asyncio.to_thread(fleet_view, svc, cancelled)
    return json_response({**view, "leftRunning": plan.left_running})


async def _terminate(client: df.DurableOrchestrationClient, instance_id: str, principal: Principal) -> None:
    try:
        await client.terminate(instance_id, f"Cancelled by {principal.key}")
    except Exception as exc:  # noqa: BLE001 - the durable client raises bare Exception: not found, ended
        log.info("Terminate of %s refused (%s); its run ends as cancelled all the same", instance_id, exc)


def _visible_run(principal: Principal, run_id: str) -> Run:
    if not RUN_ID_PATTERN.match(run_id):
        raise RunNotFound(f"Fleet run {run_id[:40]!r} was not found.")
    run = get_run(services().runs, FLEET, run_id)
    if run.requested_by != principal.key and PLATFORM_ADMIN_ROLE not in principal.app_roles:
        raise RunNotFound(f"Fleet run {run_id} was not found.")
    return run
