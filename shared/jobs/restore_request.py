"""The request side of restores: validate a preview, live or retry request, check roles, and find or
create the run (no Graph call). Each refusal is a problem with a stable code:

| case | status | code |
|---|---|---|
| body not a JSON object, unknown mode, bad field | 400 | `restore.invalid_request` |
| live (or retry) by an operator | 403 | `auth.insufficient_role` |
| cross-tenant source, no reader role on the source tenant (preview, live, retry) | 403 | `auth.forbidden` |
| live without `confirm: true` | 422 | `restore.not_confirmed` |
| `previewRunId` unknown here, or a preview of another tenant | 404 | `restore.preview_not_found` |
| the run is no restore preview | 409 | `restore.not_a_preview` |
| the preview is queued or running | 409 | `restore.preview_not_finished` |
| the preview failed or was cancelled | 409 | `restore.preview_failed` |
| `items` names an item the preview did not plan | 422 | `restore.items_not_in_preview` |
| retry of a run that is no live restore | 409 | `restore.not_retryable` |
| retry of a run still queued or running | 409 | `restore.run_not_finished` |
| retry of a run without failed items | 409 | `restore.nothing_to_retry` |

A preview of another tenant answers 404, like an unknown one: a preview is looked up in the
target tenant only, so its existence elsewhere is not disclosed to a caller of this tenant.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from shared.audit import AuditOutcome
from shared.auth.authorize import Authorizer, TenantAccess
from shared.auth.roles import Role
from shared.backups.sets import BackupSetNotFound, add_reference, get_backup_set
from shared.http.problems import ProblemError
from shared.intune.catalog import BY_NAME
from shared.intune.errors import VersionNotFound
from shared.intune.versions import get_version
from shared.jobs.capture_snapshot import TenantDisabled
from shared.jobs.restore import failed_item_ids
from shared.restore import model
from shared.restore.source import SourceSpec
from shared.runs import Run, RunStatus, find_run, start_or_reuse
from shared.runs.access import run_for_access
from shared.runs.model import RUN_ID_PATTERN
from shared.services import Services
from shared.storage import names, stable_hash
from shared.tenants import Tenant, TenantStatus, normalize_tenant_id

MAX_VERSIONS = 500
MAX_ITEMS = 400
"""Item IDs a live request may name (they are kept on the run record); omit `items` for all."""
MAX_ITEM_ID_CHARS = 256
"""An item ID is `{type}:{policyId}`; longer ones name nothing and would bloat the run and the answer."""
REQUESTED = ".requested"


class InvalidRestoreRequest(ProblemError):
    status = 400
    code = "restore.invalid_request"
    title = "The restore request is invalid."


class RestoreNotConfirmed(ProblemError):
    status = 422
    code = "restore.not_confirmed"
    title = "A live restore needs `confirm: true`."


class PreviewNotFound(ProblemError):
    status = 404
    code = "restore.preview_not_found"
    title = "No such restore preview in this tenant."


class NotAPreview(ProblemError):
    status = 409
    code = "restore.not_a_preview"
    title = "The run is not a restore preview."


class PreviewNotFinished(ProblemError):
    status = 409
    code = "restore.preview_not_finished"
    title = "The preview has not finished yet."


class PreviewFailed(ProblemError):
    status = 409
    code = "restore.preview_failed"
    title = "The preview failed or was cancelled; preview again."


class ItemsNotInPreview(ProblemError):
    status = 422
    code = "restore.items_not_in_preview"
    title = "A live restore writes only items its preview planned."


class NotRetryable(ProblemError):
    status = 409
    code = "restore.not_retryable"
    title = "Only a live restore can be retried."


class RunNotFinished(ProblemError):
    status = 409
    code = "restore.run_not_finished"
    title = "The run has not finished yet."


class NothingToRetry(ProblemError):
    status = 409
    code = "restore.nothing_to_retry"
    title = "The run has no failed items."


RESTORE_PROBLEMS: tuple[type[ProblemError], ...] = (
    InvalidRestoreRequest,
    RestoreNotConfirmed,
    PreviewNotFound,
    NotAPreview,
    PreviewNotFinished,
    PreviewFailed,
    ItemsNotInPreview,
    BackupSetNotFound,
    VersionNotFound,
)
"""The refusals of a preview or live request, as the table above lists them (the 403s are the gate's)."""
RESTORE_RETRY_PROBLEMS: tuple[type[ProblemError], ...] = (
    InvalidRestoreRequest,
    RestoreNotConfirmed,
    NotRetryable,
    RunNotFinished,
    NothingToRetry,
)


def parse_body(body: Any) -> dict[str, Any]:
    """The request object of a body read by `shared.http.body.json_body` (no body is `{}`)."""
    if body is None:
        return {}
    if not isinstance(body, dict):
        raise InvalidRestoreRequest("The body is a JSON object.")
    return body


def request_restore(services: Services, access: TenantAccess, body: Mapping[str, Any]) -> tuple[Run, bool]:
    """Dispatch on `mode`: `preview` (operator) or `live` (admin)."""
    mode = body.get("mode")
    if mode == "preview":
        return request_preview(services, access, body)
    if mode == "live":
        return request_live(services, access, body)
    raise InvalidRestoreRequest("`mode` is `preview` or `live`.")


def request_preview(services: Services, access: TenantAccess, body: Mapping[str, Any]) -> tuple[Run, bool]:
    tenant = _active_tenant(services, access.tenant_id)
    spec = _source_spec(body, tenant.tenant_id)
    if spec.tenant_id != tenant.tenant_id:
        _authorizer(services).authorize(
            access.principal,
            spec.tenant_id,
            Role.READER,
            action="restore.source",
            context={"target": tenant.tenant_id},
        )
        services.tenants.require(spec.tenant_id)
    _check_source_exists(services, spec)
    source = spec.to_json()
    run, reused = start_or_reuse(
        services.runs,
        tenant.tenant_id,
        model.PREVIEW_RUN_TYPE,
        [stable_hash(json.dumps(source, sort_keys=True))],
        access.principal.key,
        source=source,
    )
    if spec.backup_id is not None:
        add_reference(services.account.table(names.BACKUP_SETS), spec.tenant_id, spec.backup_id, run.run_id)
    _audit_request(services, access, run, reused, {"source": source})
    return run, reused


def request_live(services: Services, access: TenantAccess, body: Mapping[str, Any]) -> tuple[Run, bool]:
    _authorizer(services).authorize(
        access.principal, access.tenant_id, Role.ADMIN, action=model.LIVE_RUN_TYPE
    )
    tenant = _active_tenant(services, access.tenant_id)
    preview_run_id = body.get("previewRunId")
    if not isinstance(preview_run_id, str) or not preview_run_id:
        raise InvalidRestoreRequest("`previewRunId` names the finished preview to restore.")
    items = body.get("items")
    if items is not None and (
        not isinstance(items, list) or not items or not all(isinstance(i, str) for i in items)
    ):
        raise InvalidRestoreRequest(
            "`items` is a non-empty list of the preview's item IDs (or left out for all)."
        )
    if items is not None and len(items) > MAX_ITEMS:
        raise InvalidRestoreRequest(f"Name at most {MAX_ITEMS} items, or leave `items` out to restore all.")
    if items is not None and any(len(i) > MAX_ITEM_ID_CHARS for i in items):
        raise InvalidRestoreRequest(f"An item ID (`type:policyId`) is at most {MAX_ITEM_ID_CHARS} chars.")
    override = body.get("overrideConflicts", False)
    if not isinstance(override, bool):
        raise InvalidRestoreRequest("`overrideConflicts` is true or false.")
    if body.get("confirm") is not True:
        raise RestoreNotConfirmed(
            "Send `confirm: true` to write to the tenant; preview first to see what changes."
        )
    preview = usable_preview(services, tenant.tenant_id, preview_run_id)
    _check_source_access(services, access, preview)
    if items is not None:
        _check_subset(services, preview, items)
    return _start_live(
        services,
        access,
        preview,
        items=sorted(set(items)) if items is not None else None,
        override=override,
        dedupe=[preview.run_id],
    )


def request_retry(
    services: Services, access: TenantAccess, run_id: str, body: Mapping[str, Any]
) -> tuple[Run, bool]:
    """A new live run of the failed items of an ended live restore, from the same preview. It names
    no items: its begin step takes the failed items of `retryOf`, however many there are."""
    _authorizer(services).authorize(access.principal, access.tenant_id, Role.ADMIN, action="restore.retry")
    tenant = _active_tenant(services, access.tenant_id)
    original = run_for_access(services, access, run_id, action="restore.retry")
    if original.run_type != model.LIVE_RUN_TYPE:
        raise NotRetryable(f"Run {run_id} is a {original.run_type} run; retry a {model.LIVE_RUN_TYPE} run.")
    if original.status.is_active:
        raise RunNotFinished(f"Run {run_id} is {original.status.value}; retry once it has ended.")
    if body.get("confirm") is not True:
        raise RestoreNotConfirmed("Send `confirm: true` to write the failed items again.")
    if not failed_item_ids(services, original):
        raise NothingToRetry(f"Run {run_id} has no failed items.")
    preview = usable_preview(services, tenant.tenant_id, str((original.source or {}).get("previewRunId")))
    _check_source_access(services, access, preview)
    override = body.get("overrideConflicts", (original.parameters or {}).get("overrideConflicts", False))
    if not isinstance(override, bool):
        raise InvalidRestoreRequest("`overrideConflicts` is true or false.")
    return _start_live(
        services,
        access,
        preview,
        items=None,
        override=override,
        dedupe=["retry", original.run_id],
        retry_of=original.run_id,
    )


def usable_preview(services: Services, tenant_id: str, preview_run_id: str) -> Run:
    """The finished preview of this tenant; each way it is not usable is its own problem."""
    preview = find_run(services.runs, tenant_id, preview_run_id)
    if preview is None:
        raise PreviewNotFound(
            f"No preview '{preview_run_id[:64]}' in this tenant; a preview restores only into the tenant it "
            "planned for."
        )
    if preview.run_type != model.PREVIEW_RUN_TYPE:
        raise NotAPreview(
            f"Run {preview.run_id} is a {preview.run_type} run, not a {model.PREVIEW_RUN_TYPE}."
        )
    if preview.status.is_active:
        raise PreviewNotFinished(f"Preview {preview.run_id} is {preview.status.value}; wait for it to end.")
    if preview.status not in (RunStatus.SUCCEEDED, RunStatus.PARTIALLY_SUCCEEDED):
        raise PreviewFailed(f"Preview {preview.run_id} {preview.status.value}; start a new preview.")
    return preview


def _start_live(
    services: Services,
    access: TenantAccess,
    preview: Run,
    *,
    items: list[str] | None,
    override: bool,
    dedupe: list[str],
    retry_of: str | None = None,
) -> tuple[Run, bool]:
    source = {
        "previewRunId": preview.run_id,
        "sourceTenantId": (preview.source or {}).get("tenantId"),
        "backupId": (preview.source or {}).get("backupId"),
    }
    parameters: dict[str, Any] = {"items": items, "overrideConflicts": override}
    if retry_of is not None:
        parameters["retryOf"] = retry_of
    run, reused = start_or_reuse(
        services.runs,
        preview.tenant_id,
        model.LIVE_RUN_TYPE,
        dedupe,
        access.principal.key,
        source=source,
        parameters=parameters,
    )
    _audit_request(services, access, run, reused, {"previewRunId": preview.run_id, "retryOf": retry_of})
    return run, reused


def _check_source_access(services: Services, access: TenantAccess, preview: Run) -> None:
    """A live restore reads the source again: its caller needs a role on the source tenant too."""
    source_tenant = (preview.source or {}).get("tenantId")
    if source_tenant and source_tenant != preview.tenant_id:
        _authorizer(services).authorize(
            access.principal,
            str(source_tenant),
            Role.READER,
            action="restore.source",
            context={"target": preview.tenant_id},
        )


def _check_subset(services: Services, preview: Run, items: list[str]) -> None:
    plan = model.get_plan(
        services.account.container(names.MANIFESTS_CONTAINER), preview.tenant_id, preview.run_id
    )
    planned = plan[1] if plan is not None else []
    _, unknown = model.subset(planned, items)
    if unknown:
        raise ItemsNotInPreview(
            f"The preview did not plan {len(unknown)} of the items: {', '.join(unknown[:10])}.",
            unknownItems=unknown[:100],
        )


def _source_spec(body: Mapping[str, Any], tenant_id: str) -> SourceSpec:
    source = body.get("source")
    if not isinstance(source, dict):
        raise InvalidRestoreRequest(
            "`source` is `{backupId}` or `{versions: [...]}`, with an optional `tenantId`."
        )
    raw_tenant = source.get("tenantId", tenant_id)
    try:
        source_tenant = normalize_tenant_id(str(raw_tenant))
    except ProblemError as exc:
        raise InvalidRestoreRequest("`source.tenantId` is a tenant ID (GUID).") from exc
    types = body.get("types") or []
    if (
        not isinstance(types, list)
        or len(types) > len(BY_NAME)
        or not all(isinstance(t, str) and t in BY_NAME for t in types)
        or len(set(types)) != len(types)
    ):
        raise InvalidRestoreRequest(
            f"`types` lists catalog types, each once, e.g. {', '.join(sorted(BY_NAME)[:3])}."
        )
    backup_id, versions = source.get("backupId"), source.get("versions")
    if (backup_id is None) == (versions is None):
        raise InvalidRestoreRequest("Name exactly one of `source.backupId` and `source.versions`.")
    if backup_id is not None:
        if not isinstance(backup_id, str) or not backup_id:
            raise InvalidRestoreRequest("`source.backupId` is a backup set ID.")
        if not RUN_ID_PATTERN.match(backup_id):
            raise BackupSetNotFound(f"No backup set '{backup_id[:64]}' in this tenant.")
        return SourceSpec(source_tenant, backup_id=backup_id, types=tuple(types))
    if not isinstance(versions, list) or not versions or len(versions) > MAX_VERSIONS:
        raise InvalidRestoreRequest(f"`source.versions` lists 1 to {MAX_VERSIONS} versions.")
    parsed = []
    for version in versions:
        if not isinstance(version, dict) or not all(
            isinstance(version.get(k), str) and version.get(k) for k in ("type", "policyId", "versionId")
        ):
            raise InvalidRestoreRequest("Each of `source.versions` is `{type, policyId, versionId}`.")
        if version["type"] not in BY_NAME:
            raise InvalidRestoreRequest(f"'{version['type']}' is not a catalog type.")
        parsed.append((version["type"], version["policyId"], version["versionId"]))
    return SourceSpec(source_tenant, versions=tuple(parsed), types=tuple(types))


def checked_source(services: Services, body: Mapping[str, Any], default_tenant_id: str) -> SourceSpec:
    """A preview body's source, checked as a preview checks it (shape, then existence), before any run
    is recorded: a fleet preview refuses a bad source once, not once per tenant."""
    spec = _source_spec(body, default_tenant_id)
    _check_source_exists(services, spec)
    return spec


def _check_source_exists(services: Services, spec: SourceSpec) -> None:
    """404 now rather than a failed run later: the backup set or every version is there."""
    if spec.backup_id is not None:
        get_backup_set(services.account.table(names.BACKUP_SETS), spec.tenant_id, spec.backup_id)
        return
    for policy_type, policy_id, version_id in spec.versions:
        get_version(
            services.account, spec.tenant_id, version_id, policy_type=policy_type, policy_id=policy_id
        )


def _active_tenant(services: Services, tenant_id: str) -> Tenant:
    tenant = services.tenants.require(tenant_id)
    if tenant.status is not TenantStatus.ACTIVE:
        raise TenantDisabled(f"Tenant {tenant.tenant_id} is {tenant.status}; enable it first.")
    return tenant


def _authorizer(services: Services) -> Authorizer:
    return Authorizer(services.memberships, services.audit)


def _audit_request(
    services: Services, access: TenantAccess, run: Run, reused: bool, details: Mapping[str, Any]
) -> None:
    services.audit.record(
        run.tenant_id,
        run.run_type + REQUESTED,
        access.principal.key,
        AuditOutcome.SUCCEEDED,
        run_id=run.run_id,
        details={**details, "reused": reused},
    )
