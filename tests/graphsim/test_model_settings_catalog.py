"""Settings catalog: pages of 25 with opaque nextLinks, `$expand=settings`, PUT as full replace."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from local.graphsim.intune import GraphModel
from local.graphsim.intune.testing import ModelClient

CP = "/deviceManagement/configurationPolicies"
CHOICE = "#microsoft.graph.deviceManagementConfigurationChoiceSettingInstance"


def setting(number: int) -> dict[str, Any]:
    definition = f"device_vendor_msft_policy_config_test_setting{number:03d}"
    return {
        "settingInstance": {
            "@odata.type": CHOICE,
            "settingDefinitionId": definition,
            "choiceSettingValue": {"value": f"{definition}_1", "children": []},
        }
    }


def policy(count: int, name: str = "WIN - Baseline - Sixty") -> dict[str, Any]:
    return {
        "name": name,
        "description": "",
        "platforms": "windows10",
        "technologies": "mdm",
        "roleScopeTagIds": ["0"],
        "settings": [setting(number) for number in range(count)],
    }


@pytest.fixture
def client() -> ModelClient:
    model = GraphModel()
    model.populate_defaults("tenant-a")
    return ModelClient(model, "tenant-a")


def test_sixty_settings_come_in_three_pages_through_opaque_next_links(client: ModelClient) -> None:
    policy_id = client.post(CP, policy(60)).body["id"]
    pages = []
    response = client.get(f"{CP}/{policy_id}/settings")
    while True:
        assert response.status == 200
        pages.append(response.body["value"])
        link = response.body.get("@odata.nextLink")
        if link is None:
            break
        assert link.startswith(f"https://127.0.0.1:8443/beta{CP}/{policy_id}/settings?")
        token = parse_qs(urlsplit(link).query)["$skiptoken"][0]
        assert not token.isdigit() and "25" not in token
        response = client.follow(link)
    assert [len(page) for page in pages] == [25, 25, 10]
    definitions = [item["settingInstance"]["settingDefinitionId"] for page in pages for item in page]
    assert definitions == [setting(number)["settingInstance"]["settingDefinitionId"] for number in range(60)]
    assert [item["id"] for page in pages for item in page] == [str(number) for number in range(60)]


def test_a_forged_skiptoken_is_a_400(client: ModelClient) -> None:
    policy_id = client.post(CP, policy(30)).body["id"]
    response = client.get(f"{CP}/{policy_id}/settings", query={"$skiptoken": "25"})
    assert response.status == 400


def test_the_policy_list_pages_at_25_even_when_more_is_asked(client: ModelClient) -> None:
    for number in range(30):
        client.post(CP, policy(1, f"WIN - Baseline - {number:02d}"))
    first = client.get(CP, query={"top": "1000"})
    assert len(first.body["value"]) == 25 and "@odata.nextLink" in first.body
    assert "top=1000" in first.body["@odata.nextLink"].replace("%24", "$")
    assert len(client.get_all(CP)) == 30


def test_expand_settings_on_get_and_list_omits_settings(client: ModelClient) -> None:
    policy_id = client.post(CP, policy(3)).body["id"]
    plain = client.get(f"{CP}/{policy_id}").body
    assert "settings" not in plain and plain["settingCount"] == 3
    expanded = client.get(f"{CP}/{policy_id}", query={"$expand": "settings"}).body
    assert [item["id"] for item in expanded["settings"]] == ["0", "1", "2"]
    assert all("settings" not in item for item in client.get_all(CP))


def test_setting_definitions_expand_on_settings(client: ModelClient) -> None:
    policy_id = client.post(CP, policy(2)).body["id"]
    page = client.get(f"{CP}/{policy_id}/settings", query={"$expand": "settingDefinitions"}).body["value"]
    assert page[0]["settingDefinitions"][0]["id"] == setting(0)["settingInstance"]["settingDefinitionId"]


def test_put_replaces_the_whole_policy_including_settings(client: ModelClient) -> None:
    created = client.post(CP, {**policy(40), "description": "old"}).body
    replacement = {**policy(5, "WIN - Baseline - Replaced"), "roleScopeTagIds": ["0"]}
    assert client.request("PUT", f"{CP}/{created['id']}", replacement).status == 204
    after = client.get(f"{CP}/{created['id']}", query={"$expand": "settings"}).body
    assert after["name"] == "WIN - Baseline - Replaced" and after["description"] == ""
    assert after["settingCount"] == 5 and len(after["settings"]) == 5
    assert after["createdDateTime"] == created["createdDateTime"]


def test_patch_changes_metadata_but_not_settings(client: ModelClient) -> None:
    policy_id = client.post(CP, policy(3)).body["id"]
    assert client.request("PATCH", f"{CP}/{policy_id}", {"description": "new"}).status == 204
    refused = client.request("PATCH", f"{CP}/{policy_id}", {"settings": [setting(9)]})
    assert refused.status == 400
    assert client.get(f"{CP}/{policy_id}").body["settingCount"] == 3


def test_a_setting_without_a_known_instance_type_is_a_model_validation_failure(client: ModelClient) -> None:
    bad = policy(1)
    bad["settings"][0]["settingInstance"]["@odata.type"] = "#microsoft.graph.notAnInstance"
    response = client.post(CP, bad)
    assert (response.status, response.body["error"]["code"]) == (400, "ModelValidationFailure")
