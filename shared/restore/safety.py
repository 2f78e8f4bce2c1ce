"""The safety backup of a live restore: before the first write, the current state of every target
object the restore will update is captured as versions of the restore run and listed in a backup
set of kind `safety` (ID = the restore's run ID), so restoring from that set undoes the restore.

Idempotent: versions are keyed by (run, policy) and the set by the run. The set refers to its
own run, so retention and delete keep it while the restore it protects is on record.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from shared.backups import sets
from shared.graph import GraphClient, GraphError, GraphThrottled
from shared.intune.capture import CapturedPolicy, CaptureFailure, capture_policies_batched
from shared.intune.versions import PolicyVersion, record_version
from shared.jobs.messages import SafetyBackup
from shared.redact import redact
from shared.restore.model import Action, PlannedItem
from shared.runs import ItemOutcome, ItemResult, get_run, record_items, update_progress
from shared.services import Services
from shared.storage import names

SAFETY_KIND = "safety"
NOT_BACKED_UP = "The target could not be backed up before the write, so it was not written: {error}"


def backup_link(tenant_id: str, backup_id: str) -> str:
    """The API path of a backup set (relative, like a run's link)."""
    return f"/api/tenants/{quote(tenant_id, safe='')}/backups/{quote(backup_id, safe='')}"


def items_to_update(items: tuple[PlannedItem, ...], *, override_conflicts: bool = False) -> list[PlannedItem]:
    """The items whose existing target the restore may overwrite: updates, and (when changes since
    the preview are overridden) unchanged items too, as their target may have drifted since."""
    kinds = {Action.UPDATE, Action.UNCHANGED} if override_conflicts else {Action.UPDATE}
    return [item for item in items if item.action in kinds and item.target_id is not None]


def safety_backup(
    services: Services, client: GraphClient, tenant_id: str, run_id: str, items: list[PlannedItem]
) -> SafetyBackup:
    """Capture, record and list; items whose target cannot be read (but for throttling or a deletion,
    which the write step reports as a conflict) are recorded failed, so they are never written."""
    run = get_run(services.runs, tenant_id, run_id)
    captured_at = datetime.now(UTC)
    by_type: dict[str, list[PlannedItem]] = {}
    for item in items:
        by_type.setdefault(item.source.policy_type, []).append(item)
    versions: list[PolicyVersion] = []
    unreadable: list[ItemResult] = []
    for policy_type, typed in by_type.items():
        target_ids = [str(item.target_id) for item in typed]
        results: list[CapturedPolicy | CaptureFailure]
        try:
            results = capture_policies_batched(client, policy_type, target_ids)
        except GraphThrottled as exc:
            return SafetyBackup(throttled=True, retry_after=exc.retry_after)
        except GraphError as exc:
            results = [CaptureFailure(policy_type, target_id, exc) for target_id in target_ids]
        for item, result in zip(typed, results, strict=True):
            if isinstance(result, CapturedPolicy):
                versions.append(
                    record_version(
                        services.account, tenant_id, result, run_id=run_id, captured_at=captured_at
                    )
                )
            elif isinstance(result.error, GraphThrottled):
                return SafetyBackup(throttled=True, retry_after=result.error.retry_after)
            elif result.error.status != 404:
                unreadable.append(_not_backed_up(item, result.error))
    record_items(services.runs, run_id, unreadable)
    backup_id = _save_set(services, tenant_id, run_id, run.created_at, versions)
    run = get_run(services.runs, tenant_id, run_id)
    links = {**(run.summary or {}).get("links", {}), "safetyBackup": backup_link(tenant_id, backup_id)}
    summary = {**(run.summary or {}), "safetyBackupId": backup_id, "links": links}
    update_progress(services.runs, tenant_id, run_id, summary=summary)
    return SafetyBackup(backup_id=backup_id, captured=len(versions), failed=len(unreadable))


def _not_backed_up(item: PlannedItem, error: GraphError) -> ItemResult:
    return ItemResult(
        item_id=item.item_id,
        item_type=item.source.policy_type,
        outcome=ItemOutcome.FAILED,
        policy_id=item.source.policy_id,
        display_name=item.source.display_name,
        error=redact(NOT_BACKED_UP.format(error=error)),
        action=item.action.value,
        details={"targetId": item.target_id, "plannedAction": item.action.value},
    )


def _save_set(
    services: Services, tenant_id: str, run_id: str, created_at: datetime, versions: list[PolicyVersion]
) -> str:
    types: dict[str, list[dict[str, Any]]] = {}
    for version in versions:
        types.setdefault(version.policy_type, []).append(
            {
                "policyType": version.policy_type,
                "policyId": version.policy_id,
                "displayName": version.display_name,
                "versionId": version.version_id,
                "contentSha256": version.content_sha256,
            }
        )
    manifest = {
        "tenantId": tenant_id,
        "runId": run_id,
        "kind": SAFETY_KIND,
        "createdAt": created_at.isoformat(),
        "types": {t: sorted(entries, key=lambda e: e["policyId"]) for t, entries in sorted(types.items())},
    }
    blob = sets.manifest_name(tenant_id, run_id)
    sets.put_manifest(services.account.container(names.MANIFESTS_CONTAINER), blob, manifest)
    counts = {
        t: {"listed": len(entries), "succeeded": len(entries), "failed": 0, "skipped": 0}
        for t, entries in types.items()
    }
    table = services.account.table(names.BACKUP_SETS)
    sets.save_backup_set(
        table,
        sets.BackupSet(run_id, tenant_id, run_id, "succeeded", created_at, blob, counts, kind=SAFETY_KIND),
    )
    sets.add_reference(table, tenant_id, run_id, run_id)
    return run_id
