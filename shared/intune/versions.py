"""Policy versions: rows per capture in Table Storage, payloads content-addressed (shared.storage.content).

Partition = tenant. Two rows per version, written in one entity-group transaction:
- timeline `t!{type}!{policy}!{inverted time}!{version id}`: a policy's versions newest first,
  listed with one range query;
- index `v!{version id}`: one point read by version ID.
The same transaction upserts the policy's latest pointer `l!{type}!{policy}` (a copy of its newest
version), so a backup chunk finds the previous versions of all its policies with one range query
over `l!{type}!` instead of one query per policy. The marker `m!latest` says every version of the
tenant has its pointer (it is written before a tenant's first batched versions); without it, a
policy with no pointer may have versions from before pointers existed, and is looked up the old way.
The version ID is a hash of (run, type, policy), so a retried activity finds its own index row and
returns the version it recorded instead of adding another.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
import threading
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from azure.core.exceptions import ResourceExistsError, ResourceNotFoundError
from azure.data.tables import TableClient, TableTransactionError

from shared.intune.capture import CapturedPolicy
from shared.intune.errors import VersionNotFound
from shared.storage import (
    Page,
    StorageAccount,
    canonical_json,
    encode_key,
    inverted_time_key,
    map_page,
    names,
    payload_store,
    query_page,
    stable_hash,
)
from shared.storage.transaction import submit_transaction

_VERSION_ID = re.compile(r"^[0-9a-f]{32}$")
_SEP = "!"
_AFTER_SEP = chr(ord(_SEP) + 1)
_MARKER = "m!latest"


@dataclass(frozen=True)
class Previous:
    """What a new version needs of the one before it: its ID and its payload's hash."""

    version_id: str
    content_sha256: str


_POINTER_FIELDS = ["PolicyType", "PolicyId", "VersionId", "ContentSha256"]
"""The columns a backup reads of the latest pointers (`$select`: a chunk reads every pointer of its
tenant, and deserialising whole rows cost more than the query)."""


@dataclass(frozen=True)
class PolicyVersion:
    """One captured version of one policy; `changed` compares its hash with the version before it."""

    version_id: str
    tenant_id: str
    policy_type: str
    policy_id: str
    display_name: str
    content_sha256: str
    size: int
    changed: bool
    previous_version_id: str | None
    captured_at: datetime
    run_id: str
    secrets_not_captured: list[str]

    def to_api(self) -> dict[str, Any]:
        """The JSON shape of the version routes (camelCase, ISO 8601), without storage internals."""
        return {
            "id": self.version_id,
            "tenantId": self.tenant_id,
            "policyType": self.policy_type,
            "policyId": self.policy_id,
            "displayName": self.display_name,
            "contentSha256": self.content_sha256,
            "size": self.size,
            "changed": self.changed,
            "previousVersionId": self.previous_version_id,
            "capturedAt": self.captured_at.isoformat(),
            "runId": self.run_id,
            "secretsNotCaptured": list(self.secrets_not_captured),
        }


def version_id_for(run_id: str, policy_type: str, policy_id: str) -> str:
    """Deterministic per (run, policy): the same capture recorded twice is the same version."""
    return stable_hash(run_id, policy_type, policy_id)[:32]


def record_version(
    account: StorageAccount, tenant_id: str, captured: CapturedPolicy, run_id: str, captured_at: datetime
) -> PolicyVersion:
    """Store the payload (no new blob when unchanged) and the version rows; idempotent per (run, policy)."""
    table = account.table(names.POLICY_VERSIONS)
    version_id = version_id_for(run_id, captured.policy_type, captured.policy_id)
    existing = _read_index(table, tenant_id, version_id)
    if existing is not None:
        return existing
    timeline_key = _timeline_key(captured, captured_at, version_id)
    previous = _previous(table, tenant_id, captured, timeline_key)
    version, data = _version_of(tenant_id, captured, version_id, previous, run_id, captured_at)
    if data is not None:
        payload_store(account, tenant_id).put_bytes(data)
    try:
        submit_transaction(table, _version_rows(tenant_id, version))
    except TableTransactionError:
        raced = _read_index(table, tenant_id, version_id)
        if raced is None:
            raise
        return raced
    return version


VERSIONS_PER_TRANSACTION = 33
"""Three rows per version, and an entity-group transaction holds at most 100 operations."""


