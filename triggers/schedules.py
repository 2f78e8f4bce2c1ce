"""Schedule routes: CRUD of a tenant's backup schedules, with ETags against lost updates.

Roles: `admin` creates, changes and deletes (a schedule spends the tenant's Graph budget and decides
what retention deletes); `reader` may list and view, as for every other read surface.
Concurrency: every answer carrying a schedule has its `ETag`. `PUT` requires `If-Match` (428
without it: an update written over a version the caller never saw loses someone's change), and
answers 412 when it no longer matches. `DELETE` honours `If-Match` when sent and accepts its
absence (or `*`): deleting needs no knowledge of the current content.
Every change is audited (`schedule.created` / `.updated` / `.deleted`); refused ones by the gate.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import azure.functions as func

from shared.api import models
from shared.api.operations import operation
from shared.api.params import IF_MATCH, IF_MATCH_REQUIRED, PAGED
from shared.audit import AuditOutcome
from shared.auth.authorize import TenantAccess
from shared.auth.gate import tenant_route
from shared.auth.roles import Role
from shared.http.body import json_body
from shared.http.problems import ProblemError
from shared.http.request import page_params
from shared.http.response import json_response, page_body
from shared.schedules import InvalidScheduleField, Schedule, ScheduleStore, parse_schedule_spec
from shared.schedules.access import schedule_for_access
from shared.schedules.errors import SPEC_PROBLEMS, ScheduleConflict
from shared.services import Services, services

bp = func.Blueprint()

SCHEDULES_ROUTE = "api/tenants/{tenantId}/schedules"
SCHEDULE_ROUTE = SCHEDULES_ROUTE + "/{scheduleId}"


class PreconditionRequired(ProblemError):
    status = 428
    code = "schedule.precondition_required"
    title = "The update needs the schedule's ETag in If-Match."


ETAG = "The schedule's version: send it back as `If-Match` to change it."


@bp.route(route=SCHEDULES_ROUTE, methods=["GET"])
@operation("List backup schedules", response=models.SchedulePage, query=PAGED, visibility="advanced")
@tenant_route(Role.READER, action="schedule.list")
def list_schedules(req: func.HttpRequest, access: TenantAccess) -> func.HttpResponse:
    """The tenant's schedules, paged (`pageSize`, `continuationToken`)."""
    size, token = page_params(req)
    page = ScheduleStore(services().account).list(access.tenant_id, page_size=size, continuation=token)
    return json_response(page_body(page, _with_etag))


@bp.route(route=SCHEDULES_ROUTE, methods=["POST"])
@operation("Create a backup schedule", response=models.Schedule, status=201, body=models.ScheduleSpec,
           response_headers={"Location": "The schedule's URL.", "ETag": ETAG}, problems=SPEC_PROBLEMS,
           visibility="advanced")
@tenant_route(Role.ADMIN, action="schedule.create")
def create_schedule(req: func.HttpRequest, access: TenantAccess) -> func.HttpResponse:
    """201 with the schedule, `Location` and `ETag`; its first slot is the first one after now."""
    spec = parse_schedule_spec(json_body(req, invalid=InvalidScheduleField))
    svc = services()
    schedule = ScheduleStore(svc.account).create(access.tenant_id, spec, access.principal.key, _now())
    _audit(svc, access, "schedule.created", schedule)
    location = req.url.split("?", 1)[0].rstrip("/") + "/" + schedule.schedule_id
    return _schedule_response(schedule, 201, {"Location": location})


@bp.route(route=SCHEDULE_ROUTE, methods=["GET"])
@operation("Get a backup schedule", response=models.Schedule, response_headers={"ETag": ETAG},
           visibility="advanced")
@tenant_route(Role.READER, action="schedule.view")
def get_schedule(req: func.HttpRequest, access: TenantAccess) -> func.HttpResponse:
    schedule = _named(req, access, "schedule.view")
    return _schedule_response(schedule)


@bp.route(route=SCHEDULE_ROUTE, methods=["PUT"])
@operation("Change a backup schedule", response=models.Schedule, body=models.ScheduleSpec,
           response_headers={"ETag": ETAG}, headers=(IF_MATCH_REQUIRED,),
           problems=(*SPEC_PROBLEMS, PreconditionRequired, ScheduleConflict), visibility="advanced")
@tenant_route(Role.ADMIN, action="schedule.update")
def update_schedule(req: func.HttpRequest, access: TenantAccess) -> func.HttpResponse:
    """Replace cron, time zone, retention and enabled; `If-Match` required (428), 412 when stale."""
    svc, store = _stores()
    current = _named(req, access, "schedule.update")
    etag = _if_match(req)
    if etag is None:
        raise PreconditionRequired("Send the ETag of the schedule you read as If-Match (or `*`).")
    spec = parse_schedule_spec(json_body(req, invalid=InvalidScheduleField))
    expected = None if etag == "*" else etag
    schedule = store.update(
        access.tenant_id, current.schedule_id, spec, access.principal.key, expected, _now()
    )
    _audit(svc, access, "schedule.updated", schedule, before=current)
    return _schedule_response(schedule)


@bp.route(route=SCHEDULE_ROUTE, methods=["DELETE"])
@operation("Delete a backup schedule", status=204, headers=(IF_MATCH,), problems=(ScheduleConflict,),
           visibility="advanced")
@tenant_route(Role.ADMIN, action="schedule.delete")
def delete_schedule(req: func.HttpRequest, access: TenantAccess) -> func.HttpResponse:
    """204; `If-Match` optional (412 when sent and stale). Backup sets it made are kept."""
    svc, store = _stores()
    current = _named(req, access, "schedule.delete")
    etag = _if_match(req)
    store.delete(access.tenant_id, current.schedule_id, None if etag in (None, "*") else etag)
    _audit(svc, access, "schedule.deleted", current)
    return func.HttpResponse(status_code=204, headers={"Cache-Control": "no-store"})


def _named(req: func.HttpRequest, access: TenantAccess, action: str) -> Schedule:
    """The route's schedule: 404 when unknown, 403 when another tenant's (see shared.schedules.access)."""
    svc, store = _stores()
    return schedule_for_access(svc, store, access, req.route_params["scheduleId"], action=action)


def _stores() -> tuple[Services, ScheduleStore]:
    svc = services()
    return svc, ScheduleStore(svc.account)




def _if_match(req: func.HttpRequest) -> str | None:
    return req.headers.get("If-Match") or None


def _with_etag(schedule: Schedule) -> dict[str, Any]:
    return {**schedule.to_api(), "etag": schedule.etag}


def _schedule_response(
    schedule: Schedule, status: int = 200, headers: dict[str, str] | None = None
) -> func.HttpResponse:
    return json_response(_with_etag(schedule), status, {"ETag": schedule.etag or "", **(headers or {})})


def _audit(
    svc: Services, access: TenantAccess, action: str, schedule: Schedule, before: Schedule | None = None
) -> None:
    details: dict[str, Any] = {"scheduleId": schedule.schedule_id, "schedule": schedule.to_api()}
    if before is not None:
        details["before"] = before.to_api()
    svc.audit.record(access.tenant_id, action, access.principal.key, AuditOutcome.SUCCEEDED, details=details)


def _now() -> datetime:
    return datetime.now(UTC)
