"""Restore routes: start a preview or a live restore, and retry the failed items of a live restore
or of a backup.

Both answer 202 with the run (`reused` when one with the same dedupe key is active) and
`Location` = its status URL; no Graph call is made on the request path. The codes of every
refusal are listed in `shared.jobs.restore_request` and, for a backup's retry, `shared.jobs.retry`.
"""

from __future__ import annotations

import asyncio
import logging

import azure.durable_functions as df
import azure.functions as func

from shared.api import models
from shared.api.operations import STARTS, operation
from shared.api.params import FAIL_ON_ERROR
from shared.auth.authorize import TenantAccess
from shared.auth.gate import tenant_route
from shared.auth.roles import Role
from shared.http.body import json_body
from shared.http.request import flag_param
from shared.http.response import json_response
from shared.jobs.messages import Orchestrator
from shared.jobs.restore_request import (
    RESTORE_PROBLEMS,
    InvalidRestoreRequest,
    parse_body,
    request_restore,
)
from shared.jobs.retry import RETRY_PROBLEMS, request_retry
from shared.notifications import run_link
from shared.runs import Run
from shared.runs.status import FAIL_ON_ERROR_PARAM, RETRY_AFTER_SECONDS, api_base_of, status_url
from shared.services import services
from triggers.start import ensure_started

bp = df.Blueprint()
log = logging.getLogger(__name__)


@bp.route(route="api/tenants/{tenantId}/restores", methods=["POST"])
@bp.durable_client_input(client_name="client")
@operation("Restore (preview or live)", response=models.RestoreAccepted, status=202, long_running=True,
           body=models.RestoreRequest, query=(FAIL_ON_ERROR,), problems=(*STARTS, *RESTORE_PROBLEMS))
@tenant_route(Role.OPERATOR, action="restore.request")
async def start_restore(
    req: func.HttpRequest, client: df.DurableOrchestrationClient, access: TenantAccess
) -> func.HttpResponse:
    """`mode: preview` (operator) or `mode: live` with `previewRunId` and `confirm: true` (admin)."""
    fail_on_error = flag_param(req, FAIL_ON_ERROR_PARAM)
    body = parse_body(json_body(req, invalid=InvalidRestoreRequest))
    run, reused = await asyncio.to_thread(request_restore, services(), access, body)
    return await _accepted(req, client, run, reused, fail_on_error, Orchestrator.RESTORE)


@bp.route(route="api/tenants/{tenantId}/runs/{runId}/retry", methods=["POST"])
@bp.durable_client_input(client_name="client")
@operation("Retry a run's failed items", response=models.RestoreAccepted, status=202, long_running=True,
           body=models.RetryRequest, query=(FAIL_ON_ERROR,), problems=(*STARTS, *RETRY_PROBLEMS),
           visibility="advanced")
@tenant_route(Role.OPERATOR, action="run.retry")
async def retry_restore(
    req: func.HttpRequest, client: df.DurableOrchestrationClient, access: TenantAccess
) -> func.HttpResponse:
    """A new run with only the failed items of an ended one: a live restore's (admin, `confirm: true`)
    or a backup's (operator)."""
    fail_on_error = flag_param(req, FAIL_ON_ERROR_PARAM)
    body = parse_body(json_body(req, invalid=InvalidRestoreRequest))
    run, reused, orchestrator = await asyncio.to_thread(
        request_retry, services(), access, req.route_params["runId"], body
    )
    return await _accepted(req, client, run, reused, fail_on_error, orchestrator)


async def _accepted(
    req: func.HttpRequest,
    client: df.DurableOrchestrationClient,
    run: Run,
    reused: bool,
    fail_on_error: bool,
    orchestrator: Orchestrator,
) -> func.HttpResponse:
    """Every parameter is read before the run is recorded: a request refused after that would leave
    a run (and its `.requested` audit event) behind."""
    await ensure_started(client, run, reused, orchestrator)
    location = status_url(api_base_of(req.url), run.tenant_id, run.run_id, fail_on_error=fail_on_error)
    return json_response(
        {
            **run.to_api(),
            "reused": reused,
            "statusUrl": location,
            "link": run_link(run.tenant_id, run.run_id),
        },
        202,
        {"Location": location, "Retry-After": str(RETRY_AFTER_SECONDS)},
    )
