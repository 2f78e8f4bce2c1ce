"""Graph, Intune and Entra error answers become typed, redacted errors that keep code and request-id."""

from __future__ import annotations

import json

import pytest

from shared.graph.auth import token_error
from shared.graph.errors import (
    GraphAuthError,
    GraphBadRequest,
    GraphError,
    GraphForbidden,
    GraphNotFound,
    GraphThrottled,
    GraphUnavailable,
    error_from_response,
    intune_message,
)

_JWT = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJodHRwczovL2dyYXBoIn0.c2lnbmF0dXJlLWJ5dGVz"


def _graph_error(code: str, message: str, request_id: str = "req-1") -> dict[str, object]:
    return {
        "error": {
            "code": code,
            "message": message,
            "innerError": {
                "date": "2025-01-01T00:00:00",
                "request-id": request_id,
                "client-request-id": "cli-1",
            },
        }
    }


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        (400, GraphBadRequest),
        (401, GraphAuthError),
        (403, GraphForbidden),
        (404, GraphNotFound),
        (429, GraphThrottled),
        (503, GraphUnavailable),
        (504, GraphUnavailable),
        (500, GraphError),
    ],
)
def test_status_picks_the_type(status: int, kind: type[GraphError]) -> None:
    error = error_from_response(status, _graph_error("Code", "text"), {}, method="GET", path="/beta/x")
    assert type(error) is kind


def test_code_message_and_ids_are_kept() -> None:
    body = _graph_error(
        "Authorization_RequestDenied",
        "Application is not authorized to perform this operation. Application must have one of the "
        "following scopes: DeviceManagementConfiguration.Read.All",
    )
    error = error_from_response(
        403, body, {}, method="GET", path="/beta/deviceManagement/deviceConfigurations"
    )
    assert isinstance(error, GraphForbidden)
    assert error.code == "Authorization_RequestDenied"
    assert error.message.startswith("Application is not authorized")
    assert (error.request_id, error.client_request_id) == ("req-1", "cli-1")
    assert "GET /beta/deviceManagement/deviceConfigurations failed with 403" in str(error)
    assert "(request-id req-1)" in str(error)


def test_response_headers_win_over_the_body_for_ids() -> None:
    error = error_from_response(
        404,
        _graph_error("NotFound", "gone"),
        {"Request-Id": "hdr-req", "client-request-id": "hdr-cli"},
        method="GET",
        path="/beta/x",
    )
    assert (error.request_id, error.client_request_id) == ("hdr-req", "hdr-cli")


def test_intune_wrapped_json_message_is_reduced_to_its_text() -> None:
    document = {
        "_version": 3,
        "Message": "Resource not found: deviceConfiguration with id 'abc'"
        " - Operation ID (for customer support): "
        "00000000-0000-0000-0000-000000000001 - Activity ID: req-1 - Url: https://fef.msua06.manage.microsoft.com/x",
        "CustomApiErrorPhrase": "",
        "RetryAfter": None,
        "ErrorSourceService": "",
        "HttpHeaders": "{}",
    }
    wrapped = json.dumps(document, indent=2).replace("\n", "\r\n")
    error = error_from_response(
        404, _graph_error("ResourceNotFound", wrapped), {}, method="GET", path="/beta/x"
    )
    assert error.message == "Resource not found: deviceConfiguration with id 'abc'"
    assert intune_message("plain text") == "plain text"
    assert intune_message("{not json") == "{not json"
    assert intune_message('{"CustomApiErrorPhrase": "Phrase"}') == "Phrase"


def test_bodies_that_are_not_graph_errors_still_give_a_message() -> None:
    assert error_from_response(502, b"<html>Bad gateway</html>", {}, method="GET", path="/x").message == (
        "<html>Bad gateway</html>"
    )
    assert (
        error_from_response(500, None, {}, method="GET", path="/x").message
        == "No error details in the answer."
    )
    assert error_from_response(500, {"error": {"code": "X"}}, {}, method="GET", path="/x").message == (
        "No error message in the answer."
    )


def test_throttled_errors_carry_the_wait() -> None:
    error = error_from_response(
        429, _graph_error("TooManyRequests", "later"), {}, method="GET", path="/x", retry_after=2.128
    )
    assert isinstance(error, GraphThrottled)
    assert error.retry_after == 2.128
    assert error.to_dict()["retry_after"] == 2.128
    unavailable = error_from_response(503, None, {}, method="GET", path="/x", retry_after=4.0)
    assert isinstance(unavailable, GraphThrottled)
    assert unavailable.retry_after == 4.0


def test_secrets_in_error_bodies_are_redacted() -> None:
    body = _graph_error("BadRequest", f"Bad token Bearer {_JWT} with client_secret=abcDEF123456789xyz")
    error = error_from_response(400, body, {}, method="POST", path="/beta/x")
    text = json.dumps(error.to_dict()) + str(error)
    assert _JWT not in text
    assert "abcDEF123456789xyz" not in text
    assert "[REDACTED]" in error.message


def test_entra_app_not_consented_is_aadsts700016() -> None:
    error = token_error(
        {
            "error": "unauthorized_client",
            "error_description": "AADSTS700016: Application with identifier 'app' was not found"
            " in the directory "
            "'Contoso'.\r\nTrace ID: t-1\r\nCorrelation ID: c-1\r\nTimestamp: 2025-01-01 00:00:00Z",
            "error_codes": [700016],
            "trace_id": "t-1",
            "correlation_id": "c-1",
        }
    )
    assert isinstance(error, GraphAuthError)
    assert (error.code, error.aadsts) == ("unauthorized_client", "AADSTS700016")
    assert error.message.startswith("AADSTS700016: Application with identifier 'app' was not found")
    assert "Trace ID" not in error.message
    assert (error.request_id, error.client_request_id) == ("t-1", "c-1")


def test_entra_wrong_secret_is_aadsts7000215() -> None:
    error = token_error(
        {"error": "invalid_client", "error_description": "AADSTS7000215: Invalid client secret provided."}
    )
    assert isinstance(error, GraphAuthError)
    assert (error.code, error.aadsts) == ("invalid_client", "AADSTS7000215")


def test_entra_outage_is_retryable_not_an_auth_failure() -> None:
    error = token_error({"error": "temporarily_unavailable", "error_description": "AADSTS50196: try later"})
    assert isinstance(error, GraphUnavailable)
    assert token_error({}).code == "token_request_failed"
