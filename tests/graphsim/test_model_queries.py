"""OData queries as Graph answers them: $filter, $select, $top/top, $orderby, $count, nextLink."""

from __future__ import annotations

import pytest

from local.graphsim.intune import GraphModel
from local.graphsim.intune.testing import ModelClient

G = "#microsoft.graph."
DC = "/deviceManagement/deviceConfigurations"
NAMES = ("WIN - Baseline - Edge", "WIN - Baseline - BitLocker", "iOS - Restrictions", "macOS - Restrictions")


@pytest.fixture
def client() -> ModelClient:
    model = GraphModel()
    model.populate_defaults("tenant-a")
    client = ModelClient(model, "tenant-a")
    for index, name in enumerate(NAMES):
        kind = "windows10GeneralConfiguration" if name.startswith("WIN") else "iosGeneralDeviceConfiguration"
        client.post(
            DC,
            {
                "@odata.type": G + kind,
                "displayName": name,
                "description": f"d{index}",
                "passwordMinimumLength": 4 + index,
            },
        )
    return client


def names(client: ModelClient, **query: str) -> list[str]:
    return [item["displayName"] for item in client.get_all(DC, query=query)]


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("displayName eq 'iOS - Restrictions'", ["iOS - Restrictions"]),
        ("displayName ne 'iOS - Restrictions'", [n for n in NAMES if n != "iOS - Restrictions"]),
        ("startswith(displayName,'WIN - Baseline')", list(NAMES[:2])),
        ("startswith(displayName, 'win') and description eq 'd1'", ["WIN - Baseline - BitLocker"]),
        ("description eq 'd0' or description eq 'd3'", [NAMES[0], NAMES[3]]),
        ("(description eq 'd0' or description eq 'd3') and passwordMinimumLength gt 5", [NAMES[3]]),
        ("not startswith(displayName,'WIN')", list(NAMES[2:])),
        ("passwordMinimumLength ge 6", list(NAMES[2:])),
    ],
)
def test_filter(client: ModelClient, expression: str, expected: list[str]) -> None:
    assert names(client, **{"$filter": expression}) == expected


def test_filter_syntax_error_is_a_400(client: ModelClient) -> None:
    response = client.get(DC, query={"$filter": "displayName eq"})
    assert response.status == 400
    assert response.body["error"]["message"].startswith("Invalid filter clause")


def test_select_keeps_only_the_named_properties_and_the_type(client: ModelClient) -> None:
    item = client.get(DC, query={"$select": "id,displayName"}).body["value"][0]
    assert set(item) == {"@odata.type", "id", "displayName"}


def test_top_pages_with_next_links_and_dollar_is_optional_on_beta(client: ModelClient) -> None:
    first = client.get(DC, query={"top": "3"})
    assert len(first.body["value"]) == 3 and "@odata.nextLink" in first.body
    second = client.follow(first.body["@odata.nextLink"])
    assert len(second.body["value"]) == 1 and "@odata.nextLink" not in second.body
    assert [item["displayName"] for item in first.body["value"] + second.body["value"]] == list(NAMES)


def test_v1_ignores_options_without_the_dollar(client: ModelClient) -> None:
    unpaged = client.get(DC, query={"top": "1"}, version="v1.0")
    assert len(unpaged.body["value"]) == 4
    assert len(client.get(DC, query={"$top": "1"}, version="v1.0").body["value"]) == 1


def test_orderby_and_count(client: ModelClient) -> None:
    body = client.get(DC, query={"$orderby": "displayName desc", "$count": "true"}).body
    assert body["@odata.count"] == 4
    assert [item["displayName"] for item in body["value"]] == sorted(NAMES, key=str.lower, reverse=True)


def test_a_bad_top_is_a_400(client: ModelClient) -> None:
    assert client.get(DC, query={"$top": "many"}).status == 400


def test_query_string_in_the_path_is_read_like_a_client_sends_it(client: ModelClient) -> None:
    listed = client.get(f"{DC}?$filter=displayName eq 'macOS - Restrictions'&$select=displayName")
    [item] = listed.body["value"]
    assert item == {
        "@odata.type": G + "iosGeneralDeviceConfiguration",
        "id": item["id"],
        "displayName": "macOS - Restrictions",
    }


def test_list_context_and_entity_context(client: ModelClient) -> None:
    listed = client.get(DC).body
    assert (
        listed["@odata.context"]
        == "https://127.0.0.1:8443/beta/$metadata#deviceManagement/deviceConfigurations"
    )
    one = client.get(f"{DC}/{listed['value'][0]['id']}", version="v1.0").body
    assert one["@odata.context"].endswith("/v1.0/$metadata#deviceManagement/deviceConfigurations/$entity")


def test_key_segment_syntax_is_accepted(client: ModelClient) -> None:
    object_id = client.get(DC).body["value"][0]["id"]
    assert client.get(f"{DC}('{object_id}')").body["id"] == object_id


def test_expanded_navigation_survives_select(client: ModelClient) -> None:
    item = client.get(DC, query={"$select": "displayName", "$expand": "assignments"}).body["value"][0]
    assert set(item) == {"@odata.type", "id", "displayName", "assignments", "assignments@odata.context"}
    assert item["assignments@odata.context"].endswith(
        f"#deviceManagement/deviceConfigurations('{item['id']}')/assignments"
    )


def test_filter_with_bracketed_type_cast_operands_as_intunecd_sends_it(client: ModelClient) -> None:
    expression = (
        "(microsoft.graph.windows10GeneralConfiguration/description) eq 'd0' "
        "or (microsoft.graph.windows10GeneralConfiguration/appAvailability) eq 'lineOfBusiness'"
    )
    assert names(client, **{"$filter": expression}) == [NAMES[0]]


def test_a_stray_question_mark_before_an_option_is_ignored(client: ModelClient) -> None:
    listed = client.get(DC, query={"?$select": "displayName"}).body["value"]
    assert set(listed[0]) == {"@odata.type", "id", "displayName"}
