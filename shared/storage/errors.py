"""Typed storage errors with stable codes, as problems (shared.http.problems) so the API maps them without
reading messages: a bad paging token is the caller's 400, a corrupted payload is our 500."""

from __future__ import annotations

from shared.http.problems import ProblemError


class StorageError(ProblemError):
    """Base of the storage layer's own errors."""

    status = 500
    code = "storage.error"
    title = "A storage operation failed."


class InvalidContinuationToken(StorageError):
    """A paging token that this API did not issue (or that was altered) was presented."""

    status = 400
    code = "paging.invalid_continuation_token"
    title = "The continuation token is not valid; start again without one."


class InvalidKey(StorageError):
    """A value cannot be used as a PartitionKey/RowKey even after encoding (empty or too long)."""

    status = 400
    code = "storage.invalid_key"
    title = "An identifier is empty or too long."


class StorageConfigError(StorageError):
    """The storage configuration is incomplete or contradictory."""

    code = "storage.config_invalid"
    title = "Storage is not configured correctly."


class ContentIntegrityError(StorageError):
    """A content-addressed blob no longer hashes to its name: the stored bytes were altered."""

    code = "content.integrity_failed"
    title = "A stored payload does not match its hash."


class ContentNotFound(StorageError):
    """No snapshot payload is stored under the requested SHA-256."""

    status = 404
    code = "content.not_found"
    title = "No payload is stored under this hash."
