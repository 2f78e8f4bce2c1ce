"""Content-addressed snapshot payloads: canonical JSON, named by its SHA-256.

An unchanged policy hashes to the same name, so a repeated backup stores no new bytes;
the conditional put (If-None-Match: *) makes concurrent writers of the same content safe.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any

from azure.core.exceptions import ResourceExistsError, ResourceNotFoundError
from azure.storage.blob import ContainerClient, ContentSettings

from shared.storage.errors import ContentIntegrityError, ContentNotFound

_SHA256_HEX = re.compile(r"^[0-9a-f]{64}$")
_JSON = ContentSettings(content_type="application/json; charset=utf-8")


def canonical_json(value: Any) -> bytes:
    """Sorted keys, no whitespace, UTF-8 (not \\u escapes): one byte form per JSON value."""
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    return text.encode("utf-8")


def blob_name_for(sha256_hex: str) -> str:
    """Where a payload with this hash lives."""
    if not _SHA256_HEX.match(sha256_hex):
        raise ContentNotFound(f"{sha256_hex!r} is not a SHA-256 hex digest.")
    return f"sha256/{sha256_hex}.json"


@dataclass(frozen=True)
class StoredContent:
    """The outcome of a put: the hash, blob name, size, and whether these bytes were new."""

    sha256: str
    blob_name: str
    size: int
    created: bool


class ContentStore:
    """Puts and gets canonical JSON payloads in one container (see `names.SNAPSHOTS_CONTAINER`)."""

    def __init__(self, container: ContainerClient) -> None:
        self._container = container

    def put_json(self, value: Any) -> StoredContent:
        """Store `value` once; `created` is False when identical content was already there."""
        data = canonical_json(value)
        digest = hashlib.sha256(data).hexdigest()
        name = blob_name_for(digest)
        try:
            self._container.upload_blob(name, data, overwrite=False, content_settings=_JSON)
        except ResourceExistsError:
            return StoredContent(digest, name, len(data), created=False)
        return StoredContent(digest, name, len(data), created=True)

    def get_bytes(self, sha256_hex: str) -> bytes:
        """The stored canonical bytes, checked against their name."""
        try:
            data = self._container.download_blob(blob_name_for(sha256_hex)).readall()
        except ResourceNotFoundError as exc:
            raise ContentNotFound(f"No payload is stored under sha256 {sha256_hex}.") from exc
        if hashlib.sha256(data).hexdigest() != sha256_hex:
            raise ContentIntegrityError(f"The payload under sha256 {sha256_hex} does not match its hash.")
        return data

    def get_json(self, sha256_hex: str) -> Any:
        """The stored payload, parsed."""
        return json.loads(self.get_bytes(sha256_hex))
