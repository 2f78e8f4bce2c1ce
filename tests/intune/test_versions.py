"""Policy versions on Azurite with payloads captured from graphsim: idempotent per (run, policy),
`changed` against the previous version, no new blob for an unchanged policy, and the read side."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from local.graphsim.testing import GraphSim
from shared.graph import GraphClient
from shared.intune import (
    CapturedPolicy,
    VersionNotFound,
    capture_policy,
    get_version,
    get_version_content,
    list_versions,
    record_version,
)
from shared.storage import StorageAccount, names, payload_store

SETTINGS = "deviceManagement/configurationPolicies"
T0 = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)


def payload_count(storage: StorageAccount) -> int:
    """Payloads of every tenant: rows and blobs."""
    rows = sum(1 for _ in storage.table(names.PAYLOADS).list_entities())
    return rows + sum(1 for _ in storage.container(names.SNAPSHOTS_CONTAINER).list_blobs())


def row_count(storage: StorageAccount, tenant_id: str) -> int:
    table = storage.table(names.POLICY_VERSIONS)
    return sum(1 for _ in table.query_entities("PartitionKey eq @t", parameters={"t": tenant_id}))


@pytest.fixture
def policy(client: GraphClient, sim_objects: Callable[[str], list[dict[str, Any]]]) -> CapturedPolicy:
    return capture_policy(client, "configurationPolicies", sim_objects(SETTINGS)[0]["id"])


def test_a_retried_record_adds_no_second_version(
    storage: StorageAccount, tenant_id: str, policy: CapturedPolicy
) -> None:
    first = record_version(storage, tenant_id, policy, "run-1", T0)
    again = record_version(storage, tenant_id, policy, "run-1", T0 + timedelta(seconds=30))
    assert again == first
    assert first.changed and first.previous_version_id is None
    assert [
        v.version_id for v in list_versions(storage, tenant_id, policy.policy_type, policy.policy_id).items
    ] == [first.version_id]
    assert row_count(storage, tenant_id) == 3  # index, timeline and the policy's latest pointer
    assert payload_count(storage) == 1


def test_unchanged_policy_adds_no_payload_and_says_so(
    client: GraphClient, storage: StorageAccount, tenant_id: str, policy: CapturedPolicy
) -> None:
    first = record_version(storage, tenant_id, policy, "run-1", T0)
    recaptured = capture_policy(client, policy.policy_type, policy.policy_id)
    second = record_version(storage, tenant_id, recaptured, "run-2", T0 + timedelta(hours=1))
    assert second.version_id != first.version_id
    assert not second.changed and second.previous_version_id == first.version_id
    assert second.content_sha256 == first.content_sha256
    assert payload_count(storage) == 1


def test_changed_policy_is_a_changed_version_with_a_new_blob(
    client: GraphClient, sim: GraphSim, storage: StorageAccount, tenant_id: str, policy: CapturedPolicy
) -> None:
    first = record_version(storage, tenant_id, policy, "run-1", T0)
    sim.admin.patch_object(tenant_id, SETTINGS, policy.policy_id, {"description": "edited in the portal"})
    changed = capture_policy(client, policy.policy_type, policy.policy_id)
    second = record_version(storage, tenant_id, changed, "run-2", T0 + timedelta(hours=1))
    assert second.changed and second.previous_version_id == first.version_id
    assert second.content_sha256 != first.content_sha256
    assert payload_count(storage) == 2
    assert get_version_content(storage, second)["description"] == "edited in the portal"
    assert get_version_content(storage, first) == policy.payload


def test_versions_list_newest_first_in_pages(
    storage: StorageAccount, tenant_id: str, policy: CapturedPolicy
) -> None:
    recorded = [
        record_version(storage, tenant_id, policy, f"run-{n}", T0 + timedelta(hours=n)) for n in range(5)
    ]
    other = CapturedPolicy(policy.policy_type, policy.policy_id + "x", "Other", {"name": "other"})
    record_version(storage, tenant_id, other, "run-0", T0)
    seen: list[str] = []
    continuation = None
    while True:
        page = list_versions(
            storage, tenant_id, policy.policy_type, policy.policy_id, page_size=2, continuation=continuation
        )
        seen += [version.version_id for version in page.items]
        continuation = page.continuation
        if continuation is None:
            break
    assert seen == [version.version_id for version in reversed(recorded)]
    assert [v.changed for v in recorded] == [True, False, False, False, False]


def test_get_version_is_scoped_to_tenant_and_policy(
    storage: StorageAccount, tenant_id: str, policy: CapturedPolicy
) -> None:
    version = record_version(storage, tenant_id, policy, "run-1", T0)
    assert get_version(storage, tenant_id, version.version_id) == version
    assert (
        get_version(
            storage, tenant_id, version.version_id, policy_type=policy.policy_type, policy_id=policy.policy_id
        )
        == version
    )
    for tenant, version_id, policy_id in (
        ("another-tenant", version.version_id, policy.policy_id),
        (tenant_id, "0" * 32, policy.policy_id),
        (tenant_id, "not a version id'", policy.policy_id),
        (tenant_id, version.version_id, "another-policy"),
    ):
        with pytest.raises(VersionNotFound) as caught:
            get_version(storage, tenant, version_id, policy_type=policy.policy_type, policy_id=policy_id)
        assert caught.value.to_problem().to_dict()["code"] == "version.not_found"
        assert caught.value.status == 404


def test_to_api_has_no_storage_internals(
    storage: StorageAccount, tenant_id: str, policy: CapturedPolicy
) -> None:
    body = record_version(storage, tenant_id, policy, "run-1", T0).to_api()
    assert body["policyType"] == "configurationPolicies" and body["changed"] is True
    assert body["capturedAt"] == T0.isoformat()
    assert not {"PartitionKey", "RowKey", "blobName", "blob_name"} & set(body)


def test_secret_values_reach_no_table_row_or_blob(
    client: GraphClient, storage: StorageAccount, tenant_id: str
) -> None:
    plain = "Fabrikam-Secret-Value-91"
    created = client.post(
        "/deviceManagement/deviceConfigurations",
        {
            "@odata.type": "#microsoft.graph.windows10CustomConfiguration",
            "displayName": "WIN - Custom - Secret",
            "omaSettings": [
                {
                    "@odata.type": "#microsoft.graph.omaSettingString",
                    "displayName": "S",
                    "omaUri": "./S",
                    "value": plain,
                }
            ],
        },
    )
    version = record_version(
        storage, tenant_id, capture_policy(client, "deviceConfigurations", created["id"]), "run-1", T0
    )
    assert version.secrets_not_captured == ["omaSettings[omaUri='./S'].value"]
    store = payload_store(storage, tenant_id)
    payloads = [store.get_bytes(payload.sha256).decode() for payload in store.payloads()]
    rows = [str(dict(row)) for row in storage.table(names.POLICY_VERSIONS).list_entities()]
    assert payloads
    for text in payloads + rows:
        assert plain not in text and "****" not in text
    assert (
        get_version(storage, tenant_id, version.version_id).secrets_not_captured
        == version.secrets_not_captured
    )
