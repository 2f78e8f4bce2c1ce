"""Typed storage errors with stable codes, so callers and the API map them without reading messages."""

from __future__ import annotations


class StorageError(Exception):
    """Base of the storage layer's own errors; `code` is stable and safe to return to API callers."""

    code = "storage_error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidContinuationToken(StorageError):
    """A paging token that this layer did not issue (or that was altered) was presented."""

    code = "invalid_continuation_token"


class InvalidKey(StorageError):
    """A value cannot be used as a PartitionKey/RowKey even after encoding (too long or empty)."""

    code = "invalid_key"


class StorageConfigError(StorageError):
    """The storage configuration is incomplete or contradictory."""

    code = "storage_config_invalid"


class ContentIntegrityError(StorageError):
    """A content-addressed blob no longer hashes to its name: the stored bytes were altered."""

    code = "content_integrity_failed"


class ContentNotFound(StorageError):
    """No snapshot payload is stored under the requested SHA-256."""

    code = "content_not_found"