def record_versions(
    account: StorageAccount,
    tenant_id: str,
    captured: Sequence[CapturedPolicy],
    run_id: str,
    captured_at: datetime,
    threads: int = 8,
) -> list[PolicyVersion]:
    """`record_version` for many policies of one tenant, in the order given, with fewer round trips:
    previous versions from the latest pointers (one query per type, side by side, or one query of all
    the tenant's pointers when the policies span more than POINTER_QUERIES_AT_MOST types), no index
    pre-read, and the rows of up to 33 versions in one transaction, the transactions side by side.

    A transaction that fails (a retried chunk whose versions, or some of them, exist already) is
    done again one policy at a time through `record_version`, which returns the recorded version.
    """
    table = account.table(names.POLICY_VERSIONS)
    types = sorted({policy.policy_type for policy in captured})
    with ThreadPoolExecutor(max_workers=max(1, threads)) as pool:
        complete_check = pool.submit(_pointers_complete, table, tenant_id)
        if len(types) > POINTER_QUERIES_AT_MOST:
            latest = _all_latest_pointers(table, tenant_id)
        else:
            found = pool.map(lambda policy_type: _latest_pointers(table, tenant_id, policy_type), types)
            latest = {key: previous for pointers in found for key, previous in pointers.items()}
        complete = complete_check.result()

        def prepare(policy: CapturedPolicy) -> tuple[PolicyVersion, bytes | None]:
            """The version, and its payload's bytes unless the previous version holds them already."""
            version_id = version_id_for(run_id, policy.policy_type, policy.policy_id)
            previous: PolicyVersion | Previous | None = latest.get((policy.policy_type, policy.policy_id))
            if previous is None and not complete:
                previous = _previous(table, tenant_id, policy, _timeline_key(policy, captured_at, version_id))
            return _version_of(tenant_id, policy, version_id, previous, run_id, captured_at)

        # Without the marker, `prepare` may query; with it, it is CPU only and threads would only add cost.
        pairs = [prepare(policy) for policy in captured] if complete else list(pool.map(prepare, captured))
        prepared = [version for version, _ in pairs]
        # Every payload is stored before a version row names it.
        payload_store(account, tenant_id).put_many([data for _, data in pairs if data is not None], threads)

        def submit(start: int) -> list[PolicyVersion]:
            group = prepared[start : start + VERSIONS_PER_TRANSACTION]
            try:
                submit_transaction(table, [row for v in group for row in _version_rows(tenant_id, v)])
            except TableTransactionError:
                policies = captured[start : start + VERSIONS_PER_TRANSACTION]
                return [record_version(account, tenant_id, p, run_id, captured_at) for p in policies]
            return group

        groups = pool.map(submit, range(0, len(prepared), VERSIONS_PER_TRANSACTION))
        return [version for group in groups for version in group]


POINTER_QUERIES_AT_MOST = 3
"""Above this many types in one call, one query reads all of the tenant's pointers (a page of 1,000
rows covers a tenant of that many objects) instead of one query per type."""


def _all_latest_pointers(table: TableClient, tenant_id: str) -> dict[tuple[str, str], Previous]:
    """(type, policy ID) -> its newest version, for every policy of the tenant that has a pointer."""
    return _pointers(table, tenant_id, "l" + _SEP)


def _pointers(table: TableClient, tenant_id: str, prefix: str) -> dict[tuple[str, str], Previous]:
    entities = table.query_entities(
        "PartitionKey eq @tenant and RowKey gt @start and RowKey lt @end",
        parameters={"tenant": tenant_id, "start": prefix, "end": prefix[:-1] + _AFTER_SEP},
        select=_POINTER_FIELDS,
        results_per_page=1000,
    )
    return {(e["PolicyType"], e["PolicyId"]): Previous(e["VersionId"], e["ContentSha256"]) for e in entities}


def _version_rows(tenant_id: str, version: PolicyVersion) -> list[Any]:
    """Index and timeline rows (created: a second write of either is a conflict), and the pointer."""
    properties = {"PartitionKey": tenant_id, **_to_entity(version)}
    return [
        ("create", {**properties, "RowKey": _index_key(version.version_id)}),
        ("create", {**properties, "RowKey": _timeline_key_of(version)}),
        ("upsert", {**properties, "RowKey": _latest_key(version.policy_type, version.policy_id)}),
    ]


def _latest_pointers(table: TableClient, tenant_id: str, policy_type: str) -> dict[tuple[str, str], Previous]:
    """(type, policy ID) -> its newest version, for every policy of the type that has a pointer."""
    return _pointers(table, tenant_id, _SEP.join(("l", _part(policy_type), "")))


