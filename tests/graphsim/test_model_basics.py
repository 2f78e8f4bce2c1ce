"""GraphModel basics: routing, CRUD, queries, permissions, tenant isolation and the admin calls."""

from __future__ import annotations

import json

import pytest

from local.graphsim.intune import AdminInputError, GraphModel
from local.graphsim.intune.testing import ModelClient

DC = "/deviceManagement/deviceConfigurations"


@pytest.fixture
def model() -> GraphModel:
    model = GraphModel()
    model.populate_defaults("tenant-a")
    model.populate_defaults("tenant-b")
    return model


@pytest.fixture
def client(model: GraphModel) -> ModelClient:
    return ModelClient(model, "tenant-a")


def windows_profile(name: str = "WIN - Baseline - Restrictions") -> dict[str, object]:
    return {"@odata.type": "#microsoft.graph.windows10GeneralConfiguration", "displayName": name}


def test_create_sets_server_fields_and_get_returns_them(client: ModelClient) -> None:
    created = client.post(DC, windows_profile())
    assert created.status == 201
    body = created.body
    assert body["version"] == 1 and body["roleScopeTagIds"] == ["0"]
    assert body["createdDateTime"].endswith("Z")
    fetched = client.get(f"{DC}/{body['id']}")
    assert fetched.status == 200
    assert (
        fetched.body["@odata.context"]
        == "https://127.0.0.1:8443/beta/$metadata#deviceManagement/deviceConfigurations/$entity"
    )
    assert fetched.body["displayName"] == "WIN - Baseline - Restrictions"


def test_patch_increments_version_and_delete_removes(client: ModelClient) -> None:
    object_id = client.post(DC, windows_profile()).body["id"]
    assert client.request("PATCH", f"{DC}/{object_id}", {"description": "drift"}).status == 204
    after = client.get(f"{DC}/{object_id}").body
    assert after["version"] == 2 and after["description"] == "drift"
    assert client.request("DELETE", f"{DC}/{object_id}").status == 204
    missing = client.get(f"{DC}/{object_id}")
    assert missing.status == 404
    assert json.loads(missing.body["error"]["message"])["_version"] == 3


def test_unknown_expand_is_a_400_naming_the_type(client: ModelClient) -> None:
    response = client.get(DC, query={"$expand": "settingz"})
    assert response.status == 400
    assert response.body["error"]["message"] == (
        "Parsing OData Select and Expand failed: Could not find a property named 'settingz' "
        "on type 'microsoft.graph.deviceConfiguration'."
    )


def test_beta_only_type_is_not_found_on_v1(client: ModelClient) -> None:
    response = client.get("/deviceManagement/configurationPolicies", version="v1.0")
    assert response.status == 400
    assert response.body["error"]["message"] == "Resource not found for the segment 'configurationPolicies'."
    assert client.get(DC, version="v1.0").status == 200


def test_unknown_segment_is_a_400(client: ModelClient) -> None:
    response = client.get("/deviceManagement/deviceConfigurationz")
    assert (response.status, response.body["error"]["code"]) == (400, "BadRequest")
    assert "deviceConfigurationz" in response.body["error"]["message"]


def test_missing_permission_is_a_403_with_graphs_message(model: GraphModel) -> None:
    reader = ModelClient(model, "tenant-a", roles={"DeviceManagementConfiguration.Read.All"})
    assert reader.get(DC).status == 200
    denied = reader.post(DC, windows_profile())
    assert denied.status == 403
    message = json.loads(denied.body["error"]["message"])["Message"]
    assert message.startswith(
        "Application is not authorized to perform this operation. Application must have one of the "
        "following scopes: DeviceManagementConfiguration.ReadWrite.All"
    )
    apps_only = ModelClient(model, "tenant-a", roles={"DeviceManagementApps.ReadWrite.All"})
    assert apps_only.get(DC).status == 403


def test_tenants_never_see_each_others_objects(model: GraphModel) -> None:
    a, b = ModelClient(model, "tenant-a"), ModelClient(model, "tenant-b")
    object_id = a.post(DC, windows_profile()).body["id"]
    assert b.get(f"{DC}/{object_id}").status == 404
    assert b.get_all(DC) == []
    assert [item["id"] for item in a.get_all(DC)] == [object_id]


def test_put_raw_patch_raw_dump_and_delete_raw(model: GraphModel, client: ModelClient) -> None:
    stored = model.put_raw(
        "tenant-a", "deviceManagement/deviceConfigurations", {**windows_profile(), "version": 7}
    )
    assert client.get(f"{DC}/{stored['id']}").body["version"] == 7
    drifted = model.patch_raw(
        "tenant-a", "deviceManagement/deviceConfigurations", stored["id"], {"description": "x"}
    )
    assert drifted["version"] == 8
    dump = model.dump_tenant("tenant-a")
    assert [obj["id"] for obj in dump["deviceManagement/deviceConfigurations"]] == [stored["id"]]
    model.delete_raw("tenant-a", "deviceManagement/deviceConfigurations", stored["id"])
    assert client.get(f"{DC}/{stored['id']}").status == 404


def test_admin_calls_reject_bad_input_with_a_clear_message(model: GraphModel) -> None:
    with pytest.raises(AdminInputError, match="unknown collection"):
        model.put_raw("tenant-a", "deviceManagement/nope", {})
    with pytest.raises(AdminInputError, match=r"@odata\.type"):
        model.put_raw("tenant-a", "deviceManagement/deviceConfigurations", {"displayName": "x"})
    with pytest.raises(AdminInputError, match="unknown tenant"):
        model.dump_tenant("nobody")
    with pytest.raises(AdminInputError, match="no object"):
        model.delete_raw("tenant-a", "groups", "missing")


def test_reset_forgets_every_tenant(model: GraphModel) -> None:
    model.reset()
    with pytest.raises(AdminInputError):
        model.dump_tenant("tenant-a")
