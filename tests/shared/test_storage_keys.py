"""Key helpers: newest-first time keys, reversible safe encoding, stable hashes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from shared.storage import InvalidKey, decode_key, encode_key, inverted_time_key, stable_hash
from shared.storage.keys import INVERTED_WIDTH, time_from_inverted_key


def test_inverted_keys_sort_newest_first_and_have_fixed_width() -> None:
    base = datetime(2025, 1, 1, tzinfo=UTC)
    moments = [base + timedelta(microseconds=n) for n in (0, 1, 999_999)] + [
        datetime(1970, 1, 1, tzinfo=UTC),
        datetime(9999, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC),
    ]
    keys = [inverted_time_key(m) for m in moments]
    assert {len(k) for k in keys} == {INVERTED_WIDTH}
    assert sorted(keys) == [inverted_time_key(m) for m in sorted(moments, reverse=True)]
    assert all(time_from_inverted_key(inverted_time_key(m)) == m for m in moments)


def test_inverted_key_rejects_naive_datetime() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        inverted_time_key(datetime(2025, 1, 1))


@pytest.mark.parametrize(
    "raw", ["a/b", "a\\b", "x#y?z", "100%", "tab\there", "nul\x00", "del\x7f", "ü/ß", "plain"]
)
def test_encode_key_removes_forbidden_characters_reversibly(raw: str) -> None:
    encoded = encode_key(raw)
    assert not any(c in encoded for c in "/\\#?")
    assert all(ord(c) >= 0x20 and not 0x7F <= ord(c) <= 0x9F for c in encoded)
    assert decode_key(encoded) == raw


def test_encode_key_rejects_empty_and_oversized_values() -> None:
    with pytest.raises(InvalidKey) as empty:
        encode_key("")
    assert empty.value.code == "storage.invalid_key"
    with pytest.raises(InvalidKey):
        encode_key("/" * 200)


def test_stable_hash_does_not_confuse_part_boundaries() -> None:
    assert stable_hash("a|b", "c") != stable_hash("a", "b|c")
    assert stable_hash("a", "b") == stable_hash("a", "b")
    assert len(stable_hash("x")) == 64
