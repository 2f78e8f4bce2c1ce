"""The restore job's records: what a source item is, what the preview planned for it, and where the
plan and the live selection are kept (blobs under `restores/{tenant}/{run}/` in the manifests
container: messages between orchestrator and activities stay index ranges).

An item's ID is `{type}:{sourcePolicyId}`: the same across a preview, its live run and a retry, so
an outcome recorded again (a retried activity) replaces the earlier one.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from azure.core.exceptions import ResourceNotFoundError
from azure.storage.blob import ContainerClient

from shared.intune.catalog import BY_NAME
from shared.storage import canonical_json

PREVIEW_RUN_TYPE = "restore.preview"
LIVE_RUN_TYPE = "restore.live"
RESTORE_RUN_TYPES = frozenset({PREVIEW_RUN_TYPE, LIVE_RUN_TYPE})
WRITE_AUDIT_ACTION = "restore.write"
CHUNK_SIZE = 20
"""Items per activity: one `$batch` of target reads for a preview chunk, a bounded series of writes live."""
MAX_DIFF_CHARS = 6_000
"""A diff stored on a run item is cut to this many JSON characters (the plan blob keeps it whole)."""
MAX_NOTES_CHARS = 4_000
"""Notes kept on a run item; the rest are counted (`... and N more`)."""
_UNKNOWN_ORDER = 1_000


class Action(StrEnum):
    CREATE = "create"
    UPDATE = "update"
    UNCHANGED = "unchanged"
    SKIP = "skip"
    CONFLICT = "conflict"


@dataclass(frozen=True)
class SourceItem:
    """One object to restore: a stored version (its content is the snapshot blob `content_sha256`)."""

    policy_type: str
    policy_id: str
    display_name: str
    version_id: str
    content_sha256: str

    @property
    def item_id(self) -> str:
        return f"{self.policy_type}:{self.policy_id}"

    @property
    def restore_order(self) -> int:
        entry = BY_NAME.get(self.policy_type)
        return entry.restore_order if entry else _UNKNOWN_ORDER

    def to_json(self) -> dict[str, Any]:
        return {
            "policyType": self.policy_type,
            "policyId": self.policy_id,
            "displayName": self.display_name,
            "versionId": self.version_id,
            "contentSha256": self.content_sha256,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> SourceItem:
        return cls(
            str(data["policyType"]),
            str(data["policyId"]),
            str(data.get("displayName") or ""),
            str(data["versionId"]),
            str(data["contentSha256"]),
        )


@dataclass(frozen=True)
class PlannedItem:
    """The preview's decision for one source item, against the target as it was then.

    `target_sha256` hashes the target's normalized content at preview time: live compares it with a
    fresh read to detect a change since the preview.
    """

    source: SourceItem
    action: Action
    target_id: str | None = None
    target_sha256: str | None = None
    diff: dict[str, Any] | None = None
    notes: tuple[str, ...] = ()
    reason: str | None = None

    @property
    def item_id(self) -> str:
        return self.source.item_id

    def to_json(self) -> dict[str, Any]:
        return {
            "source": self.source.to_json(),
            "action": self.action.value,
            "targetId": self.target_id,
            "targetSha256": self.target_sha256,
            "diff": self.diff,
            "notes": list(self.notes),
            "reason": self.reason,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> PlannedItem:
        return cls(
            SourceItem.from_json(data["source"]),
            Action(data["action"]),
            data.get("targetId"),
            data.get("targetSha256"),
            data.get("diff"),
            tuple(data.get("notes") or ()),
            data.get("reason"),
        )

    def item_details(self) -> dict[str, Any]:
        """What a preview run item carries (the diff bounded to fit a Table property)."""
        return {
            "targetId": self.target_id,
            "targetSha256": self.target_sha256,
            "sourceVersionId": self.source.version_id,
            "sourceSha256": self.source.content_sha256,
            "diff": bounded_diff(self.diff),
            "notes": bounded_notes(self.notes),
        }


@dataclass(frozen=True)
class Chunk:
    """Items `[start, end)` of a run's staged list; `retry` narrows it to the items still to do."""

    start: int
    end: int
    retry: tuple[str, ...] = ()


@dataclass(frozen=True)
class Selection:
    """The planned items a live run writes, in restore order, with the preview they came from."""

    preview_run_id: str
    source_tenant_id: str
    items: tuple[PlannedItem, ...] = field(default_factory=tuple)


def sort_for_restore(items: Iterable[SourceItem]) -> list[SourceItem]:
    """Catalog restore order (scope tags, filters, templates, ..., policies), then type, name and ID:
    items of one type that share a name sit side by side."""
    return sorted(items, key=lambda i: (i.restore_order, i.policy_type, i.display_name, i.policy_id))


def plan_chunks(items: Sequence[SourceItem]) -> list[Chunk]:
    """Chunks of one type each, of CHUNK_SIZE items (one `$batch` of target reads per type), never
    splitting items that share a name: one activity writes them one after another, so each create
    knows the same-named objects its predecessors made."""
    chunks: list[Chunk] = []
    start = 0
    for index in range(1, len(items) + 1):
        if (
            index == len(items)
            or items[index].policy_type != items[start].policy_type
            or (index - start >= CHUNK_SIZE and items[index].display_name != items[index - 1].display_name)
        ):
            chunks.append(Chunk(start, index))
            start = index
    return chunks


def write_groups(items: Sequence[PlannedItem]) -> list[list[Chunk]]:
    """Chunks grouped by restore order: a group is written after the previous one ended, so what it
    created (scope tags, filters, templates) is in the target when later groups map their IDs."""
    groups: list[list[Chunk]] = []
    start = 0
    for index in range(1, len(items) + 1):
        if index == len(items) or items[index].source.restore_order != items[start].source.restore_order:
            groups.append(plan_chunks([i.source for i in items[start:index]]))
            groups[-1] = [Chunk(c.start + start, c.end + start) for c in groups[-1]]
            start = index
    return groups


