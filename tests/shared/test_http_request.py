"""The guard for numbers and times in query strings: every hostile value is a 400 problem, never a 500."""

from __future__ import annotations

from datetime import UTC, datetime

import azure.functions as func
import pytest

from shared.http.request import (
    EARLIEST_TIME,
    LATEST_TIME,
    InvalidPathParameter,
    InvalidQueryParameter,
    int_param,
    object_id_param,
    page_params,
    time_param,
)


def _request(params: dict[str, str] | None = None, route: dict[str, str] | None = None) -> func.HttpRequest:
    return func.HttpRequest(
        "GET", "http://host/api/x", params=params or {}, route_params=route or {}, body=b""
    )


@pytest.mark.parametrize(
    "size",
    ["²", "٣", "\uff11\uff10", "0", "1001", "-1", "+5", " 5", "5 ", "1e3", "0x10", "", "9" * 40, "5\n", "½"],
)
def test_page_size_is_ascii_digits_from_1_to_1000(size: str) -> None:
    with pytest.raises(InvalidQueryParameter) as refused:
        page_params(_request({"pageSize": size}))
    assert (refused.value.status, refused.value.code) == (400, "request.invalid_query")


def test_page_size_within_bounds_and_its_default() -> None:
    assert page_params(_request({"pageSize": "1000"})) == (1000, None)
    assert page_params(_request({"pageSize": "007"})) == (7, None)
    assert page_params(_request()) == (50, None)


def test_int_param_names_the_bounds() -> None:
    with pytest.raises(InvalidQueryParameter, match="from 2 to 9"):
        int_param(_request({"n": "10"}), "n", minimum=2, maximum=9)
    assert int_param(_request({"n": "9"}), "n", minimum=2, maximum=9) == 9
    assert int_param(_request(), "n", minimum=2, maximum=9) is None


@pytest.mark.parametrize(
    "value",
    [
        "0001-01-01T00:00:00-23:59",
        "0001-01-01T00:00:00+23:59",
        "9999-12-31T23:59:59-23:59",
        "1969-12-31T23:59:59Z",
        "9999-12-31T00:00:00Z",
        "yesterday",
        "2026-01-31T12:00:00",
        "2026-02-30T00:00:00Z",
        "\uff12\uff10\uff12\uff16-01-31T12:00:00Z",
        "2026-01-31T12:00:00Z" + "0" * 100,
        "",
        "\x00",
    ],
)
def test_times_outside_the_key_range_or_malformed_are_400s(value: str) -> None:
    with pytest.raises(InvalidQueryParameter):
        time_param(_request({"since": value}), "since")


def test_times_come_back_in_utc() -> None:
    moment = time_param(_request({"since": "2026-01-31T12:00:00+02:00"}), "since")
    assert moment == datetime(2026, 1, 31, 10, tzinfo=UTC)
    assert moment is not None and moment.tzinfo is UTC
    assert time_param(_request({"until": "2026-01-31T12:00:00 01:00"}), "until") == datetime(
        2026, 1, 31, 11, tzinfo=UTC
    )
    assert time_param(_request({"since": EARLIEST_TIME.isoformat()}), "since") == EARLIEST_TIME
    assert time_param(_request({"until": LATEST_TIME.isoformat()}), "until") == LATEST_TIME


@pytest.mark.parametrize("value", ["", "abc\n", "-abc", "a/b", "a%2Fb", "é", "a" * 129, "a b", "a\x00"])
def test_object_ids_are_short_and_url_safe(value: str) -> None:
    with pytest.raises(InvalidPathParameter):
        object_id_param(_request(route={"policyId": value}), "policyId")
    assert object_id_param(_request(route={"policyId": "abc_1.2~3-4"}), "policyId") == "abc_1.2~3-4"
