"""System query options ($top, $skiptoken, $select, $expand, $filter, $orderby, $count) and paging.

Parsed once per request into `ODataQuery`; nested `$expand=a($expand=b;$select=c)` gives nested
queries. Skip tokens are opaque to clients (base64 of an offset and a check), as Graph's are.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from .errors import invalid_query
from .odata_filter import Predicate, compile_filter

OPTIONS = ("top", "skiptoken", "select", "expand", "filter", "orderby", "count", "skip", "search")
_TOKEN_PREFIX = b"graphsim-page:"


@dataclass
class ODataQuery:
    top: int | None = None
    skiptoken: str | None = None
    select: list[str] | None = None
    expand: dict[str, ODataQuery] = field(default_factory=dict)
    filter: Predicate | None = None
    orderby: list[tuple[str, bool]] = field(default_factory=list)
    count: bool = False
    passthrough: dict[str, str] = field(default_factory=dict)
    """The options as sent (minus $skiptoken), normalised to `$name`, to rebuild `@odata.nextLink`."""


def parse_query(query: Mapping[str, str], version: str) -> ODataQuery:
    """On beta the `$` is optional (`top=1000`); on v1.0 only `$`-prefixed names are options.
    A stray leading `?` (a client that sends `??$expand=`, as IntuneCD 2.6 does) is ignored."""
    options: dict[str, str] = {}
    for raw_key, value in query.items():
        key = raw_key.lstrip("?")
        name = key[1:] if key.startswith("$") else key
        if name.lower() in OPTIONS and (key.startswith("$") or version == "beta"):
            options[name.lower()] = value
    return _build(options)


def _build(options: dict[str, str]) -> ODataQuery:
    result = ODataQuery(passthrough={f"${k}": v for k, v in options.items() if k != "skiptoken"})
    if "top" in options:
        if not options["top"].isdigit():
            raise invalid_query(f"Invalid value '{options['top']}' for $top query option found.")
        result.top = int(options["top"])
    result.skiptoken = options.get("skiptoken")
    if "select" in options:
        result.select = [name.strip() for name in options["select"].split(",") if name.strip()]
    if "expand" in options:
        result.expand = parse_expand(options["expand"])
    if "filter" in options:
        result.filter = compile_filter(options["filter"])
    if "orderby" in options:
        for clause in options["orderby"].split(","):
            words = clause.split()
            if not words or len(words) > 2 or (len(words) == 2 and words[1].lower() not in ("asc", "desc")):
                raise invalid_query(f"Invalid $orderby clause '{clause}'.")
            result.orderby.append((words[0], len(words) == 2 and words[1].lower() == "desc"))
    result.count = options.get("count", "").lower() == "true"
    return result


def parse_expand(text: str) -> dict[str, ODataQuery]:
    expanded: dict[str, ODataQuery] = {}
    for item in _split_top_level(text, ","):
        match = re.fullmatch(r"\s*([\w.@/*]+)\s*(?:\((.*)\))?\s*", item, re.DOTALL)
        if match is None:
            raise invalid_query(f"Parsing OData Select and Expand failed: Syntax error in '{text}'.")
        inner: dict[str, str] = {}
        for option in _split_top_level(match.group(2) or "", ";"):
            name, _, value = option.partition("=")
            inner[name.strip().lstrip("$").lower()] = value
        expanded[match.group(1)] = _build(inner)
    return expanded


def _split_top_level(text: str, separator: str) -> list[str]:
    parts: list[str] = []
    current: list[str] = []
    depth = 0
    for char in text:
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        if char == separator and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    if depth != 0:
        raise invalid_query(f"Parsing OData Select and Expand failed: Unbalanced parentheses in '{text}'.")
    tail = "".join(current)
    return [*parts, tail] if tail.strip() else parts


def encode_skiptoken(offset: int) -> str:
    raw = _TOKEN_PREFIX + str(offset).encode() + b":" + str(offset * 7919 % 65521).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_skiptoken(token: str) -> int:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    except (binascii.Error, ValueError):
        raw = b""
    if raw.startswith(_TOKEN_PREFIX):
        offset, _, check = raw[len(_TOKEN_PREFIX) :].decode(errors="replace").partition(":")
        if offset.isdigit() and check == str(int(offset) * 7919 % 65521):
            return int(offset)
    raise invalid_query("The $skiptoken value is invalid or has expired. Request the first page again.")


def next_link(base: str, query: ODataQuery, offset: int) -> str:
    params = [*query.passthrough.items(), ("$skiptoken", encode_skiptoken(offset))]
    return base + "?" + "&".join(f"{name}={quote(value, safe=',()=$;')}" for name, value in params)


def page(items: list[Any], query: ODataQuery, max_page: int) -> tuple[list[Any], int | None]:
    """Slice one page; return it with the offset of the next page (None on the last page)."""
    start = decode_skiptoken(query.skiptoken) if query.skiptoken else 0
    size = min(query.top, max_page) if query.top else max_page
    end = start + size
    return items[start:end], (end if end < len(items) else None)