def content_sha256(content: Mapping[str, Any]) -> str:
    """The hash a backup would give this normalized content (same canonical JSON)."""
    return hashlib.sha256(canonical_json(content)).hexdigest()


def bounded_diff(diff: Mapping[str, Any] | None, limit: int = MAX_DIFF_CHARS) -> dict[str, Any] | None:
    """The diff with as many leading changes as fit in `limit` JSON characters; `truncated` says so."""
    if diff is None:
        return None
    whole = dict(diff)
    if len(json.dumps(whole, default=str)) <= limit:
        return whole
    changes = list(whole.get("changes") or [])
    kept: list[Any] = []
    base = {**whole, "changes": kept, "notComparable": list(whole.get("notComparable") or [])[:20]}
    base["truncated"] = True
    base["totalChanges"] = len(changes)
    size = len(json.dumps(base, default=str))
    for change in changes:
        text = json.dumps(change, default=str)
        if len(text) > limit // 4:
            change = {"op": change.get("op"), "path": change.get("path"), "valueTooLarge": True}
            text = json.dumps(change, default=str)
        if size + len(text) + 2 > limit:
            break
        kept.append(change)
        size += len(text) + 2
    return base


def bounded_notes(notes: Sequence[str], limit: int = MAX_NOTES_CHARS) -> list[str]:
    """As many notes as fit in `limit` characters, then one saying how many were left out."""
    kept: list[str] = []
    size = 0
    for note in notes:
        if size + len(note) > limit:
            kept.append(f"... and {len(notes) - len(kept)} more notes.")
            break
        kept.append(note)
        size += len(note)
    return kept


def subset(items: Sequence[PlannedItem], chosen: Sequence[str] | None) -> tuple[list[PlannedItem], list[str]]:
    """The planned items named in `chosen` (all when None), in plan order, and the names not planned."""
    if chosen is None:
        return list(items), []
    wanted = set(chosen)
    known = {item.item_id for item in items}
    return [item for item in items if item.item_id in wanted], sorted(wanted - known)


# Blob layout of a restore run (manifests container).


def _root(tenant_id: str, run_id: str) -> str:
    return f"restores/{tenant_id}/{run_id}"


def source_blob(tenant_id: str, run_id: str) -> str:
    return f"{_root(tenant_id, run_id)}/source.json"


def plan_part_blob(tenant_id: str, run_id: str, start: int) -> str:
    return f"{_root(tenant_id, run_id)}/plan/{start:06d}.json"


def plan_blob(tenant_id: str, run_id: str) -> str:
    return f"{_root(tenant_id, run_id)}/plan.json"


def selection_blob(tenant_id: str, run_id: str) -> str:
    return f"{_root(tenant_id, run_id)}/selection.json"


def put_json_blob(container: ContainerClient, name: str, value: Any) -> None:
    container.upload_blob(name, canonical_json(value), overwrite=True)


def get_json_blob(container: ContainerClient, name: str) -> Any | None:
    try:
        return json.loads(container.download_blob(name).readall())
    except ResourceNotFoundError:
        return None


def put_source(
    container: ContainerClient,
    tenant_id: str,
    run_id: str,
    source_tenant_id: str,
    items: Sequence[SourceItem],
) -> None:
    put_json_blob(
        container,
        source_blob(tenant_id, run_id),
        {"sourceTenantId": source_tenant_id, "items": [i.to_json() for i in items]},
    )


def delete_staging(
    container: ContainerClient, tenant_id: str, run_id: str, part_starts: Sequence[int]
) -> None:
    """Remove a finished preview's staged source and plan parts (the plan itself stays)."""
    for name in [
        *(plan_part_blob(tenant_id, run_id, start) for start in part_starts),
        source_blob(tenant_id, run_id),
    ]:
        with contextlib.suppress(ResourceNotFoundError):
            container.delete_blob(name)


def get_source(container: ContainerClient, tenant_id: str, run_id: str) -> tuple[str, list[SourceItem]]:
    data = get_json_blob(container, source_blob(tenant_id, run_id))
    if data is None:
        raise LookupError(f"Restore run {run_id} has no staged source; its begin step did not run.")
    return str(data["sourceTenantId"]), [SourceItem.from_json(i) for i in data["items"]]


def get_plan(container: ContainerClient, tenant_id: str, run_id: str) -> tuple[str, list[PlannedItem]] | None:
    """The stored plan of a finished preview: its source tenant and items; None if there is none."""
    data = get_json_blob(container, plan_blob(tenant_id, run_id))
    if data is None:
        return None
    return str(data["sourceTenantId"]), [PlannedItem.from_json(i) for i in data["items"]]


def put_selection(container: ContainerClient, tenant_id: str, run_id: str, selection: Selection) -> None:
    put_json_blob(
        container,
        selection_blob(tenant_id, run_id),
        {
            "previewRunId": selection.preview_run_id,
            "sourceTenantId": selection.source_tenant_id,
            "items": [i.to_json() for i in selection.items],
        },
    )


def get_selection(container: ContainerClient, tenant_id: str, run_id: str) -> Selection:
    data = get_json_blob(container, selection_blob(tenant_id, run_id))
    if data is None:
        raise LookupError(f"Live restore {run_id} has no staged selection; its begin step did not run.")
    return Selection(
        str(data["previewRunId"]),
        str(data["sourceTenantId"]),
        tuple(PlannedItem.from_json(i) for i in data["items"]),
    )
