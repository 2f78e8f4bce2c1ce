"""Policy routes: capture a snapshot (a background run) and read a policy's stored versions."""

from __future__ import annotations

import asyncio
import logging

import azure.durable_functions as df
import azure.functions as func

from shared.api import models
from shared.api.operations import STARTS, operation
from shared.api.params import FAIL_ON_ERROR, PAGED
from shared.auth.authorize import TenantAccess
from shared.auth.gate import tenant_route
from shared.auth.roles import Role
from shared.http.request import flag_param, object_id_param, page_params
from shared.http.response import json_response, page_body
from shared.intune.versions import PolicyVersion, get_version, get_version_content, list_versions
from shared.jobs.capture_snapshot import RUN_TYPE, check_policy_type, request_capture
from shared.jobs.messages import CaptureJob, Orchestrator
from shared.runs.status import FAIL_ON_ERROR_PARAM, RETRY_AFTER_SECONDS, api_base_of, status_url
from shared.services import services
from triggers.start import ensure_started

bp = df.Blueprint()
log = logging.getLogger(__name__)

POLICY_ROUTE = "api/tenants/{tenantId}/policies/{policyType}/{policyId}"


@bp.route(route=POLICY_ROUTE + "/snapshots", methods=["POST"])
@bp.durable_client_input(client_name="client")
@operation("Capture a policy", response=models.RunAccepted, status=202, long_running=True,
           query=(FAIL_ON_ERROR,), problems=STARTS)
@tenant_route(Role.OPERATOR, action=RUN_TYPE)
async def capture_snapshot(
    req: func.HttpRequest, client: df.DurableOrchestrationClient, access: TenantAccess
) -> func.HttpResponse:
    """202 with the run (`reused` says whether an active one was found) and `Location` = its status URL.

    `failOnError=true` is carried into `Location`, so a Logic App polling it sees a failed run as
    a 422. No Graph call is made here: the orchestration does the capture.
    """
    fail_on_error = flag_param(req, FAIL_ON_ERROR_PARAM)
    policy_type, policy_id = _policy_params(req)
    run, reused = await asyncio.to_thread(request_capture, services(), access, policy_type, policy_id)
    job = CaptureJob(tenant_id=run.tenant_id, run_id=run.run_id, policy_type=policy_type, policy_id=policy_id)
    await ensure_started(client, run, reused, Orchestrator.CAPTURE_POLICY_SNAPSHOT, job)
    location = status_url(api_base_of(req.url), run.tenant_id, run.run_id, fail_on_error=fail_on_error)
    return json_response(
        {**run.to_api(), "reused": reused, "statusUrl": location},
        202,
        {"Location": location, "Retry-After": str(RETRY_AFTER_SECONDS)},
    )


@bp.route(route=POLICY_ROUTE + "/versions", methods=["GET"])
@operation("List a policy's versions", response=models.PolicyVersionPage, query=PAGED)
@tenant_route(Role.READER, action="policy.versions.list")
def list_policy_versions(req: func.HttpRequest, access: TenantAccess) -> func.HttpResponse:
    """The policy's stored versions, newest first, paged."""
    policy_type, policy_id = _policy_params(req)
    size, token = page_params(req)
    page = list_versions(services().account, access.tenant_id, policy_type, policy_id, size, token)
    return json_response(page_body(page, PolicyVersion.to_api))


@bp.route(route=POLICY_ROUTE + "/versions/{versionId}", methods=["GET"])
@operation("Get a policy version", response=models.PolicyVersionContent)
@tenant_route(Role.READER, action="policy.versions.view")
def get_policy_version(req: func.HttpRequest, access: TenantAccess) -> func.HttpResponse:
    """One version with its captured `content` (the payload a restore would write)."""
    policy_type, policy_id = _policy_params(req)
    account = services().account
    version = get_version(
        account, access.tenant_id, req.route_params["versionId"], policy_type=policy_type, policy_id=policy_id
    )
    return json_response({**version.to_api(), "content": get_version_content(account, version)})


def _policy_params(req: func.HttpRequest) -> tuple[str, str]:
    return check_policy_type(req.route_params.get("policyType", "")), object_id_param(req, "policyId")
