"""Every catalog type captured from graphsim's demo data, and the batched capture a chunked backup
will use: same payloads as one-by-one, failures per object, and the Graph requests it costs."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import pytest

from local.graphsim.testing import GraphSim
from shared.graph import GraphClient
from shared.intune import TYPES, CapturedPolicy, CaptureFailure, capture_policies_batched, capture_policy
from shared.intune import capture as capture_module
from shared.intune.capture import display_name
from shared.intune.catalog import BY_NAME
from shared.intune.model import ObjectType, PathRead, nested_id
from shared.intune.normalize import PARENT_MARKER
from shared.storage import canonical_json

Objects = Callable[[str], list[dict[str, Any]]]
Requests = Callable[[], list[dict[str, Any]]]
APP_PROTECTION = (
    "deviceAppManagement/iosManagedAppProtections",
    "deviceAppManagement/androidManagedAppProtections",
    "deviceAppManagement/targetedManagedAppConfigurations",
)


def stored_objects(entry: ObjectType, sim_objects: Objects) -> list[dict[str, Any]]:
    """What graphsim holds of the type, nested objects under the IDs capture gives them."""
    if entry.name == "managedAppPolicies":
        return [obj for collection in APP_PROTECTION for obj in sim_objects(collection)]
    if entry.parent is not None:
        parent = entry.parent
        return [
            {**child, "id": nested_id(holder["id"], child["id"]), PARENT_MARKER: holder.get(parent.key)}
            for holder in sim_objects(parent.collection.lstrip("/"))
            for child in holder.get(parent.navigation) or []
        ]
    return sim_objects(entry.collection.lstrip("/"))


@pytest.mark.parametrize("entry", TYPES, ids=lambda entry: entry.name)
def test_every_type_is_captured_from_demo_data(
    entry: ObjectType, client: GraphClient, sim_objects: Objects
) -> None:
    stored = stored_objects(entry, sim_objects)
    assert stored, f"graphsim's demo tenant has no {entry.name}"
    for obj in stored:
        captured = capture_policy(client, entry.name, obj["id"])
        assert captured.display_name == display_name(entry, obj)
        for key, value in obj.items():
            kept = key not in entry.volatile and key not in entry.secret_properties
            kept = kept and (not entry.captured_fields or key in entry.captured_fields)
            if kept and not isinstance(value, list | dict) and value != "****":
                assert captured.payload[key] == value, f"{entry.name}.{key}"
        for name in [sub.name for sub in entry.sub_collections] + [read.name for read in entry.path_reads]:
            if isinstance(obj.get(name), list):
                assert len(captured.payload[name]) == len(obj[name]), f"{entry.name}.{name}"
        text = canonical_json(captured.payload).decode()
        for secret in entry.secret_properties:
            if obj.get(secret):
                assert str(obj[secret]) not in text


def test_batched_capture_equals_one_by_one_and_fails_per_object(
    client: GraphClient, sim: GraphSim, tenant_id: str, sim_objects: Objects, graph_requests: Requests
) -> None:
    for name in ("configurationPolicies", "groupPolicyConfigurations", "deviceManagementScripts"):
        ids = [obj["id"] for obj in sim_objects(BY_NAME[name].collection.lstrip("/"))]
        sim.admin.delete_object(tenant_id, BY_NAME[name].collection.lstrip("/"), ids[1])
        results = capture_policies_batched(client, name, ids)
        assert [r.policy_id for r in results] == ids
        failure = results[1]
        assert isinstance(failure, CaptureFailure) and failure.not_found
        assert failure.to_dict()["error"]["status"] == 404
        for result in results[:1] + results[2:]:
            assert isinstance(result, CapturedPolicy)
            assert result == capture_policy(client, name, result.policy_id)
    before = len(graph_requests())
    ids = [obj["id"] for obj in sim_objects("deviceManagement/configurationPolicies")]
    capture_policies_batched(client, "configurationPolicies", ids)
    logged = graph_requests()[before:]
    assert len(logged) == len(ids) and all(entry["in_batch"] for entry in logged)


def test_a_complete_list_costs_no_further_request(
    client: GraphClient, sim_objects: Objects, graph_requests: Requests
) -> None:
    entry = BY_NAME["deviceCompliancePolicies"]
    listed = client.get_all(entry.collection, params={"$expand": ",".join(entry.expand)})
    before = len(graph_requests())
    results = capture_policies_batched(
        client, entry.name, [obj["id"] for obj in listed], listed={obj["id"]: obj for obj in listed}
    )
    assert len(graph_requests()) == before
    assert results == [capture_policy(client, entry.name, obj["id"]) for obj in listed]


def test_settings_read_from_their_own_path_follow_every_page(
    client: GraphClient,
    sim: GraphSim,
    tenant_id: str,
    graph_requests: Requests,
    monkeypatch: pytest.MonkeyPatch,
    settings_policy: Callable[[int], dict[str, Any]],
) -> None:
    """Where `$expand=settings` is not trusted, `/settings` pages of 25 are all read (150 = 6 pages)."""
    created = sim.admin.put_object(tenant_id, "deviceManagement/configurationPolicies", settings_policy(150))
    via_path = dataclasses.replace(
        BY_NAME["configurationPolicies"],
        expand=("assignments",),
        expanded_pages=(),
        path_reads=(PathRead("settings"),),
    )
    monkeypatch.setattr(capture_module, "object_type", lambda name: via_path)
    before = len(graph_requests())
    captured = capture_policy(client, "configurationPolicies", created["id"])
    assert len(captured.payload["settings"]) == 150
    assert len(graph_requests()) - before == 1 + 6
