"""Microsoft Graph client: tokens, retries, paging, `$batch` and read-only mode (docs/graph-intune.md).

`credentials` holds the app credentials a tenant record refers to by name; `tenant_clients` builds
the client of one managed tenant from settings and its record, paced against the budget every
instance shares (`budget`, in a table; `ledger`, its arithmetic). They are imported by module, not
re-exported here: `tenant_clients` reads settings and tenant records, which import this package.
"""

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
