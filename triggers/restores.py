"""Restore routes: start a preview or a live restore, and retry the failed items of a live one.

Both answer 202 with the run (`reused` when one with the same dedupe key is active) and
`Location` = its status URL; no Graph call is made on the request path. The codes of every
refusal are listed in `shared.jobs.restore_request`.
"""

from __future__ import annotations

import asyncio
import logging

import azure.durable_functions as df
import azure.functions as func

from shared.auth.authorize import TenantAccess
from shared.auth.gate import tenant_route
from shared.auth.roles import Role
from shared.http.request import flag_param
from shared.http.response import json_response
from shared.jobs.messages import Orchestrator
from shared.jobs.restore_request import parse_body, request_restore, request_retry
from shared.notifications import run_link
from shared.runs import Run
from shared.runs.status import FAIL_ON_ERROR_PARAM, RETRY_AFTER_SECONDS, api_base_of, status_url
from shared.services import services
from triggers.start import ensure_started

bp = df.Blueprint()
log = logging.getLogger(__name__)


@bp.route(route="api/tenants/{tenantId}/restores", methods=["POST"])
@bp.durable_client_input(client_name="client")
@tenant_route(Role.OPERATOR, action="restore.request")
async def start_restore(
    req: func.HttpRequest, client: df.DurableOrchestrationClient, access: TenantAccess
) -> func.HttpResponse:
    """`mode: preview` (operator) or `mode: live` with `previewRunId` and `confirm: true` (admin)."""
    body = parse_body(req.get_body())
    run, reused = await asyncio.to_thread(request_restore, services(), access, body)
    return await _accepted(req, client, run, reused)


@bp.route(route="api/tenants/{tenantId}/runs/{runId}/retry", methods=["POST"])
@bp.durable_client_input(client_name="client")
@tenant_route(Role.OPERATOR, action="restore.retry")
async def retry_restore(
    req: func.HttpRequest, client: df.DurableOrchestrationClient, access: TenantAccess
) -> func.HttpResponse:
    """A new live run with only the failed items of an ended live restore (admin, `confirm: true`)."""
    body = parse_body(req.get_body())
    run, reused = await asyncio.to_thread(request_retry, services(), access, req.route_params["runId"], body)
    return await _accepted(req, client, run, reused)


async def _accepted(
    req: func.HttpRequest, client: df.DurableOrchestrationClient, run: Run, reused: bool
) -> func.HttpResponse:
    fail_on_error = flag_param(req, FAIL_ON_ERROR_PARAM)
    await ensure_started(client, run, reused, Orchestrator.RESTORE)
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
