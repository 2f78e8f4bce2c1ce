"""Backup routes: start a tenant backup (a background run), list, view and delete backup sets,
and the policy inventory the backups keep."""

from __future__ import annotations

import asyncio
import logging

import azure.durable_functions as df
import azure.functions as func

from shared.api import models
from shared.api.operations import STARTS, operation
from shared.api.params import FAIL_ON_ERROR, INCLUDE_ITEMS, NAME_PREFIX, PAGED, POLICY_TYPE_FILTER
from shared.audit import AuditOutcome
from shared.auth.authorize import TenantAccess
from shared.auth.gate import tenant_route
from shared.auth.roles import Role
from shared.backups.inventory import InventoryEntry, list_inventory
from shared.backups.report import to_html, to_markdown
from shared.backups.sets import (
    BackupSet,
    BackupSetBusy,
    BackupSetProtected,
    delete_backup_set,
    get_backup_set,
    get_manifest,
    list_backup_sets,
)
from shared.http.request import flag_param, page_params
from shared.http.response import json_response, page_body
from shared.intune.catalog import object_type
from shared.jobs.backup import RUN_TYPE, request_backup
from shared.jobs.backup_report import backup_report
from shared.jobs.messages import Orchestrator
from shared.runs.status import FAIL_ON_ERROR_PARAM, RETRY_AFTER_SECONDS, api_base_of, status_url
from shared.services import services
from shared.storage import names
from triggers.start import ensure_started

bp = df.Blueprint()
log = logging.getLogger(__name__)

BACKUPS_ROUTE = "api/tenants/{tenantId}/backups"
MARKDOWN = "text/markdown"
HTML = "text/html"


@bp.route(route=BACKUPS_ROUTE, methods=["POST"])
@bp.durable_client_input(client_name="client")
@operation("Back up a tenant", response=models.RunAccepted, status=202, long_running=True,
           query=(FAIL_ON_ERROR,), problems=STARTS)
@tenant_route(Role.OPERATOR, action=RUN_TYPE)
async def start_backup(
    req: func.HttpRequest, client: df.DurableOrchestrationClient, access: TenantAccess
) -> func.HttpResponse:
    """202 with the run (`reused` when one is active) and `Location` = its status URL; no Graph call."""
    fail_on_error = flag_param(req, FAIL_ON_ERROR_PARAM)
    run, reused = await asyncio.to_thread(request_backup, services(), access)
    await ensure_started(client, run, reused, Orchestrator.TENANT_BACKUP)
    location = status_url(api_base_of(req.url), run.tenant_id, run.run_id, fail_on_error=fail_on_error)
    return json_response(
        {**run.to_api(), "reused": reused, "statusUrl": location},
        202,
        {"Location": location, "Retry-After": str(RETRY_AFTER_SECONDS)},
    )


@bp.route(route=BACKUPS_ROUTE, methods=["GET"])
@operation("List backup sets", response=models.BackupSetPage, query=PAGED)
@tenant_route(Role.READER, action="backup.list")
def list_backups(req: func.HttpRequest, access: TenantAccess) -> func.HttpResponse:
    """Backup sets, newest first, paged."""
    size, token = page_params(req)
    page = list_backup_sets(services().account.table(names.BACKUP_SETS), access.tenant_id, size, token)
    return json_response(page_body(page, BackupSet.to_api))


@bp.route(route=BACKUPS_ROUTE + "/{backupId}", methods=["GET"])
@operation("Get a backup set", response=models.BackupSetItems, query=(INCLUDE_ITEMS,))
@tenant_route(Role.READER, action="backup.view")
def view_backup(req: func.HttpRequest, access: TenantAccess) -> func.HttpResponse:
    """One backup set with its counts per type; `includeItems=true` adds the manifest's entries."""
    account = services().account
    backup = get_backup_set(account.table(names.BACKUP_SETS), access.tenant_id, req.route_params["backupId"])
    body = backup.to_api()
    if flag_param(req, "includeItems"):
        body["items"] = get_manifest(account.container(names.MANIFESTS_CONTAINER), backup)["types"]
    return json_response(body)


@bp.route(route=BACKUPS_ROUTE + "/{backupId}/report", methods=["GET"])
@operation("Get a backup's as-built report (Markdown)", media_type=MARKDOWN, visibility="advanced")
@tenant_route(Role.READER, action="backup.report")
def backup_report_markdown(req: func.HttpRequest, access: TenantAccess) -> func.HttpResponse:
    """Every policy by type, its settings by their definitions' display names with their values, its
    assignments by group name (docs/reports.md); names are read from Graph now."""
    report = backup_report(services(), access.tenant_id, req.route_params["backupId"])
    return _document(to_markdown(report), MARKDOWN)


@bp.route(route=BACKUPS_ROUTE + "/{backupId}/report/html", methods=["GET"])
@operation("Get a backup's as-built report (HTML)", media_type=HTML, visibility="advanced")
@tenant_route(Role.READER, action="backup.report")
def backup_report_html(req: func.HttpRequest, access: TenantAccess) -> func.HttpResponse:
    """The same report as a standalone HTML page, to hand to a customer or print."""
    report = backup_report(services(), access.tenant_id, req.route_params["backupId"])
    return _document(to_html(report), HTML)


def _document(text: str, media_type: str) -> func.HttpResponse:
    return func.HttpResponse(
        text, status_code=200, mimetype=media_type, charset="utf-8", headers={"Cache-Control": "no-store"}
    )


@bp.route(route=BACKUPS_ROUTE + "/{backupId}", methods=["DELETE"])
@operation("Delete a backup set", status=204, problems=(BackupSetProtected, BackupSetBusy),
           visibility="advanced")
@tenant_route(Role.ADMIN, action="backup.delete")
def delete_backup(req: func.HttpRequest, access: TenantAccess) -> func.HttpResponse:
    """Delete a backup set and its manifest (409 `backup.protected` when a restore refers to it)."""
    svc = services()
    backup = delete_backup_set(
        svc.account.table(names.BACKUP_SETS),
        svc.account.container(names.MANIFESTS_CONTAINER),
        access.tenant_id,
        req.route_params["backupId"],
    )
    svc.audit.record(
        access.tenant_id,
        "backup.delete",
        access.principal.key,
        AuditOutcome.SUCCEEDED,
        run_id=backup.run_id,
        details={"backupId": backup.backup_id},
    )
    return func.HttpResponse(status_code=204)


@bp.route(route="api/tenants/{tenantId}/policies", methods=["GET"])
@operation("List policies", response=models.InventoryPage, query=(*PAGED, POLICY_TYPE_FILTER, NAME_PREFIX))
@tenant_route(Role.READER, action="policy.inventory")
def policy_inventory(req: func.HttpRequest, access: TenantAccess) -> func.HttpResponse:
    """Every policy backups have seen: latest version, last change, deleted in Graph; `type` and
    `name` (prefix) filter, paged."""
    size, token = page_params(req)
    policy_type = req.params.get("type")
    page = list_inventory(
        services().account.table(names.INVENTORY),
        access.tenant_id,
        policy_type=object_type(policy_type).name if policy_type else None,
        name_prefix=req.params.get("name") or None,
        page_size=size,
        continuation=token,
    )
    return json_response(page_body(page, InventoryEntry.to_api))
