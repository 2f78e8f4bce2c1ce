"""Microsoft Graph client: tokens, retries, paging, `$batch` and read-only mode (architecture section 7)."""

from shared.graph.batch import MAX_BATCH_SIZE, BatchRequest, BatchResponse, chunked
from shared.graph.client import GraphClient
from shared.graph.config import (
    CLOUDS,
    ClientCertificate,
    ClientSecret,
    CloudEndpoints,
    Credential,
    GraphClientConfig,
    Timeouts,
)
from shared.graph.errors import (
    GraphAuthError,
    GraphBadRequest,
    GraphError,
    GraphForbidden,
    GraphNotFound,
    GraphThrottled,
    GraphUnavailable,
    GraphWriteOutcomeUnknown,
    ReadOnlyViolation,
)
from shared.graph.retry import RetryPolicy

__all__ = [
    "CLOUDS",
    "MAX_BATCH_SIZE",
    "BatchRequest",
    "BatchResponse",
    "ClientCertificate",
    "ClientSecret",
    "CloudEndpoints",
    "Credential",
    "GraphAuthError",
    "GraphBadRequest",
    "GraphClient",
    "GraphClientConfig",
    "GraphError",
    "GraphForbidden",
    "GraphNotFound",
    "GraphThrottled",
    "GraphUnavailable",
    "GraphWriteOutcomeUnknown",
    "ReadOnlyViolation",
    "RetryPolicy",
    "Timeouts",
    "chunked",
]
