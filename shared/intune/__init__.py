"""The catalog of Intune object types (docs/graph-intune.md#object-types), their capture, and policy
versions (docs/architecture.md#policy-versions)."""

from shared.intune.capture import CapturedPolicy, CaptureFailure, capture_policies_batched, capture_policy
from shared.intune.catalog import BY_NAME, TYPES, object_type, restore_sequence
from shared.intune.errors import UnknownPolicyType, VersionNotFound
from shared.intune.model import (
    ObjectType,
    PathRead,
    SkipRule,
    Strategy,
    SubCollection,
    WriteOp,
    WriteStrategy,
)
from shared.intune.normalize import SECRETS_MARKER
from shared.intune.versions import (
    PolicyVersion,
    get_version,
    get_version_content,
    list_versions,
    record_version,
    version_id_for,
)

__all__ = [
    "BY_NAME",
    "SECRETS_MARKER",
    "TYPES",
    "CaptureFailure",
    "CapturedPolicy",
    "ObjectType",
    "PathRead",
    "PolicyVersion",
    "SkipRule",
    "Strategy",
    "SubCollection",
    "UnknownPolicyType",
    "VersionNotFound",
    "WriteOp",
    "WriteStrategy",
    "capture_policies_batched",
    "capture_policy",
    "get_version",
    "get_version_content",
    "list_versions",
    "object_type",
    "record_version",
    "restore_sequence",
    "version_id_for",
]
