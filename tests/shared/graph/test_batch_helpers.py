"""`$batch` helpers: chunks of 20, answers matched by ID in any order, and only throttled items resent."""

from __future__ import annotations

from typing import Any

import pytest

from shared.graph.batch import (
    BatchRequest,
    BatchResponse,
    chunked,
    longest_retry_after,
    match_responses,
    to_resend,
)
from shared.graph.errors import GraphError, GraphNotFound, GraphThrottled


def _gets(count: int) -> list[BatchRequest]:
    return [BatchRequest(str(n), "GET", f"/deviceManagement/deviceConfigurations/{n}") for n in range(count)]


def test_chunks_hold_at_most_twenty_in_order() -> None:
    chunks = chunked(_gets(45))
    assert [len(chunk) for chunk in chunks] == [20, 20, 5]
    assert [request.id for chunk in chunks for request in chunk] == [str(n) for n in range(45)]
    assert chunked([]) == []


def test_chunking_refuses_duplicate_ids_and_split_dependencies() -> None:
    with pytest.raises(ValueError, match="unique"):
        chunked([*_gets(2), BatchRequest("1", "GET", "/x")])
    split = [*_gets(20), BatchRequest("late", "GET", "/x", depends_on=("3",))]
    with pytest.raises(ValueError, match="another batch"):
        chunked(split)
    with pytest.raises(ValueError, match="1 to 20"):
        chunked(_gets(3), size=21)


def test_wire_form_adds_content_type_and_drops_completed_dependencies() -> None:
    request = BatchRequest("b", "post", "/deviceManagement/x", body={"a": 1}, depends_on=("a", "c"))
    assert request.to_json(frozenset({"a"})) == {
        "id": "b",
        "method": "POST",
        "url": "/deviceManagement/x",
        "body": {"a": 1},
        "headers": {"Content-Type": "application/json"},
        "dependsOn": ["c"],
    }
    assert BatchRequest("g", "GET", "/y").to_json() == {"id": "g", "method": "GET", "url": "/y"}


def _answer(id_: str, status: int, body: Any = None, headers: dict[str, str] | None = None) -> dict[str, Any]:
    return {"id": id_, "status": status, "headers": headers or {}, "body": body}


def test_answers_in_any_order_are_matched_by_id() -> None:
    sent = _gets(3)
    matched = match_responses(
        sent, {"responses": [_answer("2", 200, {"n": 2}), _answer("0", 404), _answer("1", 200)]}
    )
    assert {key: answer.status for key, answer in matched.items()} == {"0": 404, "1": 200, "2": 200}
    assert matched["2"].json() == {"n": 2}
    assert matched["0"].url == "/deviceManagement/deviceConfigurations/0"


def test_a_missing_answer_is_an_error_not_a_silent_gap() -> None:
    with pytest.raises(GraphError, match=r"no response for request\(s\) \['1'\]"):
        match_responses(_gets(2), {"responses": [_answer("0", 200)]})
    with pytest.raises(GraphError, match="no 'responses'"):
        match_responses(_gets(1), {"error": {}})


def _responses(sent: list[BatchRequest], statuses: dict[str, int]) -> dict[str, BatchResponse]:
    return match_responses(sent, {"responses": [_answer(r.id, statuses.get(r.id, 200)) for r in sent]})


def test_only_throttled_items_are_resent() -> None:
    sent = _gets(5)
    answers = _responses(sent, {"1": 429, "2": 404, "3": 503, "4": 504})
    assert [request.id for request in to_resend(sent, answers)] == ["1", "3", "4"]


def test_a_write_answered_504_is_not_resent_but_a_failed_dependency_of_a_throttled_one_is() -> None:
    sent = [
        BatchRequest("a", "POST", "/x", body={}),
        BatchRequest("b", "POST", "/y", body={}, depends_on=("a",)),
        BatchRequest("c", "PATCH", "/z", body={}),
        BatchRequest("d", "GET", "/w", depends_on=("e",)),
        BatchRequest("e", "GET", "/v"),
    ]
    answers = _responses(sent, {"a": 429, "b": 424, "c": 504, "d": 424, "e": 404})
    assert [request.id for request in to_resend(sent, answers)] == ["a", "b"]


def test_the_longest_retry_after_covers_every_throttled_item() -> None:
    sent = _gets(3)
    answers = match_responses(
        sent,
        {
            "responses": [
                _answer("0", 429, headers={"Retry-After": "2.128"}),
                _answer("1", 429, headers={"retry-after": "5"}),
                _answer("2", 429),
            ]
        },
    )
    assert longest_retry_after(answers.values()) == 5.0
    assert longest_retry_after([answers["2"]]) is None


def test_inner_failures_turn_into_typed_errors() -> None:
    sent = _gets(2)
    body = {"error": {"code": "TooManyRequests", "message": "Please retry again later."}}
    answers = match_responses(
        sent,
        {
            "responses": [
                _answer("0", 429, body, {"Retry-After": "3"}),
                _answer("1", 404, {"error": {"code": "NotFound"}}),
            ]
        },
    )
    throttled = answers["0"].error()
    assert isinstance(throttled, GraphThrottled)
    assert throttled.retry_after == 3.0
    with pytest.raises(GraphNotFound) as caught:
        answers["1"].json()
    assert caught.value.path == "/deviceManagement/deviceConfigurations/1"
