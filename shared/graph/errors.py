"""The Graph client's exception tree: callers catch these types, never message text.

Every text an error holds has been through `shared.redact.redact`, so an error can be logged,
stored in a run record or returned by the API as it is.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from shared.redact import redact

_INTUNE_SUPPORT_SUFFIX = " - Operation ID (for customer support):"


class GraphError(Exception):
    """A Graph request failed. `status` is None when no HTTP answer came back."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: str | None = None,
        request_id: str | None = None,
        client_request_id: str | None = None,
        method: str | None = None,
        path: str | None = None,
    ) -> None:
        self.message = redact(message)
        self.status = status
        self.code = _redact_optional(code)
        self.request_id = _redact_optional(request_id)
        self.client_request_id = _redact_optional(client_request_id)
        self.method = method
        self.path = _redact_optional(path)
        super().__init__(self._describe())

    def _describe(self) -> str:
        where = f"{self.method} {self.path}" if self.method and self.path else "Graph request"
        answer = " ".join(str(part) for part in (self.status, self.code) if part is not None)
        text = f"{where} failed" + (f" with {answer}" if answer else "") + f": {self.message}"
        return text + (f" (request-id {self.request_id})" if self.request_id else "")

    def to_dict(self) -> dict[str, Any]:
        """The fields a run record or API answer keeps; all of them already redacted."""
        return {
            "type": type(self).__name__,
            "status": self.status,
            "code": self.code,
            "message": self.message,
            "request_id": self.request_id,
            "client_request_id": self.client_request_id,
            "method": self.method,
            "path": self.path,
        }


class GraphThrottled(GraphError):
    """Graph asked us to come back later (429); `retry_after` is how many seconds to wait.

    The client raises it when the wait needed does not fit the call's retry budget, so an
    orchestrator can wait with a durable timer instead of an activity sleeping.
    """

    def __init__(self, message: str, *, retry_after: float, **fields: Any) -> None:
        self.retry_after = retry_after
        super().__init__(message, **fields)

    def to_dict(self) -> dict[str, Any]:
        return super().to_dict() | {"retry_after": self.retry_after}


class GraphUnavailable(GraphThrottled):
    """503/504, or connections that kept failing: also 'come back later', hence a GraphThrottled."""


class GraphNotFound(GraphError):
    """404: the object does not exist (any more)."""


class GraphForbidden(GraphError):
    """403: the app lacks an application permission in this tenant (consent without the right roles)."""


class GraphBadRequest(GraphError):
    """400: Graph rejected the request itself; resending it unchanged cannot help."""


class GraphAuthError(GraphError):
    """No usable token: `aadsts` says why, e.g. AADSTS700016 (app not consented in the tenant),
    AADSTS7000215 (wrong client secret). Also raised when Graph still answers 401 with a fresh token.
    """

    def __init__(self, message: str, *, aadsts: str | None = None, **fields: Any) -> None:
        self.aadsts = aadsts
        super().__init__(message, **fields)

    def to_dict(self) -> dict[str, Any]:
        return super().to_dict() | {"aadsts": self.aadsts}


class ReadOnlyViolation(GraphError):
    """A write was asked of a read-only client (a restore preview); nothing was sent."""


class GraphWriteOutcomeUnknown(GraphError):
    """A write was sent but its answer was lost: it may or may not have been applied.

    Resending blindly could create a duplicate; the caller reads the target first, then decides.
    `client_request_id` is the ID the lost request carried.
    """


_ERROR_BY_STATUS: dict[int, type[GraphError]] = {
    400: GraphBadRequest,
    401: GraphAuthError,
    403: GraphForbidden,
    404: GraphNotFound,
}


def error_from_response(
    status: int,
    body: Any,
    headers: Mapping[str, str],
    *,
    method: str,
    path: str,
    retry_after: float | None = None,
) -> GraphError:
    """The typed error for a Graph answer; `body` is the parsed JSON (or raw text) of the answer.

    `retry_after` is the wait the client suggests for 429/503/504 (from the header, else backoff).
    """
    code, message, inner = _parse_error_body(body)
    lowered = {key.lower(): value for key, value in headers.items()}
    fields: dict[str, Any] = {
        "status": status,
        "code": code,
        "request_id": lowered.get("request-id") or _text(inner.get("request-id")),
        "client_request_id": lowered.get("client-request-id") or _text(inner.get("client-request-id")),
        "method": method,
        "path": path,
    }
    if status == 429:
        return GraphThrottled(message, retry_after=retry_after or 0.0, **fields)
    if status in (503, 504):
        return GraphUnavailable(message, retry_after=retry_after or 0.0, **fields)
    return _ERROR_BY_STATUS.get(status, GraphError)(message, **fields)


def _parse_error_body(body: Any) -> tuple[str | None, str, Mapping[str, Any]]:
    """Graph's `{"error": {"code", "message", "innerError"}}`; anything else becomes the message."""
    if isinstance(body, (bytes, str)):
        try:
            body = json.loads(body)
        except ValueError:
            text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
            return None, text[:500] or "No error details in the answer.", {}
    error = body.get("error") if isinstance(body, Mapping) else None
    if not isinstance(error, Mapping):
        return None, "No error details in the answer.", {}
    inner = error.get("innerError") or error.get("innererror")
    message = intune_message(_text(error.get("message")) or "") or "No error message in the answer."
    return _text(error.get("code")), message, inner if isinstance(inner, Mapping) else {}


def intune_message(message: str) -> str:
    """The human part of a message Intune wraps as a JSON document (`Message`, then support IDs)."""
    if not message.lstrip().startswith("{"):
        return message
    try:
        document = json.loads(message)
    except ValueError:
        return message
    if not isinstance(document, Mapping):
        return message
    text = _text(document.get("Message")) or _text(document.get("CustomApiErrorPhrase")) or message
    return text.split(_INTUNE_SUPPORT_SUFFIX, 1)[0].strip()


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _redact_optional(value: str | None) -> str | None:
    return None if value is None else redact(value)
