"""Table and Blob repositories: clients built once per worker, safe keys, paging, content-addressed blobs."""

from shared.storage.account import StorageAccount, StorageConfig, worker_account
from shared.storage.batch import MAX_TRANSACTION, upsert_batched
from shared.storage.content import (
    ContentStore,
    StoredContent,
    StoredPayload,
    canonical_json,
    payload_store,
)
from shared.storage.errors import (
    ContentIntegrityError,
    ContentNotFound,
    InvalidContinuationToken,
    InvalidKey,
    StorageConfigError,
    StorageError,
)
from shared.storage.keys import decode_key, encode_key, inverted_time_key, stable_hash, time_from_inverted_key
from shared.storage.paging import (
    DEFAULT_PAGE_SIZE,
    MAX_PAGE_SIZE,
    Page,
    decode_continuation,
    encode_continuation,
    map_page,
    query_page,
)

__all__ = [
    "DEFAULT_PAGE_SIZE",
    "MAX_PAGE_SIZE",
    "MAX_TRANSACTION",
    "ContentIntegrityError",
    "ContentNotFound",
    "ContentStore",
    "InvalidContinuationToken",
    "InvalidKey",
    "Page",
    "StorageAccount",
    "StorageConfig",
    "StorageConfigError",
    "StorageError",
    "StoredContent",
    "StoredPayload",
    "canonical_json",
    "decode_continuation",
    "decode_key",
    "encode_continuation",
    "encode_key",
    "inverted_time_key",
    "map_page",
    "payload_store",
    "query_page",
    "stable_hash",
    "time_from_inverted_key",
    "upsert_batched",
    "worker_account",
]
