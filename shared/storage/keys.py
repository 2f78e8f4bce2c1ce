"""PartitionKey/RowKey helpers: newest-first time keys, safe encoding of arbitrary IDs, stable hashes.

Table keys may not contain / \\ # ? or control characters and are limited to 1 KiB;
Graph IDs and principal names are not under our control, so they go through `encode_key`.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta
from urllib.parse import unquote

from shared.storage.errors import InvalidKey

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MAX_MICROS = 10**18 - 1
INVERTED_WIDTH = 18
"""Width of an inverted timestamp key: covers every instant from 1970 to year 9999 in microseconds."""

_MAX_KEY_CHARS = 512
_ESCAPED = frozenset("/\\#?%")


def _micros(moment: datetime) -> int:
    if moment.tzinfo is None:
        raise ValueError("Timestamps for keys must be timezone-aware (use datetime.now(UTC)).")
    delta = moment - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def inverted_time_key(moment: datetime) -> str:
    """A fixed-width key that sorts newer instants first (Table queries return ascending RowKey order)."""
    return f"{_MAX_MICROS - _micros(moment):0{INVERTED_WIDTH}d}"


def time_from_inverted_key(key: str) -> datetime:
    """The instant an `inverted_time_key` was made from (microsecond precision)."""
    return _EPOCH + timedelta(microseconds=_MAX_MICROS - int(key[:INVERTED_WIDTH]))


def _is_control(char: str) -> bool:
    code = ord(char)
    return code < 0x20 or 0x7F <= code <= 0x9F


def encode_key(value: str) -> str:
    """Make `value` a valid PartitionKey/RowKey, reversibly: forbidden characters (and `%`) become %XX."""
    if not value:
        raise InvalidKey("A table key cannot be empty.")
    out = [
        "".join(f"%{b:02X}" for b in char.encode("utf-8")) if char in _ESCAPED or _is_control(char) else char
        for char in value
    ]
    encoded = "".join(out)
    if len(encoded) > _MAX_KEY_CHARS:
        raise InvalidKey(f"A table key is limited to {_MAX_KEY_CHARS} characters after encoding.")
    return encoded


def decode_key(key: str) -> str:
    """Undo `encode_key`."""
    return unquote(key, errors="strict")


def stable_hash(*parts: str) -> str:
    """SHA-256 hex of the parts as a JSON list: no separator can make two different part lists collide."""
    return hashlib.sha256(json.dumps(list(parts), ensure_ascii=False).encode("utf-8")).hexdigest()
