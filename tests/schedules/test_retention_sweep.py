"""Retention that frees, on Azurite: after sets are pruned, the versions and payloads that no kept set,
restore, newest-version or grace rule needs are deleted, and exactly those; another tenant is
untouched; legacy shared payloads migrate under each tenant's prefix once."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from shared.backups import sets
from shared.intune import CapturedPolicy
from shared.intune.versions import PolicyVersion, all_versions, record_versions
from shared.jobs.retention import RetentionRequest, run_retention
from shared.jobs.retention_store import TableBackupSets
from shared.jobs.retention_sweep import (
    References,
    freer,
    migrate_legacy_payloads,
    plan_sweep,
    sweep_tenant,
)
from shared.restore.model import put_json_blob
from shared.runs import RunStatus, RunTables
from shared.schedules import RetentionPolicy
from shared.storage import StorageAccount, StoredPayload, canonical_json, names, payload_store

TENANT = "66666666-6666-6666-6666-666666666666"
OTHER = "77777777-7777-7777-7777-777777777777"
GRACE = timedelta(days=1)
NOW = datetime.now(UTC) + 2 * GRACE
"""Two grace periods ahead of the clock: payload blobs written by the test (their Last-Modified is the
clock's) are older than the grace, while versions are dated relative to NOW."""
TYPE = "deviceConfigurations"


def _run_id(days_ago: int) -> str:
    """A run ID (sets are named after runs) that sorts newest first."""
    return f"{10**17 + days_ago:018d}-{days_ago:012d}"


def _policy(policy_id: str, revision: int) -> CapturedPolicy:
    return CapturedPolicy(TYPE, policy_id, f"Policy {policy_id}", {"id": policy_id, "revision": revision})


def _backup(
    storage: StorageAccount, tenant: str, days_ago: int, revisions: dict[str, int]
) -> list[PolicyVersion]:
    """A finished backup as finish_backup leaves it: versions, a manifest naming them, the set row."""
    run_id = _run_id(days_ago)
    at = NOW - timedelta(days=days_ago)
    versions = record_versions(storage, tenant, [_policy(p, r) for p, r in revisions.items()], run_id, at)
    entries = [
        {
            "policyType": v.policy_type,
            "policyId": v.policy_id,
            "displayName": v.display_name,
            "versionId": v.version_id,
            "contentSha256": v.content_sha256,
        }
        for v in versions
    ]
    blob = sets.manifest_name(tenant, run_id)
    sets.put_manifest(
        storage.container(names.MANIFESTS_CONTAINER),
        blob,
        {"tenantId": tenant, "runId": run_id, "types": {TYPE: entries}},
    )
    counts = {TYPE: {"listed": len(entries), "succeeded": len(entries), "failed": 0, "skipped": 0}}
    sets.save_backup_set(
        storage.table(names.BACKUP_SETS),
        sets.BackupSet(run_id, tenant, run_id, "succeeded", at, blob, counts),
    )
    return versions


def _snapshot(storage: StorageAccount, days_ago: int, policy_id: str, revision: int) -> PolicyVersion:
    """An on-demand snapshot: a version no backup set lists."""
    run_id = f"snap-{days_ago}-{policy_id}"
    return record_versions(
        storage, TENANT, [_policy(policy_id, revision)], run_id, NOW - timedelta(days=days_ago)
    )[0]


def _version_ids(storage: StorageAccount, tenant: str) -> set[str]:
    return {v.version_id for v in all_versions(storage, tenant)}


def _payloads(storage: StorageAccount, tenant: str) -> set[str]:
    return {p.sha256 for p in payload_store(storage, tenant).payloads()}


def _rows(storage: StorageAccount, tenant: str) -> int:
    table = storage.table(names.POLICY_VERSIONS)
    return sum(1 for _ in table.query_entities("PartitionKey eq @t", parameters={"t": tenant}))


def _hashes(versions: Sequence[PolicyVersion]) -> set[str]:
    return {v.content_sha256 for v in versions}


def test_plan_keeps_referenced_newest_and_recent_versions_and_their_payloads() -> None:
    def version(vid: str, sha: str, days_ago: int) -> PolicyVersion:
        return PolicyVersion(
            vid,
            TENANT,
            TYPE,
            vid,
            vid,
            sha,
            1,
            True,
            None,
            NOW - timedelta(days=days_ago),
            "run",
            [],
        )

    in_set, newest, recent, old = (
        version("a", "1" * 64, 9),
        version("b", "2" * 64, 9),
        version("c", "3" * 64, 0),
        version("d", "4" * 64, 9),
    )
    shared_hash = version("e", "1" * 64, 9)  # an old version whose content a kept one also has
    payloads = [StoredPayload(h * 64, NOW - timedelta(days=9)) for h in "12345"]
    payloads.append(StoredPayload("6" * 64, NOW - timedelta(hours=1)))  # written just now: no version yet
    references = References({"a"}, {"5" * 64})

    plan = plan_sweep([in_set, newest, recent, old, shared_hash], payloads, references, {"b"}, NOW, GRACE)

    assert [v.version_id for v in plan.versions] == ["d", "e"]
    assert [p.sha256 for p in plan.payloads] == ["4" * 64]
    assert (plan.versions_before, plan.payloads_before) == (5, 6)


def test_retention_frees_exactly_what_no_kept_set_restore_or_rule_needs(
    storage: StorageAccount, run_tables: RunTables
) -> None:
    b4 = _backup(storage, TENANT, 4, {"p1": 1, "p2": 1, "p3": 1})
    b3 = _backup(storage, TENANT, 3, {"p1": 2, "p2": 1, "p3": 1})
    b2 = _backup(storage, TENANT, 2, {"p1": 3, "p2": 2, "p3": 1})
    old_snapshot = _snapshot(storage, 2, "p3", 9)
    b1 = _backup(storage, TENANT, 1, {"p1": 4, "p2": 2, "p3": 1})
    recent_snapshot = _snapshot(storage, 0, "p2", 7)
    # A restore in another tenant previews this tenant's oldest set: its plan keeps p1 at revision 1.
    restored = next(v for v in b4 if v.policy_id == "p1")
    put_json_blob(
        storage.container(names.MANIFESTS_CONTAINER),
        f"restores/{OTHER}/run-x/plan.json",
        {
            "sourceTenantId": TENANT,
            "items": [
                {
                    "source": {
                        "policyType": TYPE,
                        "policyId": "p1",
                        "displayName": "Policy p1",
                        "versionId": restored.version_id,
                        "contentSha256": restored.content_sha256,
                    }
                }
            ],
        },
    )
    _backup(storage, OTHER, 4, {"p1": 1})
    other_before = (_version_ids(storage, OTHER), _payloads(storage, OTHER))
    versions_before, payloads_before, rows_before = (
        len(_version_ids(storage, TENANT)),
        len(_payloads(storage, TENANT)),
        _rows(storage, TENANT),
    )

    request = RetentionRequest(TENANT, "sched", "2025-06-30T12:00:00Z", RetentionPolicy(keep_last=2))
    run = run_retention(run_tables, TableBackupSets(storage), request, NOW, freer(storage, GRACE))

    kept_sets = [*b1, *b2]
    expected_versions = {v.version_id for v in kept_sets} | {restored.version_id, recent_snapshot.version_id}
    assert _version_ids(storage, TENANT) == expected_versions
    assert old_snapshot.version_id not in expected_versions
    assert _payloads(storage, TENANT) == _hashes(kept_sets) | {
        restored.content_sha256,
        recent_snapshot.content_sha256,
    }
    assert run.status is RunStatus.SUCCEEDED
    assert run.summary == {
        "backupSets": 4,
        "planned": 2,
        "kept": 2,
        "versionsBefore": versions_before,
        "versionsDeleted": versions_before - len(expected_versions),
        "payloadsBefore": payloads_before,
        "payloadsDeleted": payloads_before - len(_payloads(storage, TENANT)),
    }
    # Two rows per deleted version (index, timeline); pointers and the marker stay.
    assert _rows(storage, TENANT) == rows_before - 2 * (versions_before - len(expected_versions))
    for version in kept_sets:
        assert payload_store(storage, TENANT).get_json(version.content_sha256)["id"] == version.policy_id
    assert (_version_ids(storage, OTHER), _payloads(storage, OTHER)) == other_before
    assert {v.version_id for v in b3} - expected_versions

    again = sweep_tenant(storage, TENANT, NOW, GRACE)
    assert (again.versions_deleted, again.payloads_deleted) == (0, 0)


def test_the_newest_version_of_a_policy_stays_when_no_set_lists_it(storage: StorageAccount) -> None:
    _backup(storage, TENANT, 5, {"p1": 1})
    later = _snapshot(storage, 3, "p1", 2)
    newest = _snapshot(storage, 2, "p1", 3)
    sets.delete_backup_set(
        storage.table(names.BACKUP_SETS), storage.container(names.MANIFESTS_CONTAINER), TENANT, _run_id(5)
    )

    result = sweep_tenant(storage, TENANT, NOW, GRACE)

    assert _version_ids(storage, TENANT) == {newest.version_id}
    assert _payloads(storage, TENANT) == {newest.content_sha256}
    assert later.version_id not in _version_ids(storage, TENANT)
    assert (result.versions_before, result.versions_deleted) == (3, 2)


def test_legacy_shared_payloads_migrate_under_each_tenant_once(storage: StorageAccount) -> None:
    mine = _backup(storage, TENANT, 1, {"p1": 1, "p2": 1})
    theirs = _backup(storage, OTHER, 1, {"p1": 1})
    container = storage.container(names.SNAPSHOTS_CONTAINER)
    for tenant in (TENANT, OTHER):  # back to the layout before tenant prefixes and payload rows
        store = payload_store(storage, tenant)
        for payload in list(store.payloads()):
            data = store.get_bytes(payload.sha256)
            container.upload_blob(f"sha256/{payload.sha256}.json", data, overwrite=True)
            assert store.delete(payload)
    assert not list(storage.table(names.PAYLOADS).list_entities())
    orphan = canonical_json({"nobody": "refers"})
    container.upload_blob(f"sha256/{hashlib.sha256(orphan).hexdigest()}.json", orphan)

    assert migrate_legacy_payloads(storage, [TENANT, OTHER]) == 3
    assert migrate_legacy_payloads(storage, [TENANT, OTHER]) == 0

    assert _payloads(storage, TENANT) == _hashes(mine)
    assert _payloads(storage, OTHER) == _hashes(theirs)
    assert not [b.name for b in container.list_blobs(name_starts_with="sha256/")]