_MARKED: set[tuple[str, str]] = set()
"""(table URL, tenant) whose marker this process has seen: a marker is never removed, so a backup's
chunks after the first in a worker skip its read."""
_MARKED_LOCK = threading.Lock()


def _pointers_complete(table: TableClient, tenant_id: str) -> bool:
    """True when the tenant's marker exists, or when it has no versions yet (then the marker is written)."""
    seen = (f"{table.url}/{table.table_name}", tenant_id)
    with _MARKED_LOCK:
        if seen in _MARKED:
            return True
    try:
        table.get_entity(tenant_id, _MARKER)
    except ResourceNotFoundError:
        return _mark_if_new(table, tenant_id)
    with _MARKED_LOCK:
        _MARKED.add(seen)
    return True


def _mark_if_new(table: TableClient, tenant_id: str) -> bool:
    """Write the marker of a tenant with no versions yet (True); False when it has some."""
    any_version = query_page(
        table,
        "PartitionKey eq @tenant and RowKey gt @start and RowKey lt @end",
        {"tenant": tenant_id, "start": "t" + _SEP, "end": "t" + _AFTER_SEP},
        page_size=1,
    )
    if any_version.items:
        return False
    with contextlib.suppress(ResourceExistsError):
        table.create_entity({"PartitionKey": tenant_id, "RowKey": _MARKER})
    return True


def list_versions(
    account: StorageAccount,
    tenant_id: str,
    policy_type: str,
    policy_id: str,
    page_size: int = 50,
    continuation: str | None = None,
) -> Page[PolicyVersion]:
    """A policy's versions, newest first, with one partition range query per page."""
    prefix = _timeline_prefix(policy_type, policy_id)
    page = query_page(
        account.table(names.POLICY_VERSIONS),
        "PartitionKey eq @tenant and RowKey gt @start and RowKey lt @end",
        {"tenant": tenant_id, "start": prefix, "end": prefix[:-1] + _AFTER_SEP},
        page_size=page_size,
        continuation=continuation,
    )
    return map_page(page, _from_entity)


def get_version(
    account: StorageAccount,
    tenant_id: str,
    version_id: str,
    *,
    policy_type: str | None = None,
    policy_id: str | None = None,
) -> PolicyVersion:
    """One version by ID (a point read); `version.not_found` also when it belongs to another policy."""
    version = (
        _read_index(account.table(names.POLICY_VERSIONS), tenant_id, version_id)
        if _VERSION_ID.match(version_id)
        else None
    )
    if version is None or (policy_type, policy_id) not in (
        (None, None),
        (version.policy_type, version.policy_id),
    ):
        raise VersionNotFound(f"No version '{version_id}' of this policy in this tenant.")
    return version


def get_version_content(account: StorageAccount, version: PolicyVersion) -> dict[str, Any]:
    """The stored payload of a version, checked against its hash."""
    content: dict[str, Any] = payload_store(account, version.tenant_id).get_json(version.content_sha256)
    return content


def _timeline_key(captured: CapturedPolicy, captured_at: datetime, version_id: str) -> str:
    prefix = _timeline_prefix(captured.policy_type, captured.policy_id)
    return f"{prefix}{inverted_time_key(captured_at)}{_SEP}{version_id}"


def _timeline_key_of(version: PolicyVersion) -> str:
    prefix = _timeline_prefix(version.policy_type, version.policy_id)
    return f"{prefix}{inverted_time_key(version.captured_at)}{_SEP}{version.version_id}"


def _version_of(
    tenant_id: str,
    captured: CapturedPolicy,
    version_id: str,
    previous: PolicyVersion | Previous | None,
    run_id: str,
    captured_at: datetime,
) -> tuple[PolicyVersion, bytes | None]:
    """The new version, and its payload's canonical bytes unless the previous version holds them."""
    data = canonical_json(captured.payload)
    digest = hashlib.sha256(data).hexdigest()
    version = _new_version(tenant_id, captured, version_id, digest, len(data), previous, run_id, captured_at)
    return version, data if version.changed else None


def _new_version(
    tenant_id: str,
    captured: CapturedPolicy,
    version_id: str,
    content_sha256: str,
    size: int,
    previous: PolicyVersion | Previous | None,
    run_id: str,
    captured_at: datetime,
) -> PolicyVersion:
    return PolicyVersion(
        version_id=version_id,
        tenant_id=tenant_id,
        policy_type=captured.policy_type,
        policy_id=captured.policy_id,
        display_name=captured.display_name,
        content_sha256=content_sha256,
        size=size,
        changed=previous is None or previous.content_sha256 != content_sha256,
        previous_version_id=previous.version_id if previous else None,
        captured_at=captured_at,
        run_id=run_id,
        secrets_not_captured=list(captured.secrets_not_captured),
    )


