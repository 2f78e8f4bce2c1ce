"""Retention against the real backup set table and manifests in Azurite: pruned sets lose their row and
manifest, the newest successful set and a set a restore refers to stay, and the snapshot blobs the
kept sets reference are untouched (they are content-addressed and shared between sets)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from azure.core.exceptions import ResourceNotFoundError

from shared.backups import sets
from shared.jobs.retention import RetentionRequest, run_retention
from shared.jobs.retention_store import TableBackupSets
from shared.runs import ItemOutcome, RunStatus, RunTables, list_items
from shared.schedules import RetentionPolicy
from shared.storage import StorageAccount, names, payload_store

TENANT = "55555555-5555-5555-5555-555555555555"
NOW = datetime(2024, 6, 30, 12, tzinfo=UTC)
RESTORE_RUN = "restore-run-1"


def _backup_set(
    storage: StorageAccount, run_id: str, status: str, age_days: int, payloads: list[dict[str, Any]]
) -> str:
    """A backup set as finish_backup writes it: payloads, a manifest naming them, the table row."""
    content = payload_store(storage, TENANT)
    entries = []
    for payload in payloads:
        stored = content.put_json(payload)
        entries.append({"policyType": "deviceConfigurations", "policyId": payload["id"],
                        "displayName": payload["displayName"], "versionId": f"v-{run_id}",
                        "contentSha256": stored.sha256})
    blob = sets.manifest_name(TENANT, run_id)
    sets.put_manifest(storage.container(names.MANIFESTS_CONTAINER), blob,
                      {"tenantId": TENANT, "runId": run_id, "types": {"deviceConfigurations": entries}})
    counts = {"deviceConfigurations": {"listed": len(payloads), "succeeded": len(payloads), "failed": 0,
                                       "skipped": 0}}
    created = NOW - timedelta(days=age_days, hours=1)
    sets.save_backup_set(storage.table(names.BACKUP_SETS),
                         sets.BackupSet(run_id, TENANT, run_id, status, created, blob, counts))
    return blob


def _id(name: str) -> str:
    """A run ID (backup sets are named after their runs) that sorts like `name`: r0 newest."""
    return f"{int(name[1]):018d}-{name[1]:0>12}"


def _policy(policy_id: str, version: int) -> dict[str, Any]:
    return {"id": policy_id, "displayName": f"Policy {policy_id}", "version": version}


def _keep_last_one(trigger: str) -> RetentionRequest:
    return RetentionRequest(TENANT, "sched", trigger, RetentionPolicy(keep_last=1))


@pytest.fixture
def backup_sets(storage: StorageAccount) -> dict[str, str]:
    """Newest first: failed, succeeded, referenced by a restore, two old ones; returns run -> manifest."""
    unchanged, changed_old, changed_new = _policy("a", 1), _policy("b", 1), _policy("b", 2)
    layout = [
        (_id("r0-failed"), "failed", 0, []),
        (_id("r1-newest-ok"), "succeeded", 1, [unchanged, changed_new]),
        (_id("r2-restored"), "succeeded", 2, [unchanged, changed_old]),
        (_id("r3-old"), "partially_succeeded", 3, [unchanged, changed_old]),
        (_id("r4-old"), "succeeded", 4, [unchanged, changed_old]),
    ]
    manifests = {run: _backup_set(storage, run, status, age, data) for run, status, age, data in layout}
    sets.add_reference(storage.table(names.BACKUP_SETS), TENANT, _id("r2-restored"), RESTORE_RUN)
    return manifests


def test_retention_deletes_old_sets_keeps_the_newest_good_one_the_restored_one_and_their_blobs(
    storage: StorageAccount, run_tables: RunTables, backup_sets: dict[str, str]
) -> None:
    repository = TableBackupSets(storage)
    manifests = storage.container(names.MANIFESTS_CONTAINER)
    content = payload_store(storage, TENANT)
    payloads_before = {p.sha256 for p in content.payloads()}

    run = run_retention(run_tables, repository, _keep_last_one("2024-06-30T12:00:00Z"), NOW)

    deleted = {_id("r0-failed"), _id("r3-old"), _id("r4-old")}
    assert run.status is RunStatus.SUCCEEDED
    items = list_items(run_tables, run).items
    assert {i.item_id for i in items} == deleted and all(i.outcome is ItemOutcome.SUCCEEDED for i in items)
    rows = sets.list_backup_sets(storage.table(names.BACKUP_SETS), TENANT).items
    assert [b.backup_id for b in rows] == [_id("r1-newest-ok"), _id("r2-restored")]
    assert rows[1].referenced_by == (RESTORE_RUN,)
    for run_id in deleted:
        with pytest.raises(ResourceNotFoundError):
            manifests.download_blob(backup_sets[run_id]).readall()
    for kept in rows:
        manifest = sets.get_manifest(manifests, kept)
        for entry in manifest["types"]["deviceConfigurations"]:
            assert content.get_json(entry["contentSha256"])["id"] == entry["policyId"]
    assert {p.sha256 for p in content.payloads()} == payloads_before

    next_day = NOW + timedelta(days=1)
    again = run_retention(run_tables, repository, _keep_last_one("2024-07-01T12:00:00Z"), next_day)
    assert (again.status, again.counters.total) == (RunStatus.SUCCEEDED, 0)
    assert len(sets.list_backup_sets(storage.table(names.BACKUP_SETS), TENANT).items) == 2
