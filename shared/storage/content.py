"""Content-addressed snapshot payloads: canonical JSON, named by its SHA-256, under its tenant's prefix.

An unchanged policy hashes to the same name, so a repeated backup stores no new bytes; the
conditional put (If-None-Match: *) makes concurrent writers of the same content safe. Every payload
lives under `{tenant}/sha256/{hex}.json`, so one tenant's payloads can be listed, freed, deleted or
held without touching another's (two tenants with the same content store it twice).

Payloads written before the tenant prefix existed sit at `sha256/{hex}.json`, shared by every
tenant. A read that misses under the tenant's prefix falls back to that name and copies the bytes
under the prefix (a lazy migration that makes reads right at once); `migrate_legacy_payloads` in
`shared.jobs.retention_sweep` copies the rest and drops the shared names.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from azure.core import MatchConditions
from azure.core.exceptions import ResourceExistsError, ResourceModifiedError, ResourceNotFoundError
from azure.storage.blob import ContainerClient, ContentSettings

from shared.storage import names
from shared.storage.account import StorageAccount
from shared.storage.errors import ContentIntegrityError, ContentNotFound, InvalidKey

_SHA256_HEX = re.compile(r"^[0-9a-f]{64}$")
_TENANT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
_JSON = ContentSettings(content_type="application/json; charset=utf-8")
LEGACY_PREFIX = "sha256/"
"""Where payloads lived before they had a tenant prefix (read as a fallback, then migrated)."""


def canonical_json(value: Any) -> bytes:
    """Sorted keys, no whitespace, UTF-8 (not \\u escapes): one byte form per JSON value."""
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    return text.encode("utf-8")


def tenant_prefix(tenant_id: str) -> str:
    """`{tenant}/sha256/`: every payload of the tenant, and nothing of another."""
    if not _TENANT.match(tenant_id):
        raise InvalidKey("A tenant ID for payloads is 1-128 letters, digits, '.', '_' or '-'.")
    return f"{tenant_id}/sha256/"


def blob_name_for(tenant_id: str, sha256_hex: str) -> str:
    """Where a payload of this tenant with this hash lives."""
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
    """The outcome of a put: the hash, blob name, size, and whether these bytes were new."""

    sha256: str
    blob_name: str
    size: int
    created: bool


@dataclass(frozen=True)
class StoredPayload:
    """A payload blob as a listing sees it: its hash and when it was written."""

    sha256: str
    last_modified: datetime
    etag: str | None = None


class ContentStore:
    """Puts, gets, lists and deletes one tenant's canonical JSON payloads (`names.SNAPSHOTS_CONTAINER`).

    The one way payloads are read and written: code outside `shared.storage` never builds a payload's
    blob name itself.
    """

    def __init__(self, container: ContainerClient, tenant_id: str) -> None:
        self._container = container
        self._tenant_id = tenant_id
        self._prefix = tenant_prefix(tenant_id)

    @property
    def tenant_id(self) -> str:
        return self._tenant_id

    def put_json(self, value: Any) -> StoredContent:
        """Store `value` once; `created` is False when identical content was already there."""
        return self.put_bytes(canonical_json(value))

    def put_bytes(self, data: bytes) -> StoredContent:
        """Store canonical bytes under their hash (conditional put: the first writer wins)."""
        digest = hashlib.sha256(data).hexdigest()
        name = blob_name_for(self._tenant_id, digest)
        try:
            self._container.upload_blob(name, data, overwrite=False, content_settings=_JSON)
        except ResourceExistsError:
            self._touch(name)
            return StoredContent(digest, name, len(data), created=False)
        return StoredContent(digest, name, len(data), created=True)

    def _touch(self, name: str) -> None:
        """Mark an existing payload as just used (new Last-Modified and ETag): retention leaves a blob
        written within its grace alone and deletes only the blob it listed (ETag-conditional), so a
        payload a new version re-uses is never freed under it."""
        with contextlib.suppress(ResourceNotFoundError):
            self._container.get_blob_client(name).set_blob_metadata({"used": "1"})

    def get_bytes(self, sha256_hex: str) -> bytes:
        """The stored canonical bytes, checked against their name; a payload found only under its
        legacy shared name is copied under the tenant's prefix first."""
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
        """Every payload of the tenant (its prefix only), in name order."""
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
        try:
            self._container.delete_blob(blob_name_for(self._tenant_id, payload.sha256), **conditions)
        except (ResourceNotFoundError, ResourceModifiedError):
            return False
        return True

    def adopt_legacy(self, sha256_hex: str) -> bool:
        """Copy a legacy shared payload under the tenant's prefix; False when there was none to copy."""
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
    """The tenant's payloads in the account's snapshots container: how every caller reaches them."""
    return ContentStore(account.container(names.SNAPSHOTS_CONTAINER), tenant_id)
