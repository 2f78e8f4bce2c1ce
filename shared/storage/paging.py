"""Paged, parameterised Table queries with opaque continuation tokens.

The token handed to API callers is base64url of the SDK's continuation (next PartitionKey
and RowKey). Every query still carries its own filter, so a token replayed against another
query can shift where a page starts but never widen what the filter allows.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from azure.data.tables import TableClient, TableEntity

from shared.storage.errors import InvalidContinuationToken

MAX_PAGE_SIZE = 1000
DEFAULT_PAGE_SIZE = 50
_TOKEN_KEYS = frozenset({"PartitionKey", "RowKey"})


@dataclass(frozen=True)
class Page[T]:
    """One page of results; `continuation` is None on the last page."""

    items: list[T]
    continuation: str | None


def encode_continuation(sdk_token: Mapping[str, str | None] | None) -> str | None:
    """Wrap the SDK's continuation as an opaque URL-safe string (None when there is no next page)."""
    if not sdk_token:
        return None
    payload = json.dumps({k: sdk_token.get(k) for k in sorted(_TOKEN_KEYS)}, separators=(",", ":"))
    return base64.urlsafe_b64encode(payload.encode("utf-8")).decode("ascii").rstrip("=")


def decode_continuation(token: str | None) -> dict[str, str | None] | None:
    """Unwrap a token from `encode_continuation`; anything else raises InvalidContinuationToken."""
    if not token:
        return None
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        data = json.loads(raw.decode("utf-8"))
    except (binascii.Error, ValueError, UnicodeDecodeError) as exc:
        raise InvalidContinuationToken("The continuation token is not one this API issued.") from exc
    valid = (
        isinstance(data, dict)
        and set(data) == _TOKEN_KEYS
        and all(v is None or isinstance(v, str) for v in data.values())
        and any(data.values())
    )
    if not valid:
        raise InvalidContinuationToken("The continuation token is not one this API issued.")
    fields: dict[str, str | None] = data  # JSON's Any, checked just above
    return fields


def check_page_size(page_size: int) -> int:
    """Bound page sizes to what one Table request returns."""
    if not 1 <= page_size <= MAX_PAGE_SIZE:
        raise ValueError(f"page_size must be between 1 and {MAX_PAGE_SIZE}.")
    return page_size


def query_page(
    table: TableClient,
    query_filter: str,
    parameters: dict[str, Any],
    *,
    page_size: int = DEFAULT_PAGE_SIZE,
    continuation: str | None = None,
    select: list[str] | None = None,
) -> Page[TableEntity]:
    """One page of `query_filter` (which names values only as @parameters, never interpolated).

    A page may hold fewer than `page_size` entities and still have a continuation: the
    service stops early at partition or time boundaries.
    """
    # The Tables SDK's continuation is a dict {PartitionKey, RowKey}, although ItemPaged annotates str.
    sdk_token: Any = decode_continuation(continuation)
    pages = table.query_entities(
        query_filter, parameters=parameters, results_per_page=check_page_size(page_size), select=select
    ).by_page(continuation_token=sdk_token)
    items = list(next(pages, []))
    return Page(items, encode_continuation(pages.continuation_token))  # type: ignore[attr-defined]


def map_page[T](page: Page[TableEntity], convert: Callable[[TableEntity], T]) -> Page[T]:
    """Turn a page of entities into a page of domain records."""
    return Page([convert(e) for e in page.items], page.continuation)
