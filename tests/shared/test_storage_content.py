"""Content-addressed payloads: canonical bytes, SHA-256 names, idempotent puts."""

from __future__ import annotations

import hashlib
import json
import threading

import pytest

from shared.storage import ContentNotFound, ContentStore, StorageAccount, canonical_json, names
from shared.storage.errors import ContentIntegrityError, InvalidKey

TENANT = "11111111-1111-1111-1111-111111111111"
OTHER = "22222222-2222-2222-2222-222222222222"


def test_canonical_json_is_sorted_compact_utf8() -> None:
    assert (
        canonical_json({"b": 1, "a": {"z": [1, 2], "y": "é"}}) == '{"a":{"y":"é","z":[1,2]},"b":1}'.encode()
    )
    with pytest.raises(ValueError):
        canonical_json({"x": float("nan")})


def test_put_reports_new_then_existing_and_stores_canonical_bytes(storage: StorageAccount) -> None:
    store = ContentStore(storage.container(names.SNAPSHOTS_CONTAINER), TENANT)
    first = store.put_json({"name": "Wi-Fi", "settings": [{"id": 1}], "ä": True})
    again = store.put_json({"ä": True, "settings": [{"id": 1}], "name": "Wi-Fi"})
    assert first.created is True
    assert again.created is False
    assert again.sha256 == first.sha256
    expected = canonical_json({"name": "Wi-Fi", "settings": [{"id": 1}], "ä": True})
    assert first.sha256 == hashlib.sha256(expected).hexdigest()
    assert first.blob_name == f"{TENANT}/sha256/{first.sha256}.json"
    assert store.get_bytes(first.sha256) == expected
    assert store.get_json(first.sha256) == json.loads(expected)
    blobs = list(storage.container(names.SNAPSHOTS_CONTAINER).list_blobs())
    assert [b.name for b in blobs] == [first.blob_name]


def test_concurrent_puts_of_same_content_create_it_once(storage: StorageAccount) -> None:
    store = ContentStore(storage.container(names.SNAPSHOTS_CONTAINER), TENANT)
    results: list[bool] = []
    lock = threading.Lock()

    def put() -> None:
        outcome = store.put_json({"policy": "same", "n": list(range(50))})
        with lock:
            results.append(outcome.created)

    threads = [threading.Thread(target=put) for _ in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [False] * 9 + [True]


def test_get_unknown_or_altered_content_raises_typed_errors(storage: StorageAccount) -> None:
    container = storage.container(names.SNAPSHOTS_CONTAINER)
    store = ContentStore(container, TENANT)
    with pytest.raises(ContentNotFound) as missing:
        store.get_json("0" * 64)
    assert missing.value.code == "content.not_found"
    with pytest.raises(ContentNotFound):
        store.get_json("../etc/passwd")
    put = store.put_json({"a": 1})
    container.upload_blob(put.blob_name, b'{"a":2}', overwrite=True)
    with pytest.raises(ContentIntegrityError):
        store.get_json(put.sha256)


def test_tenants_have_their_own_prefix_and_listing(storage: StorageAccount) -> None:
    container = storage.container(names.SNAPSHOTS_CONTAINER)
    mine, theirs = ContentStore(container, TENANT), ContentStore(container, OTHER)
    shared = mine.put_json({"same": True})
    assert theirs.put_json({"same": True}).created is True
    only_mine = mine.put_json({"only": "mine"})
    assert sorted(p.sha256 for p in mine.payloads()) == sorted([shared.sha256, only_mine.sha256])
    assert [p.sha256 for p in theirs.payloads()] == [shared.sha256]
    with pytest.raises(ContentNotFound):
        theirs.get_json(only_mine.sha256)
    listed = {p.sha256: p for p in mine.payloads()}
    assert mine.put_json({"only": "mine"}).created is False  # re-used since listed: its ETag changed
    assert mine.delete(listed[only_mine.sha256]) is False
    assert mine.get_json(only_mine.sha256) == {"only": "mine"}
    assert mine.delete(listed[shared.sha256]) is True
    assert mine.delete(listed[shared.sha256]) is False
    assert theirs.get_json(shared.sha256) == {"same": True}
    with pytest.raises(InvalidKey):
        ContentStore(container, "../other")


def test_a_legacy_shared_payload_is_read_and_copied_under_the_tenant(storage: StorageAccount) -> None:
    container = storage.container(names.SNAPSHOTS_CONTAINER)
    data = canonical_json({"legacy": 1})
    digest = hashlib.sha256(data).hexdigest()
    container.upload_blob(f"sha256/{digest}.json", data)
    store = ContentStore(container, TENANT)
    assert store.get_json(digest) == {"legacy": 1}
    assert [p.sha256 for p in store.payloads()] == [digest]
    assert container.download_blob(f"{TENANT}/sha256/{digest}.json").readall() == data