def _previous(
    table: TableClient, tenant_id: str, captured: CapturedPolicy, own_key: str
) -> PolicyVersion | None:
    """The newest version captured before this one (larger keys are older)."""
    prefix = _timeline_prefix(captured.policy_type, captured.policy_id)
    page = query_page(
        table,
        "PartitionKey eq @tenant and RowKey gt @start and RowKey lt @end",
        {"tenant": tenant_id, "start": own_key, "end": prefix[:-1] + _AFTER_SEP},
        page_size=1,
    )
    return _from_entity(page.items[0]) if page.items else None


def _read_index(table: TableClient, tenant_id: str, version_id: str) -> PolicyVersion | None:
    try:
        return _from_entity(table.get_entity(tenant_id, _index_key(version_id)))
    except ResourceNotFoundError:
        return None


def _timeline_prefix(policy_type: str, policy_id: str) -> str:
    """`t!{type}!{policy}!`; `!` inside IDs is escaped so one policy's prefix never covers another's."""
    return _SEP.join(("t", _part(policy_type), _part(policy_id), ""))


def _part(value: str) -> str:
    return encode_key(value).replace(_SEP, "%21")


def _latest_key(policy_type: str, policy_id: str) -> str:
    return _SEP.join(("l", _part(policy_type), _part(policy_id)))


def _index_key(version_id: str) -> str:
    return f"v{_SEP}{version_id}"


def _to_entity(version: PolicyVersion) -> dict[str, Any]:
    return {
        "VersionId": version.version_id,
        "PolicyType": version.policy_type,
        "PolicyId": version.policy_id,
        "DisplayName": version.display_name,
        "ContentSha256": version.content_sha256,
        "Size": version.size,
        "Changed": version.changed,
        "PreviousVersionId": version.previous_version_id or "",
        "CapturedAt": version.captured_at,
        "RunId": version.run_id,
        "SecretsNotCaptured": json.dumps(version.secrets_not_captured),
    }


def _from_entity(entity: Mapping[str, Any]) -> PolicyVersion:
    return PolicyVersion(
        version_id=entity["VersionId"],
        tenant_id=entity["PartitionKey"],
        policy_type=entity["PolicyType"],
        policy_id=entity["PolicyId"],
        display_name=entity["DisplayName"],
        content_sha256=entity["ContentSha256"],
        size=int(entity["Size"]),
        changed=bool(entity["Changed"]),
        previous_version_id=entity["PreviousVersionId"] or None,
        captured_at=entity["CapturedAt"],
        run_id=entity["RunId"],
        secrets_not_captured=list(json.loads(entity["SecretsNotCaptured"])),
    )


def all_versions(account: StorageAccount, tenant_id: str) -> Iterator[PolicyVersion]:
    """Every version of the tenant (its index rows, one range query)."""
    entities = account.table(names.POLICY_VERSIONS).query_entities(
        "PartitionKey eq @tenant and RowKey gt @start and RowKey lt @end",
        parameters={"tenant": tenant_id, "start": "v" + _SEP, "end": "v" + _AFTER_SEP},
        results_per_page=1000,
    )
    for entity in entities:
        yield _from_entity(entity)


def latest_version_ids(account: StorageAccount, tenant_id: str) -> set[str]:
    """The newest version of every policy of the tenant (its latest pointers)."""
    entities = account.table(names.POLICY_VERSIONS).query_entities(
        "PartitionKey eq @tenant and RowKey gt @start and RowKey lt @end",
        parameters={"tenant": tenant_id, "start": "l" + _SEP, "end": "l" + _AFTER_SEP},
        select=["VersionId"],
        results_per_page=1000,
    )
    return {str(entity["VersionId"]) for entity in entities}


def delete_version(account: StorageAccount, version: PolicyVersion) -> None:
    """Drop a version's timeline row, then its index row (so an interrupted delete is found again by
    its index row and finished); the latest pointer is never a deleted version's (retention keeps the
    newest version of every policy). Deleting a row that is gone is a no-op."""
    table = account.table(names.POLICY_VERSIONS)
    table.delete_entity(version.tenant_id, _timeline_key_of(version))
    table.delete_entity(version.tenant_id, _index_key(version.version_id))
