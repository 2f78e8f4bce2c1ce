"""Request bodies: the one guard every route that reads a JSON body goes through.

A body is refused before any handler looks at it when it is larger than `MAX_BODY_BYTES` (413
`request.body_too_large`) or nested deeper than `MAX_DEPTH` (400 `request.body_too_deep`): the
standard library's parser answers a body nested 100,000 deep with a RecursionError, and code that
walks a parsed body (validation, redaction, storage) recurses too. Text that is no JSON, `NaN` or
`Infinity`, and strings UTF-8 cannot carry (lone surrogates, which Table Storage cannot store either)
are the route's own problem (`invalid`), so each route keeps the code its callers branch on.
"""

from __future__ import annotations

import json
from typing import Any, NoReturn

import azure.functions as func

from shared.http.problems import ProblemError

MAX_BODY_BYTES = 1024 * 1024
"""Far above any request this API takes (a restore naming 500 versions is under 100 KiB)."""
MAX_DEPTH = 32
"""Arrays and objects inside each other; the deepest body the API takes is 4 levels."""


class InvalidBody(ProblemError):
    status = 400
    code = "request.invalid_body"
    title = "The request body is not valid JSON."


class BodyTooLarge(ProblemError):
    status = 413
    code = "request.body_too_large"
    title = "The request body is too large."


class BodyTooDeep(ProblemError):
    status = 400
    code = "request.body_too_deep"
    title = "The request body is nested too deeply."


def json_body(req: func.HttpRequest, *, invalid: type[ProblemError] = InvalidBody) -> Any:
    """The parsed JSON body, None when there is none; refusals as the module says."""
    raw = req.get_body()
    if len(raw) > MAX_BODY_BYTES:
        raise BodyTooLarge(f"A request body is at most {MAX_BODY_BYTES} bytes.")
    if not raw.strip():
        return None
    try:
        body = json.loads(raw, parse_constant=_refuse_constant)
    except RecursionError:
        raise _too_deep() from None
    except ValueError as exc:  # JSONDecodeError, UnicodeDecodeError, an int of over 4300 digits
        raise invalid(f"The body is not JSON: {type(exc).__name__}.") from None
    _check_shape(body, invalid)
    return body


def _refuse_constant(name: str) -> NoReturn:
    raise ValueError(f"{name} is not JSON")


def _check_shape(body: Any, invalid: type[ProblemError]) -> None:
    """Depth and text of a parsed body, walked without recursion."""
    pending: list[tuple[Any, int]] = [(body, 1)]
    while pending:
        value, depth = pending.pop()
        if isinstance(value, str):
            _check_text(value, invalid)
            continue
        if not isinstance(value, dict | list):
            continue
        if depth > MAX_DEPTH:
            raise _too_deep()
        if isinstance(value, dict):
            for key in value:
                _check_text(key, invalid)
            pending.extend((item, depth + 1) for item in value.values())
        else:
            pending.extend((item, depth + 1) for item in value)


def _check_text(text: str, invalid: type[ProblemError]) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise invalid("The body holds a string that is not valid Unicode (a lone surrogate).") from None


def _too_deep() -> BodyTooDeep:
    return BodyTooDeep(f"Arrays and objects in a request body nest at most {MAX_DEPTH} deep.")
