"""Content-addressed snapshot payloads: canonical JSON, named by its SHA-256, kept per tenant.

A payload lives in one of two places, chosen by its size when it is written:
- a row of the `payloads` table (PartitionKey tenant, RowKey the hex digest), the canonical bytes
  zlib-compressed in `Edm.Binary` parts of 64 KiB, when they compress to INLINE_MAX or less: that
  is nearly every Intune policy, and many rows go in one entity-group transaction, so a backup
  chunk writes its payloads in a few round trips instead of one blob PUT each;
- a blob `{tenant}/sha256/{hex}.json` in the snapshots container, for a larger payload, and for
  every payload written before the table existed.
A read tries the row, then the blob. An unchanged policy hashes to the same name, so a repeated
backup stores no new bytes. Row writes are upserts (concurrent writers of the same content write the
same bytes) and blob puts are conditional (If-None-Match: *, the first writer wins); a payload
written again gets a new ETag and Last-Modified either way, which retention relies on (it deletes
only a payload unchanged since it listed it). Two tenants with the same content store it twice, so
one tenant's payloads can be listed, freed or deleted without touching another's.

Payloads written before the tenant prefix existed sit at `sha256/{hex}.json`, shared by every
tenant. A read that misses under the tenant falls back to that name and copies the bytes under
the tenant (a lazy migration that makes reads right at once); `migrate_legacy_payloads` in
`shared.jobs.retention_sweep` copies the rest and drops the shared names.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
import zlib
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any

from azure.core import MatchConditions
from azure.core.exceptions import ResourceExistsError, ResourceModifiedError, ResourceNotFoundError
from azure.data.tables import TableClient, TableTransactionError
from azure.storage.blob import ContainerClient, ContentSettings

from shared.storage import names
from shared.storage.account import StorageAccount
from shared.storage.batch import MAX_TRANSACTION
from shared.storage.errors import ContentIntegrityError, ContentNotFound, InvalidKey
from shared.storage.transaction import submit_transaction

_SHA256_HEX = re.compile(r"^[0-9a-f]{64}$")
_TENANT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
_JSON = ContentSettings(content_type="application/json; charset=utf-8")
LEGACY_PREFIX = "sha256/"
"""Where payloads lived before they had a tenant prefix (read as a fallback, then migrated)."""
PART_BYTES = 64 * 1024
"""The largest `Edm.Binary` property a Table entity may hold."""
INLINE_PARTS = 12
INLINE_MAX = PART_BYTES * INLINE_PARTS
"""Compressed payloads up to 768 KiB go in a row (an entity holds at most 1 MiB); larger ones in a blob."""
TRANSACTION_BYTES = 2 * 1024 * 1024
"""Compressed bytes per transaction at most: base64 makes them 2.7 MiB of the 4 MiB a `$batch` may be."""
ENCODING = "zlib"


def canonical_json(value: Any) -> bytes:
    """Sorted keys, no whitespace, UTF-8 (not \\u escapes): one byte form per JSON value."""
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    return text.encode("utf-8")


def tenant_prefix(tenant_id: str) -> str:
    """`{tenant}/sha256/`: every payload blob of the tenant, and nothing of another."""
    if not _TENANT.match(tenant_id):
        raise InvalidKey("A tenant ID for payloads is 1-128 letters, digits, '.', '_' or '-'.")
    return f"{tenant_id}/sha256/"


def blob_name_for(tenant_id: str, sha256_hex: str) -> str:
    """Where a payload of this tenant with this hash lives when it is a blob."""
    return f"{tenant_prefix(tenant_id)}{_checked(sha256_hex)}.json"


def legacy_blob_name(sha256_hex: str) -> str:
    """Where a payload with this hash lived before payloads had a tenant prefix."""
    return f"{LEGACY_PREFIX}{_checked(sha256_hex)}.json"


def _checked(sha256_hex: str) -> str:
    if not _SHA256_HEX.match(sha256_hex):
        raise ContentNotFound(f"{sha256_hex[:80]!r} is not a SHA-256 hex digest.")
    return sha256_hex


@dataclass(frozen=True)
class StoredContent:
    """The outcome of a put: the hash, the canonical size, and whether it went in a row or a blob."""

    sha256: str
    size: int
    in_table: bool


@dataclass(frozen=True)
class StoredPayload:
    """A payload as a listing sees it: its hash, when it was last written, and where it is."""

    sha256: str
    last_modified: datetime
    etag: str | None = None
    in_table: bool = False


@dataclass(frozen=True)
class EncodedPayload:
    """Canonical bytes, their hash, and the compressed form a row holds."""

    data: bytes
    sha256: str
    packed: bytes

    @property
    def inline(self) -> bool:
        return len(self.packed) <= INLINE_MAX


class ContentStore:
    """Puts, gets, lists and deletes one tenant's canonical JSON payloads (`names.PAYLOADS` rows and
    `names.SNAPSHOTS_CONTAINER` blobs).

    The one way payloads are read and written: code outside `shared.storage` never builds a payload's
    row or blob name itself.
    """

    def __init__(self, rows: TableClient, blobs: ContainerClient, tenant_id: str) -> None:
        self._rows = rows
        self._container = blobs
        self._tenant_id = tenant_id
        self._prefix = tenant_prefix(tenant_id)

    @property
    def tenant_id(self) -> str:
        return self._tenant_id

    def put_json(self, value: Any) -> StoredContent:
        """Store `value` once (see `put_bytes`)."""
        return self.put_bytes(canonical_json(value))

    def put_bytes(self, data: bytes) -> StoredContent:
        """Store canonical bytes under their hash: a row when they compress small enough, else a blob."""
        return self.put_many([data])[0]

    def put_many(self, datas: Sequence[bytes], threads: int = 4) -> list[StoredContent]:
        """Store many canonical payloads, in the order given: the rows in transactions of up to 100
        (and TRANSACTION_BYTES), the blobs one by one, `threads` of either in flight at once.

        A payload given twice is written once. A failed write raises; the payloads of the other
        transactions may be stored by then, which is harmless (content-addressed, nothing names them
        until a version row does, and retention frees them after its grace).
        """
        encoded = [encode_payload(data) for data in datas]
        unique = list({item.sha256: item for item in encoded}.values())
        groups = transaction_groups([item for item in unique if item.inline])
        writes: list[Callable[[], None]] = [partial(self._put_rows, group) for group in groups]
        writes += [partial(self._put_blob, item) for item in unique if not item.inline]
        if len(writes) == 1:
            writes[0]()
        elif writes:
            with ThreadPoolExecutor(max_workers=max(1, min(threads, len(writes)))) as pool:
                for done in [pool.submit(write) for write in writes]:
                    done.result()
        return [StoredContent(item.sha256, len(item.data), item.inline) for item in encoded]

    def _put_rows(self, group: Sequence[EncodedPayload]) -> None:
        submit_transaction(self._rows, [("upsert", self._row(item)) for item in group])

    def _row(self, item: EncodedPayload) -> dict[str, Any]:
        parts = [item.packed[at : at + PART_BYTES] for at in range(0, len(item.packed), PART_BYTES)] or [b""]
        row: dict[str, Any] = {
            "PartitionKey": self._tenant_id,
            "RowKey": item.sha256,
            "Encoding": ENCODING,
            "Size": len(item.data),
            "Parts": len(parts),
        }
        row.update({f"D{index}": part for index, part in enumerate(parts)})
        return row

    def _put_blob(self, item: EncodedPayload) -> None:
        name = blob_name_for(self._tenant_id, item.sha256)
        try:
            self._container.upload_blob(name, item.data, overwrite=False, content_settings=_JSON)
        except ResourceExistsError:
            self._touch(name)

    def _touch(self, name: str) -> None:
        """Mark an existing payload blob as just used (new Last-Modified and ETag): retention leaves a
        blob written within its grace alone and deletes only the blob it listed (ETag-conditional), so
        a payload a new version re-uses is never freed under it."""
        with contextlib.suppress(ResourceNotFoundError):
            self._container.get_blob_client(name).set_blob_metadata({"used": "1"})

    def get_bytes(self, sha256_hex: str) -> bytes:
        """The stored canonical bytes, checked against their name: the row, else the blob, else the
        legacy shared blob (copied under the tenant first)."""
        _checked(sha256_hex)
        try:
            data = _decode(self._rows.get_entity(self._tenant_id, sha256_hex), sha256_hex)
        except ResourceNotFoundError:
            try:
                data = self._container.download_blob(blob_name_for(self._tenant_id, sha256_hex)).readall()
            except ResourceNotFoundError:
                data = self._migrate_one(sha256_hex)
        if hashlib.sha256(data).hexdigest() != sha256_hex:
            raise ContentIntegrityError(f"The payload under sha256 {sha256_hex} does not match its hash.")
        return data

    def get_json(self, sha256_hex: str) -> Any:
        """The stored payload, parsed."""
        return json.loads(self.get_bytes(sha256_hex))

    def payloads(self) -> Iterator[StoredPayload]:
        """Every payload of the tenant: its rows in hash order, then its blobs in name order."""
        rows = self._rows.query_entities(
            "PartitionKey eq @tenant",
            parameters={"tenant": self._tenant_id},
            select=["RowKey", "Timestamp"],
            results_per_page=1000,
        )
        for row in rows:
            digest = str(row["RowKey"])
            written = row.metadata.get("timestamp")
            if _SHA256_HEX.match(digest) and written is not None:
                yield StoredPayload(digest, written, row.metadata.get("etag"), in_table=True)
        for blob in self._container.list_blobs(name_starts_with=self._prefix):
            name: str = blob.name
            digest = name[len(self._prefix) :].removesuffix(".json")
            if _SHA256_HEX.match(digest):
                yield StoredPayload(digest, blob.last_modified, blob.etag)

    def delete(self, payload: StoredPayload) -> bool:
        """Delete one listed payload of the tenant unless it changed (was re-used) since it was listed;
        False when it was gone or re-used."""
        conditions: dict[str, Any] = {}
        if payload.etag is not None:
            conditions = {"etag": payload.etag, "match_condition": MatchConditions.IfNotModified}
        if payload.in_table:
            key = {"PartitionKey": self._tenant_id, "RowKey": _checked(payload.sha256)}
            try:  # a transaction of one: unlike delete_entity, it tells a missing row apart
                submit_transaction(self._rows, [("delete", key, conditions)])
            except TableTransactionError:
                return False
            return True
        try:
            self._container.delete_blob(blob_name_for(self._tenant_id, payload.sha256), **conditions)
        except (ResourceNotFoundError, ResourceModifiedError):
            return False
        return True

    def adopt_legacy(self, sha256_hex: str) -> bool:
        """Copy a legacy shared payload under the tenant; False when there was none to copy."""
        try:
            self._migrate_one(sha256_hex)
        except ContentNotFound:
            return False
        return True

    def _migrate_one(self, sha256_hex: str) -> bytes:
        try:
            data: bytes = self._container.download_blob(legacy_blob_name(sha256_hex)).readall()
        except ResourceNotFoundError as exc:
            raise ContentNotFound(f"No payload is stored under sha256 {sha256_hex}.") from exc
        if hashlib.sha256(data).hexdigest() == sha256_hex:
            self.put_bytes(data)
        return data


def encode_payload(data: bytes) -> EncodedPayload:
    """Hash and compress canonical bytes (zlib, default level)."""
    return EncodedPayload(data, hashlib.sha256(data).hexdigest(), zlib.compress(data))


def _decode(row: Any, sha256_hex: str) -> bytes:
    """The canonical bytes of a payload row (its parts joined and inflated)."""
    try:
        if row.get("Encoding") != ENCODING:
            raise ValueError(f"unknown encoding {row.get('Encoding')!r}")
        packed = b"".join(bytes(row[f"D{index}"]) for index in range(int(row["Parts"])))
        return zlib.decompress(packed)
    except (KeyError, TypeError, ValueError, zlib.error) as exc:
        raise ContentIntegrityError(f"The payload row {sha256_hex} cannot be read: {exc}") from exc


def transaction_groups(items: Sequence[EncodedPayload]) -> list[list[EncodedPayload]]:
    """Rows grouped for transactions: at most MAX_TRANSACTION rows and TRANSACTION_BYTES each."""
    groups: list[list[EncodedPayload]] = []
    size = 0
    for item in items:
        if not groups or len(groups[-1]) == MAX_TRANSACTION or size + len(item.packed) > TRANSACTION_BYTES:
            groups.append([])
            size = 0
        groups[-1].append(item)
        size += len(item.packed)
    return groups


def legacy_payloads(container: ContainerClient) -> Iterator[str]:
    """Hashes of the payloads still at their legacy shared names."""
    for blob in container.list_blobs(name_starts_with=LEGACY_PREFIX):
        digest = str(blob.name)[len(LEGACY_PREFIX) :].removesuffix(".json")
        if _SHA256_HEX.match(digest):
            yield digest


def delete_legacy(container: ContainerClient, sha256_hex: str) -> None:
    """Drop a legacy shared payload (every tenant using it has its own copy by then)."""
    try:
        container.delete_blob(legacy_blob_name(sha256_hex))
    except ResourceNotFoundError:
        return


def payload_store(account: StorageAccount, tenant_id: str) -> ContentStore:
    """The tenant's payloads in the account's payloads table and snapshots container: how every caller
    reaches them."""
    blobs = account.container(names.SNAPSHOTS_CONTAINER)
    return ContentStore(account.table(names.PAYLOADS), blobs, tenant_id)
