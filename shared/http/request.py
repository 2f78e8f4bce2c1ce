"""Query and path parameters of the HTTP routes, parsed one way, so every route pages, filters and
fails the same way: bad values are 400 problems with a stable code, never a 500."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime

import azure.functions as func

from shared.http.problems import ProblemError
from shared.storage import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE

PAGE_SIZE_PARAM = "pageSize"
CONTINUATION_PARAM = "continuationToken"
_MAX_TOKEN_CHARS = 2048
_SAFE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._~-]{0,127}$")
"""Graph object IDs are GUIDs or `{guid}_{suffix}` style strings: letters, digits and a few marks."""


class InvalidQueryParameter(ProblemError):
    status = 400
    code = "request.invalid_query"
    title = "A query parameter is invalid."


class InvalidPathParameter(ProblemError):
    status = 400
    code = "request.invalid_path"
    title = "A path parameter is invalid."


def page_params(req: func.HttpRequest) -> tuple[int, str | None]:
    """`pageSize` (1 to 1000, default 50) and `continuationToken` from the query string."""
    raw_size = req.params.get(PAGE_SIZE_PARAM)
    size = DEFAULT_PAGE_SIZE
    if raw_size is not None:
        if not raw_size.isdigit() or not 1 <= int(raw_size) <= MAX_PAGE_SIZE:
            raise InvalidQueryParameter(f"`{PAGE_SIZE_PARAM}` is a whole number from 1 to {MAX_PAGE_SIZE}.")
        size = int(raw_size)
    token = req.params.get(CONTINUATION_PARAM) or None
    if token is not None and len(token) > _MAX_TOKEN_CHARS:
        raise InvalidQueryParameter(f"`{CONTINUATION_PARAM}` is not one this API issued.")
    return size, token


def flag_param(req: func.HttpRequest, name: str) -> bool:
    """A boolean query flag: `true`/`false` (or 1/0); absent is false."""
    value = (req.params.get(name) or "false").lower()
    if value not in {"true", "false", "1", "0"}:
        raise InvalidQueryParameter(f"`{name}` is true or false.")
    return value in {"true", "1"}


def time_param(req: func.HttpRequest, name: str) -> datetime | None:
    """An ISO 8601 instant with a time zone, e.g. 2026-01-31T12:00:00Z."""
    value = req.params.get(name)
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00").replace(" ", "+"))
    except ValueError:
        raise InvalidQueryParameter(f"`{name}` is an ISO 8601 time, e.g. 2026-01-31T12:00:00Z.") from None
    if moment.tzinfo is None:
        raise InvalidQueryParameter(f"`{name}` needs a time zone, e.g. 2026-01-31T12:00:00Z.")
    return moment


def choice_param[T](req: func.HttpRequest, name: str, parse: Callable[[str], T]) -> T | None:
    """A query value checked by `parse` (an enum constructor, say); ValueError becomes a 400."""
    value = req.params.get(name)
    if value is None:
        return None
    try:
        return parse(value)
    except ValueError:
        raise InvalidQueryParameter(f"`{name}` has an unknown value {value[:64]!r}.") from None


def object_id_param(req: func.HttpRequest, name: str) -> str:
    """A route parameter naming an object (a Graph policy ID, a version ID): short and URL-safe."""
    value: str = req.route_params.get(name, "")
    if not _SAFE_ID.match(value):
        raise InvalidPathParameter(
            f"`{name}` is 1 to 128 letters, digits, `.`, `_`, `~` or `-`, starting with a letter or digit."
        )
    return value
