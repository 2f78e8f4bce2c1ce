"""`GET /api/tenants/{tenantId}/audit`: the tenant's trail, newest first, by action and time."""

from __future__ import annotations

from typing import Any

import azure.functions as func

from shared.api import models
from shared.api.operations import operation
from shared.api.params import AUDIT_ACTION, PAGED, SINCE, UNTIL
from shared.audit import AuditEvent, InvalidAuditQuery
from shared.auth.authorize import TenantAccess
from shared.auth.gate import tenant_route
from shared.auth.roles import Role
from shared.http.request import page_params, time_param
from shared.http.response import json_response, page_body
from shared.services import services

bp = func.Blueprint()


@bp.route(route="api/tenants/{tenantId}/audit", methods=["GET"])
@operation("List audit events", response=models.AuditPage, query=(*PAGED, AUDIT_ACTION, SINCE, UNTIL),
           problems=(InvalidAuditQuery,))
@tenant_route(Role.READER, action="audit.list")
def list_audit(req: func.HttpRequest, access: TenantAccess) -> func.HttpResponse:
    """`action` (exact), `since` (inclusive) and `until` (exclusive, ISO 8601 with a zone), paged."""
    size, token = page_params(req)
    page = services().audit.query(
        access.tenant_id,
        action=req.params.get("action") or None,
        since=time_param(req, "since"),
        until=time_param(req, "until"),
        page_size=size,
        continuation=token,
    )
    return json_response(page_body(page, _event_api))


def _event_api(event: AuditEvent) -> dict[str, Any]:
    return {
        "id": event.id,
        "at": event.at.isoformat(),
        "actor": event.actor,
        "action": event.action,
        "outcome": str(event.outcome),
        "runId": event.run_id,
        "details": event.details,
    }
