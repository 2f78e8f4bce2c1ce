"""record_versions: the batched recording a backup chunk uses keeps record_version's guarantees
(order, `changed` and previous version, no blob for unchanged content, idempotent per run)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from shared.graph import GraphClient
from shared.intune import CapturedPolicy, capture_policy, list_versions, record_version
from shared.intune.versions import record_versions
from shared.storage import StorageAccount, names

SETTINGS = "deviceManagement/configurationPolicies"
T0 = datetime(2025, 4, 1, 8, 0, tzinfo=UTC)


def row_count(storage: StorageAccount, tenant_id: str) -> int:
    table = storage.table(names.POLICY_VERSIONS)
    return sum(1 for _ in table.query_entities("PartitionKey eq @t", parameters={"t": tenant_id}))


def payload_count(storage: StorageAccount) -> int:
    """Payloads of every tenant: rows and blobs."""
    rows = sum(1 for _ in storage.table(names.PAYLOADS).list_entities())
    return rows + sum(1 for _ in storage.container(names.SNAPSHOTS_CONTAINER).list_blobs())


@pytest.fixture
def policies(client: GraphClient, sim_objects: Callable[[str], list[dict[str, Any]]]) -> list[CapturedPolicy]:
    return [capture_policy(client, "configurationPolicies", obj["id"]) for obj in sim_objects(SETTINGS)[:3]]


def test_a_batch_records_every_policy_in_order_as_new_versions(
    storage: StorageAccount, tenant_id: str, policies: list[CapturedPolicy]
) -> None:
    versions = record_versions(storage, tenant_id, policies, "run-1", T0)
    assert [v.policy_id for v in versions] == [p.policy_id for p in policies]
    assert all(v.changed and v.previous_version_id is None for v in versions)
    assert row_count(storage, tenant_id) == 3 * len(policies) + 1  # index, timeline, pointer; marker
    for policy, version in zip(policies, versions, strict=True):
        listed = list_versions(storage, tenant_id, policy.policy_type, policy.policy_id).items
        assert listed == [version]


def test_an_unchanged_second_run_points_at_the_previous_versions_and_adds_no_payload(
    storage: StorageAccount, tenant_id: str, policies: list[CapturedPolicy]
) -> None:
    first = record_versions(storage, tenant_id, policies, "run-1", T0)
    payloads = payload_count(storage)
    second = record_versions(storage, tenant_id, policies, "run-2", T0 + timedelta(hours=1))
    assert [v.previous_version_id for v in second] == [v.version_id for v in first]
    assert not any(v.changed for v in second)
    assert payload_count(storage) == payloads


def test_a_retried_batch_returns_the_versions_already_recorded(
    storage: StorageAccount, tenant_id: str, policies: list[CapturedPolicy]
) -> None:
    recorded = record_version(storage, tenant_id, policies[1], "run-1", T0)
    versions = record_versions(storage, tenant_id, policies, "run-1", T0 + timedelta(seconds=30))
    assert versions[1] == recorded
    again = record_versions(storage, tenant_id, policies, "run-1", T0 + timedelta(seconds=60))
    assert again == versions
    assert row_count(storage, tenant_id) == 3 * len(policies)


def test_a_policy_versioned_before_pointers_existed_still_finds_its_previous_version(
    storage: StorageAccount, tenant_id: str, policies: list[CapturedPolicy]
) -> None:
    legacy = record_version(storage, tenant_id, policies[0], "run-1", T0)
    table = storage.table(names.POLICY_VERSIONS)
    table.delete_entity(tenant_id, f"l!{policies[0].policy_type}!{policies[0].policy_id}")
    assert row_count(storage, tenant_id) == 2  # as record_version wrote versions before pointers
    second = record_versions(storage, tenant_id, policies, "run-2", T0 + timedelta(hours=1))
    assert second[0].previous_version_id == legacy.version_id and not second[0].changed
    assert all(v.previous_version_id is None for v in second[1:])
    third = record_versions(storage, tenant_id, policies, "run-3", T0 + timedelta(hours=2))
    assert [v.previous_version_id for v in third] == [v.version_id for v in second]
