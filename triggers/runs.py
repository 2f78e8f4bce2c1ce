"""Run routes: list, view, items, the status URL that asynchronous callers poll, and cancel.

Reading an active run (view, status) first reconciles it with its orchestration, so a caller polling a
run whose orchestration is gone sees it end instead of waiting for the timer."""

from __future__ import annotations

import asyncio
import logging

import azure.durable_functions as df
import azure.functions as func

from shared.api import models
from shared.api.operations import POLLING_HEADERS, Answer, operation
from shared.api.params import FAIL_ON_ERROR, ITEM_OUTCOME, PAGED, RUN_STATUS, RUN_TYPE
from shared.auth.authorize import TenantAccess
from shared.auth.gate import tenant_route
from shared.auth.roles import Role
from shared.http.problems import PROBLEM_CONTENT_TYPE
from shared.http.request import choice_param, flag_param, page_params
from shared.http.response import json_response, page_body
from shared.jobs.reconcile import CANCEL_ACTION, RunNotActive, cancel_run, check_cancel
from shared.runs import ItemOutcome, ItemResult, Run, RunStatus, list_items, list_runs
from shared.runs.access import run_for_access
from shared.runs.status import (
    FAIL_ON_ERROR_PARAM,
    RunCancelled,
    RunFailed,
    api_base_of,
    status_answer,
    status_url,
)
from shared.services import services
from triggers.reconcile import reconcile

bp = df.Blueprint()
log = logging.getLogger(__name__)

_RUN_TYPE_MAX_CHARS = 64


@bp.route(route="api/tenants/{tenantId}/runs", methods=["GET"])
@operation("List runs", response=models.RunPage, query=(*PAGED, RUN_STATUS, RUN_TYPE))
@tenant_route(Role.READER, action="runs.list")
def list_tenant_runs(req: func.HttpRequest, access: TenantAccess) -> func.HttpResponse:
    """Newest first; `status`, `type`, `pageSize` and `continuationToken` narrow and page."""
    size, token = page_params(req)
    run_type = choice_param(req, "type", _run_type)
    page = list_runs(
        services().runs,
        access.tenant_id,
        status=choice_param(req, "status", RunStatus),
        run_type=run_type,
        page_size=size,
        continuation=token,
    )
    return json_response(page_body(page, Run.to_api))


@bp.route(route="api/tenants/{tenantId}/runs/{runId}", methods=["GET"])
@bp.durable_client_input(client_name="client")
@operation("Get a run", response=models.Run)
@tenant_route(Role.READER, action="runs.view")
async def get_tenant_run(
    req: func.HttpRequest, client: df.DurableOrchestrationClient, access: TenantAccess
) -> func.HttpResponse:
    run = await asyncio.to_thread(
        run_for_access, services(), access, req.route_params["runId"], action="runs.view"
    )
    run, _ = await reconcile(client, run)
    return json_response(run.to_api())


@bp.route(route="api/tenants/{tenantId}/runs/{runId}/cancel", methods=["POST"])
@bp.durable_client_input(client_name="client")
@operation("Cancel a run", response=models.Run, problems=(RunNotActive,), visibility="advanced")
@tenant_route(Role.OPERATOR, action=CANCEL_ACTION)
async def cancel_tenant_run(
    req: func.HttpRequest, client: df.DurableOrchestrationClient, access: TenantAccess
) -> func.HttpResponse:
    """Terminate the run's orchestration and end the run `cancelled` (operators: their own runs; admins:
    any); the items done so far stay. 409 `run.not_active` for an ended run."""
    run = await asyncio.to_thread(
        run_for_access, services(), access, req.route_params["runId"], action=CANCEL_ACTION
    )
    check_cancel(access, run)
    try:
        await client.terminate(run.instance_id, f"Cancelled by {access.principal.key}")
    except Exception as exc:  # noqa: BLE001 - the durable client raises bare Exception: not found, ended
        log.info("Terminate of %s refused (%s); the run ends as cancelled all the same", run.instance_id, exc)
    cancelled = await asyncio.to_thread(cancel_run, services(), access, run)
    return json_response(cancelled.to_api())


@bp.route(route="api/tenants/{tenantId}/runs/{runId}/items", methods=["GET"])
@operation("List a run's items", response=models.RunItemPage, query=(*PAGED, ITEM_OUTCOME))
@tenant_route(Role.READER, action="runs.items")
def list_run_items(req: func.HttpRequest, access: TenantAccess) -> func.HttpResponse:
    """In item-ID order; `outcome`, `pageSize` and `continuationToken` narrow and page."""
    run = run_for_access(services(), access, req.route_params["runId"], action="runs.items")
    size, token = page_params(req)
    page = list_items(
        services().runs,
        run,
        outcome=choice_param(req, "outcome", ItemOutcome),
        page_size=size,
        continuation=token,
    )
    return json_response(page_body(page, ItemResult.to_api))


@bp.route(route="api/tenants/{tenantId}/runs/{runId}/status", methods=["GET"])
@bp.durable_client_input(client_name="client")
@operation("Get a run's status", response=models.Run, query=(FAIL_ON_ERROR,),
           problems=(RunFailed, RunCancelled),
           also=(Answer(202, models.Run, "Queued or running: poll again.", POLLING_HEADERS),),
           visibility="internal")
@tenant_route(Role.READER, action="runs.status")
async def run_status(
    req: func.HttpRequest, client: df.DurableOrchestrationClient, access: TenantAccess
) -> func.HttpResponse:
    """202 while the run is active, then 200 (or 422 for a failure with `failOnError=true`)."""
    fail_on_error = flag_param(req, FAIL_ON_ERROR_PARAM)
    run = await asyncio.to_thread(
        run_for_access, services(), access, req.route_params["runId"], action="runs.status"
    )
    run, _ = await reconcile(client, run)
    url = status_url(api_base_of(req.url), run.tenant_id, run.run_id, fail_on_error=fail_on_error)
    answer = status_answer(run, url, fail_on_error=fail_on_error)
    mimetype = PROBLEM_CONTENT_TYPE if answer.status_code >= 400 else "application/json"
    return json_response(answer.body, answer.status_code, answer.headers, mimetype)


def _run_type(value: str) -> str:
    if not value or len(value) > _RUN_TYPE_MAX_CHARS:
        raise ValueError(value)
    return value
