"""What a restore restores: a backup set or a list of stored versions, of this tenant or another,
resolved into source items whose content is the normalized snapshot a backup stored.

Snapshot blobs are content-addressed under their tenant's prefix, so a source item is read by its
source tenant and its hash, whether that tenant is the target or another.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from shared.backups.sets import get_backup_set, get_manifest
from shared.intune.versions import get_version
from shared.restore.model import SourceItem, sort_for_restore
from shared.storage import StorageAccount, names, payload_store


@dataclass(frozen=True)
class SourceSpec:
    """A validated source: from `backup_id`, or from `versions` (type, policy ID, version ID each)."""

    tenant_id: str
    backup_id: str | None = None
    versions: tuple[tuple[str, str, str], ...] = ()
    types: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {"tenantId": self.tenant_id}
        if self.backup_id is not None:
            body["backupId"] = self.backup_id
        else:
            body["versions"] = [{"type": t, "policyId": p, "versionId": v} for t, p, v in self.versions]
        if self.types:
            body["types"] = list(self.types)
        return body

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> SourceSpec:
        return cls(
            str(data["tenantId"]),
            data.get("backupId"),
            tuple((v["type"], v["policyId"], v["versionId"]) for v in data.get("versions") or ()),
            tuple(data.get("types") or ()),
        )


def resolve_source(account: StorageAccount, spec: SourceSpec) -> list[SourceItem]:
    """The spec's items in restore order; `BackupSetNotFound` / `VersionNotFound` (404) when gone."""
    if spec.backup_id is not None:
        items = backup_items(account, spec.tenant_id, spec.backup_id)
    else:
        items = version_items(account, spec.tenant_id, spec.versions)
    return sort_for_restore(_of_types(items, spec.types))


def backup_items(account: StorageAccount, tenant_id: str, backup_id: str) -> list[SourceItem]:
    """Every policy a backup set's manifest lists."""
    backup = get_backup_set(account.table(names.BACKUP_SETS), tenant_id, backup_id)
    manifest = get_manifest(account.container(names.MANIFESTS_CONTAINER), backup)
    return [SourceItem.from_json(entry) for entries in manifest["types"].values() for entry in entries]


def version_items(
    account: StorageAccount, tenant_id: str, versions: Sequence[tuple[str, str, str]]
) -> list[SourceItem]:
    """One item per named version (the last one wins for a policy named twice)."""
    found: dict[tuple[str, str], SourceItem] = {}
    for policy_type, policy_id, version_id in versions:
        version = get_version(account, tenant_id, version_id, policy_type=policy_type, policy_id=policy_id)
        found[(policy_type, policy_id)] = SourceItem(
            version.policy_type,
            version.policy_id,
            version.display_name,
            version.version_id,
            version.content_sha256,
        )
    return list(found.values())


def load_content(account: StorageAccount, source_tenant_id: str, item: SourceItem) -> dict[str, Any]:
    """The normalized content the item's version stored in its source tenant (checked against its hash)."""
    content: dict[str, Any] = payload_store(account, source_tenant_id).get_json(item.content_sha256)
    return content


def _of_types(items: list[SourceItem], types: Collection[str]) -> list[SourceItem]:
    return [item for item in items if not types or item.policy_type in types]
