"""The generic writer of one restore item: POST to the collection, PATCH `/{id}`, then the
assignments; the writers of the catalog's other write strategies (`writers.py`,
`writers_tenant.py`) override its hooks.

Exactly once: a create whose answer was lost (`GraphWriteOutcomeUnknown`) is looked up by natural
key and a single new match is adopted instead of creating again. Every follow-up write is either
idempotent (PATCH, PUT, `/assign`) and resent once, or a sync that reads the target first and sends
only what is missing, so it can run again after a lost answer.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from shared.graph import GraphClient, GraphWriteOutcomeUnknown
from shared.intune.model import ObjectType
from shared.restore.lookup import find_matches, match_filter
from shared.restore.payload import Payload
from shared.storage import canonical_json

T = TypeVar("T")


LOST_ANSWER_RESENDS = 3
"""Times an idempotent write whose answer was lost is sent again before it counts as unknown."""

class RestoreNotPossible(Exception):
    """The item cannot be written through Graph (capture-only type, service default); `reason` says why."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


@dataclass
class Writer:
    """The generic writer: POST to the collection, PATCH `/{id}`, then the assignments. The writers
    of the other strategies override its hooks: `_create_request`, `_after_create`, `_write_update`
    and `_after_update`."""

    client: GraphClient
    entry: ObjectType
    payload: Payload
    name: str
    content: Mapping[str, Any]
    source_id: str | None = None
    """The item's ID in the source tenant (a type whose client picks IDs reuses it when it can)."""
    notes: list[str] = field(default_factory=list)

    # paths and requests

    @property
    def collection(self) -> str:
        if self.entry.typed_collections:
            odata_type = str(self.payload.body.get("@odata.type", ""))
            typed = self.entry.typed_collections.get(odata_type)
            if typed is None:
                raise RestoreNotPossible(
                    f"{self.entry.name} of @odata.type {odata_type!r} has no typed collection to write to."
                )
            return typed
        return self.entry.collection

    def _post(self, path: str, body: Any) -> Any:
        return self.client.post(path, body, version=self.entry.version)

    def _again_if_lost(self, write: Callable[[], T]) -> T:
        """An idempotent write whose answer was lost is simply sent again, a few times at most (its
        answers may be lost again; what then stays unknown is checked by reading the target)."""
        for _ in range(LOST_ANSWER_RESENDS):
            try:
                return write()
            except GraphWriteOutcomeUnknown:
                continue
        return write()

    def _sync_again_if_lost(self, sync: Callable[[bool], None], fresh: bool, writes: int) -> None:
        """A sync reads the target first, so after a lost answer it runs again and sends only what is
        still missing; each lost write it makes may cost one more run (`writes` of them at most).
        `fresh` skips the first read for an object this call just created (it holds nothing yet)."""
        for _ in range(max(writes, LOST_ANSWER_RESENDS)):
            try:
                sync(fresh)
                return
            except GraphWriteOutcomeUnknown:
                fresh = False
        sync(False)

    # create

    def create(self, existing: Collection[str] | None) -> str:
        before = set(existing) if existing is not None else set(self._matches())
        path, body = self._create_request()
        try:
            object_id = self._created_id(self._post(path, body))
        except GraphWriteOutcomeUnknown:
            object_id = self._adopt_or_retry(path, body, before)
        self._after_create(object_id)
        self._note_unwritten_parts()
        return object_id

    def _matches(self) -> list[str]:
        """IDs of the target objects this item's natural key matches now."""
        return find_matches(
            self.client, self.entry.name, self.name, **match_filter(self.entry.name, self.content)
        )

    def _adopt_or_retry(self, path: str, body: Any, before: set[str]) -> str:
        found = [match for match in self._matches() if match not in before]
        if len(found) == 1:
            self.notes.append("The create's answer was lost; the object it made was found by name and kept.")
            return found[0]
        if found:
            raise GraphWriteOutcomeUnknown(
                f"A lost create left {len(found)} new {self.entry.name} named {self.name!r}; "
                "remove the extra ones, then restore again.",
                method="POST",
                path=path,
            )
        return self._created_id(self._post(path, body))

    def _create_request(self) -> tuple[str, dict[str, Any]]:
        """The path and body of the create."""
        return self.collection, dict(self.payload.body)

    def _created_id(self, created: Any) -> str:
        """The ID TenantAtlas records for the object a create answered with."""
        return str(created["id"])

    def _after_create(self, object_id: str) -> None:
        """Writes that follow the create (parts written apart), before the assignments."""

    # update

    def update(self, object_id: str) -> None:
        item = self._item_path(object_id)
        self._write_update(object_id, item, dict(self.payload.body))
        self._after_update(object_id, item)
        self._note_unwritten_parts()

    def _item_path(self, object_id: str) -> str:
        return f"{self.collection}/{object_id}"

    def _write_update(self, object_id: str, item: str, body: dict[str, Any]) -> None:
        """The write of the object itself."""
        self._again_if_lost(lambda: self.client.patch(item, body, version=self.entry.version))

    def _after_update(self, object_id: str, item: str) -> None:
        """Writes that follow the update (parts written apart), before the assignments."""

    def _note_unwritten_parts(self) -> None:
        if self.payload.parts.get("roleAssignments"):
            self.notes.append(
                "This role's assignments are restored as items of their own (type roleAssignments), "
                "not with the role."
            )

    # assignments

    def assign(self, object_id: str) -> None:
        op = self.entry.assign
        assignments = self.payload.assignments
        if op is None or assignments is None:
            return
        if op.per_target:
            self._sync_again_if_lost(
                lambda fresh: self._sync_per_target(object_id, assignments), False, len(assignments)
            )
            return
        path = op.path.replace("{typed_collection}", self.collection).replace("{id}", object_id)
        if not path.startswith(self.collection):
            path = f"{self.collection}{path}"
        body = {op.body_key or "assignments": assignments}
        self._again_if_lost(lambda: self._post(path, body))

    def _sync_per_target(self, object_id: str, assignments: list[dict[str, Any]]) -> None:
        """One `POST /{id}/assignments {"target"}` per missing target; targets not in the backup go."""
        nav = f"{self.collection}/{object_id}/assignments"
        current = self.client.get_all(nav, version=self.entry.version)
        have = {canonical_json(item.get("target")): str(item["id"]) for item in current}
        wanted = {canonical_json(item.get("target")): item for item in assignments}
        for key, item in wanted.items():
            if key not in have:
                self._post(nav, {"target": item["target"]})
        for key, assignment_id in have.items():
            if key not in wanted:
                self.client.delete(f"{nav}/{assignment_id}", version=self.entry.version)
