"""The model's exception tree and the exact error shapes Graph and Intune answer with.

Handlers raise `GraphFailure`; `GraphModel.handle` turns it into a `GraphResponse` once, so every
error carries the request's `request-id` and no handler builds an error body by hand.
"""

from __future__ import annotations

import json
import uuid

from local.graphsim.contract import GraphRequest, GraphResponse, graph_error


class AdminInputError(ValueError):
    """Bad input to an admin call (`put_raw`, `patch_raw`, ...); the message says what is wrong."""


class GraphFailure(Exception):
    """A Graph error answer. `intune=True` wraps the message the way Intune's front end does."""

    def __init__(self, status: int, code: str, message: str, *, intune: bool = False) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.intune = intune

    def to_response(self, request: GraphRequest) -> GraphResponse:
        message = wrap_intune_message(self.message, request) if self.intune else self.message
        return graph_error(self.status, self.code, message, request)


def wrap_intune_message(text: str, request: GraphRequest) -> str:
    """Intune puts a JSON document inside `message`; tools that parse it expect these exact keys."""
    document = {
        "_version": 3,
        "Message": (
            f"{text} - Operation ID (for customer support): {uuid.uuid4()} - "
            f"Activity ID: {request.request_id} - "
            f"Url: https://fef.msua06.manage.microsoft.com{request.path}?api-version=5023-05-04"
        ),
        "CustomApiErrorPhrase": "",
        "RetryAfter": None,
        "ErrorSourceService": "",
        "HttpHeaders": "{}",
    }
    return json.dumps(document, indent=2).replace("\n", "\r\n")


def segment_not_found(segment: str) -> GraphFailure:
    """What Graph's OData router answers for a path segment it does not know (also beta-only on v1.0)."""
    return GraphFailure(400, "BadRequest", f"Resource not found for the segment '{segment}'.")


def intune_not_found(entity: str, object_id: str) -> GraphFailure:
    return GraphFailure(
        404, "ResourceNotFound", f"Resource not found: {entity} with id '{object_id}'", intune=True
    )


def intune_bad_request(message: str) -> GraphFailure:
    return GraphFailure(400, "BadRequest", message, intune=True)


def model_validation_failure(message: str) -> GraphFailure:
    return GraphFailure(400, "ModelValidationFailure", message, intune=True)


def method_not_allowed(method: str) -> GraphFailure:
    return GraphFailure(
        405, "MethodNotAllowed", f"The requested resource does not support http method '{method}'."
    )


def invalid_query(message: str) -> GraphFailure:
    return GraphFailure(400, "BadRequest", message)
