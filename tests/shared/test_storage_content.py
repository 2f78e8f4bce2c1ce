"""Content-addressed payloads: canonical bytes, SHA-256 names, idempotent puts, rows or blobs by size."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import threading
import zlib

import pytest

from shared.storage import ContentNotFound, ContentStore, StorageAccount, StoredContent, canonical_json, names
from shared.storage.content import (
    INLINE_MAX,
    TRANSACTION_BYTES,
    EncodedPayload,
    encode_payload,
    transaction_groups,
)
from shared.storage.errors import ContentIntegrityError, InvalidKey

TENANT = "11111111-1111-1111-1111-111111111111"
OTHER = "22222222-2222-2222-2222-222222222222"


def test_canonical_json_is_sorted_compact_utf8() -> None:
    assert (
        canonical_json({"b": 1, "a": {"z": [1, 2], "y": "é"}}) == '{"a":{"y":"é","z":[1,2]},"b":1}'.encode()
    )
    with pytest.raises(ValueError):
        canonical_json({"x": float("nan")})


def _store(storage: StorageAccount, tenant: str = TENANT) -> ContentStore:
    return ContentStore(storage.table(names.PAYLOADS), storage.container(names.SNAPSHOTS_CONTAINER), tenant)


def _blob_names(storage: StorageAccount) -> list[str]:
    return [b.name for b in storage.container(names.SNAPSHOTS_CONTAINER).list_blobs()]


def test_put_stores_canonical_bytes_once_in_a_compressed_row(storage: StorageAccount) -> None:
    store = _store(storage)
    first = store.put_json({"name": "Wi-Fi", "settings": [{"id": 1}], "ä": True})
    again = store.put_json({"ä": True, "settings": [{"id": 1}], "name": "Wi-Fi"})
    expected = canonical_json({"name": "Wi-Fi", "settings": [{"id": 1}], "ä": True})
    assert first == again
    assert first.sha256 == hashlib.sha256(expected).hexdigest()
    assert (first.size, first.in_table) == (len(expected), True)
    assert store.get_bytes(first.sha256) == expected
    assert store.get_json(first.sha256) == json.loads(expected)
    row = storage.table(names.PAYLOADS).get_entity(TENANT, first.sha256)
    assert (row["Encoding"], row["Size"], row["Parts"]) == ("zlib", len(expected), 1)
    assert zlib.decompress(row["D0"]) == expected
    assert [(p.sha256, p.in_table) for p in store.payloads()] == [(first.sha256, True)]
    assert _blob_names(storage) == []


def test_a_payload_too_large_for_a_row_is_a_blob(storage: StorageAccount) -> None:
    store = _store(storage)
    noise = base64.b64encode(os.urandom(INLINE_MAX)).decode()  # incompressible: over INLINE_MAX packed
    big = store.put_json({"blob": noise})
    small = store.put_json({"row": 1})
    assert (big.in_table, small.in_table) == (False, True)
    assert store.get_json(big.sha256) == {"blob": noise}
    assert _blob_names(storage) == [f"{TENANT}/sha256/{big.sha256}.json"]
    assert sorted((p.sha256, p.in_table) for p in store.payloads()) == sorted(
        [(big.sha256, False), (small.sha256, True)]
    )


def test_put_many_writes_rows_in_transactions_and_a_duplicate_once(storage: StorageAccount) -> None:
    store = _store(storage)
    datas = [canonical_json({"policy": n, "settings": list(range(n % 7))}) for n in range(250)]
    stored = store.put_many([*datas, datas[3]])
    assert [s.sha256 for s in stored] == [hashlib.sha256(d).hexdigest() for d in [*datas, datas[3]]]
    assert len({p.sha256 for p in store.payloads()}) == len(list(store.payloads())) == 250
    assert store.get_bytes(stored[249].sha256) == datas[249]


def test_rows_are_grouped_by_count_and_by_bytes() -> None:
    small = [encode_payload(canonical_json({"n": n})) for n in range(250)]
    assert [len(group) for group in transaction_groups(small)] == [100, 100, 50]
    packed = INLINE_MAX // 2
    fat = [EncodedPayload(b"", str(n), b"x" * packed) for n in range(12)]
    groups = transaction_groups(fat)
    assert all(sum(len(i.packed) for i in group) <= TRANSACTION_BYTES for group in groups)
    assert sum(len(group) for group in groups) == 12 and len(groups) == 3


def test_concurrent_puts_of_same_content_store_it_once(storage: StorageAccount) -> None:
    store = _store(storage)
    results: list[StoredContent] = []
    lock = threading.Lock()

    def put() -> None:
        outcome = store.put_json({"policy": "same", "n": list(range(50))})
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=put) for _ in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(results)) == 1
    assert [p.sha256 for p in store.payloads()] == [results[0].sha256]
    assert store.get_json(results[0].sha256) == {"policy": "same", "n": list(range(50))}


def test_get_unknown_or_altered_content_raises_typed_errors(storage: StorageAccount) -> None:
    store = _store(storage)
    rows = storage.table(names.PAYLOADS)
    with pytest.raises(ContentNotFound) as missing:
        store.get_json("0" * 64)
    assert missing.value.code == "content.not_found"
    with pytest.raises(ContentNotFound):
        store.get_json("../etc/passwd")
    put = store.put_json({"a": 1})
    rows.upsert_entity({**rows.get_entity(TENANT, put.sha256), "D0": zlib.compress(b'{"a":2}')})
    with pytest.raises(ContentIntegrityError):
        store.get_json(put.sha256)
    rows.upsert_entity({**rows.get_entity(TENANT, put.sha256), "Encoding": "brotli"})
    with pytest.raises(ContentIntegrityError):
        store.get_json(put.sha256)
    blob_hash = hashlib.sha256(b'{"b":1}').hexdigest()
    storage.container(names.SNAPSHOTS_CONTAINER).upload_blob(f"{TENANT}/sha256/{blob_hash}.json", b'{"b":2}')
    with pytest.raises(ContentIntegrityError):
        store.get_json(blob_hash)


def test_tenants_have_their_own_prefix_and_listing(storage: StorageAccount) -> None:
    mine, theirs = _store(storage), _store(storage, OTHER)
    shared = mine.put_json({"same": True})
    theirs.put_json({"same": True})
    only_mine = mine.put_json({"only": "mine"})
    assert sorted(p.sha256 for p in mine.payloads()) == sorted([shared.sha256, only_mine.sha256])
    assert [p.sha256 for p in theirs.payloads()] == [shared.sha256]
    with pytest.raises(ContentNotFound):
        theirs.get_json(only_mine.sha256)
    listed = {p.sha256: p for p in mine.payloads()}
    mine.put_json({"only": "mine"})  # re-used since listed: its ETag changed
    assert mine.delete(listed[only_mine.sha256]) is False
    assert mine.get_json(only_mine.sha256) == {"only": "mine"}
    assert mine.delete(listed[shared.sha256]) is True
    assert mine.delete(listed[shared.sha256]) is False
    assert theirs.get_json(shared.sha256) == {"same": True}
    with pytest.raises(InvalidKey):
        _store(storage, "../other")


def test_a_legacy_shared_payload_is_read_and_copied_under_the_tenant(storage: StorageAccount) -> None:
    container = storage.container(names.SNAPSHOTS_CONTAINER)
    data = canonical_json({"legacy": 1})
    digest = hashlib.sha256(data).hexdigest()
    container.upload_blob(f"sha256/{digest}.json", data)
    store = _store(storage)
    assert store.get_json(digest) == {"legacy": 1}
    assert [(p.sha256, p.in_table) for p in store.payloads()] == [(digest, True)]
    assert storage.table(names.PAYLOADS).get_entity(TENANT, digest)["Size"] == len(data)
