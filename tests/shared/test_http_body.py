"""The guard for request bodies: size, depth and text limits are problems (400/413), never a 500."""

from __future__ import annotations

import azure.functions as func
import pytest

from shared.http.body import MAX_BODY_BYTES, MAX_DEPTH, BodyTooDeep, BodyTooLarge, InvalidBody, json_body
from shared.http.problems import ProblemError


class RouteProblem(ProblemError):
    code = "route.invalid"


def _request(body: bytes) -> func.HttpRequest:
    return func.HttpRequest("POST", "http://host/api/x", body=body)


@pytest.mark.parametrize(
    "body",
    [
        b"[" * 100_000 + b"]" * 100_000,
        b'{"a":' * 100_000 + b"1" + b"}" * 100_000,
        b"[" * (MAX_DEPTH + 1) + b"]" * (MAX_DEPTH + 1),
        b'{"mode": "preview", "source": ' + b"[" * 200 + b"]" * 200 + b"}",
    ],
)
def test_deep_bodies_are_400s(body: bytes) -> None:
    with pytest.raises(BodyTooDeep) as refused:
        json_body(_request(body))
    assert (refused.value.status, refused.value.code) == (400, "request.body_too_deep")


def test_a_body_at_the_depth_limit_is_read() -> None:
    body = b"[" * MAX_DEPTH + b"1" + b"]" * MAX_DEPTH
    value = json_body(_request(body))
    for _ in range(MAX_DEPTH - 1):
        value = value[0]
    assert value == [1]


def test_large_bodies_are_413s() -> None:
    with pytest.raises(BodyTooLarge) as refused:
        json_body(_request(b'"' + b"x" * MAX_BODY_BYTES + b'"'))
    assert (refused.value.status, refused.value.code) == (413, "request.body_too_large")


@pytest.mark.parametrize(
    "body",
    [
        b"{",
        b"}{",
        b"NaN",
        b'{"keepLast": Infinity}',
        b"[-Infinity]",
        b"1" * 5000,
        b"\xff\xfe\x00",
        b'{"name": "\\ud800"}',
        b'{"\\udfff": 1}',
        b"<xml/>",
        b"mode=preview",
        b'{"a": 1} trailing',
    ],
)
def test_malformed_bodies_are_the_routes_own_problem(body: bytes) -> None:
    with pytest.raises(RouteProblem):
        json_body(_request(body), invalid=RouteProblem)
    with pytest.raises(InvalidBody) as refused:
        json_body(_request(body))
    assert (refused.value.status, refused.value.code) == (400, "request.invalid_body")


def test_no_body_is_none_and_json_is_parsed() -> None:
    assert json_body(_request(b"")) is None
    assert json_body(_request(b"  \n")) is None
    assert json_body(_request(b'{"mode": "live", "items": ["a", 1e308, null, "\\u00e9"]}')) == {
        "mode": "live",
        "items": ["a", 1e308, None, "é"],
    }
