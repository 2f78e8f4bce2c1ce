"""RFC 7807 problem details: the one shape of every error a caller can cause or see.

Each problem carries a stable `code` (callers, Logic Apps and tests branch on it, never on
the wording) and a `type` URI derived from it. The detail text passes through `redact`, so
a message built from an exception can never hand a secret back to the caller.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import azure.functions as func

from shared.redact import redact, redact_value

PROBLEM_CONTENT_TYPE = "application/problem+json"
TYPE_PREFIX = "urn:tenantatlas:problem:"


@dataclass(frozen=True)
class Problem:
    """One problem: HTTP status, stable code, short title, optional detail and extension members."""

    status: int
    code: str
    title: str
    detail: str | None = None
    instance: str | None = None
    extensions: Mapping[str, Any] = field(default_factory=dict)

    @property
    def type(self) -> str:
        return TYPE_PREFIX + self.code

    def to_dict(self) -> dict[str, Any]:
        """The JSON body; extension members cannot overwrite the standard ones."""
        body: dict[str, Any] = dict(redact_value(dict(self.extensions)))
        body.update(type=self.type, title=self.title, status=self.status, code=self.code)
        if self.detail is not None:
            body["detail"] = redact(self.detail)
        if self.instance is not None:
            body["instance"] = self.instance
        return body


class ProblemError(Exception):
    """Base of the errors a caller can cause; subclasses fix `status`, `code` and `title`.

    Raise a subclass with a detail that names the fix; the HTTP adapters turn it into a
    problem+json answer with `problem_response`.
    """

    status = 400
    code = "request.invalid"
    title = "The request is invalid."

    def __init__(self, detail: str | None = None, **extensions: Any) -> None:
        super().__init__(detail or self.title)
        self.detail = detail
        self.extensions = extensions

    def to_problem(self, instance: str | None = None) -> Problem:
        return Problem(self.status, self.code, self.title, self.detail, instance, self.extensions)


def problem_response(
    problem: Problem | ProblemError, headers: Mapping[str, str] | None = None
) -> func.HttpResponse:
    """An `azure.functions.HttpResponse` carrying the problem as `application/problem+json`."""
    if isinstance(problem, ProblemError):
        problem = problem.to_problem()
    return func.HttpResponse(
        body=json.dumps(problem.to_dict(), ensure_ascii=False),
        status_code=problem.status,
        headers=dict(headers or {}),
        mimetype=PROBLEM_CONTENT_TYPE,
        charset="utf-8",
    )
