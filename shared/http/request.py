"""Query and path parameters of the HTTP routes, parsed one way, so every route pages, filters and
fails the same way: bad values are 400 problems with a stable code, never a 500.

This is the guard for numbers and times: a number is ASCII digits only (`str.isdigit` and `int`
accept `²` or `٣`, and not always alike), and a time is an ISO 8601 instant with a zone inside the
range the Table keys can express, normalised to UTC, so no later arithmetic on it can overflow.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime

import azure.functions as func

from shared.http.problems import ProblemError
from shared.storage import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE

PAGE_SIZE_PARAM = "pageSize"
CONTINUATION_PARAM = "continuationToken"
_MAX_TOKEN_CHARS = 2048
_SAFE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._~-]{0,127}")
"""Graph object IDs are GUIDs or `{guid}_{suffix}` style strings: letters, digits and a few marks."""
_ASCII_DIGITS = re.compile(r"[0-9]{1,9}")
_MAX_TIME_CHARS = 64
EARLIEST_TIME = datetime(1970, 1, 2, tzinfo=UTC)
LATEST_TIME = datetime(9999, 12, 30, tzinfo=UTC)
"""Query times lie within what `inverted_time_key` orders (1970 to 9999), a day inside either end so a
bound moved by a microsecond, or shown in another zone, stays a valid date."""


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
    size = int_param(req, PAGE_SIZE_PARAM, minimum=1, maximum=MAX_PAGE_SIZE) or DEFAULT_PAGE_SIZE
    token = req.params.get(CONTINUATION_PARAM) or None
    if token is not None and len(token) > _MAX_TOKEN_CHARS:
        raise InvalidQueryParameter(f"`{CONTINUATION_PARAM}` is not one this API issued.")
    return size, token


def int_param(req: func.HttpRequest, name: str, *, minimum: int, maximum: int) -> int | None:
    """A whole number from `minimum` to `maximum` written in ASCII digits; absent is None."""
    raw = req.params.get(name)
    if raw is None:
        return None
    if not _ASCII_DIGITS.fullmatch(raw) or not minimum <= int(raw) <= maximum:
        raise InvalidQueryParameter(f"`{name}` is a whole number from {minimum} to {maximum}.")
    return int(raw)


def flag_param(req: func.HttpRequest, name: str) -> bool:
    """A boolean query flag: `true`/`false` (or 1/0); absent is false."""
    value = (req.params.get(name) or "false").lower()
    if value not in {"true", "false", "1", "0"}:
        raise InvalidQueryParameter(f"`{name}` is true or false.")
    return value in {"true", "1"}


def time_param(req: func.HttpRequest, name: str) -> datetime | None:
    """An ISO 8601 instant with a time zone, e.g. 2026-01-31T12:00:00Z, in UTC; absent is None."""
    value = req.params.get(name)
    if value is None:
        return None
    malformed = InvalidQueryParameter(f"`{name}` is an ISO 8601 time, e.g. 2026-01-31T12:00:00Z.")
    if len(value) > _MAX_TIME_CHARS or not value.isascii():
        raise malformed
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00").replace(" ", "+"))
    except ValueError:
        raise malformed from None
    if moment.tzinfo is None:
        raise InvalidQueryParameter(f"`{name}` needs a time zone, e.g. 2026-01-31T12:00:00Z.")
    out_of_range = InvalidQueryParameter(
        f"`{name}` lies between {EARLIEST_TIME:%Y-%m-%d} and {LATEST_TIME:%Y-%m-%d} (UTC)."
    )
    try:
        moment = moment.astimezone(UTC)
    except OverflowError:
        raise out_of_range from None
    if not EARLIEST_TIME <= moment <= LATEST_TIME:
        raise out_of_range
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
    if not _SAFE_ID.fullmatch(value):
        raise InvalidPathParameter(
            f"`{name}` is 1 to 128 letters, digits, `.`, `_`, `~` or `-`, starting with a letter or digit."
        )
    return value
