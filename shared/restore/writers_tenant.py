"""The writers of tenant objects and of the references policies name (the catalog's `WriteStrategy`):
the tenant-wide settings (a property of `/deviceManagement`), an app's assignments (the app must
exist), Apple enrollment profiles (inside the target's Apple token of the same name),
authentication contexts (the client picks `c1`..`c99`), authentication strengths (method
combinations through their own action) and Intune role assignments (the role bound by URL).
"""

from __future__ import annotations

from typing import Any

from shared.intune.model import ParentCollection, nested_id
from shared.intune.normalize import PARENT_MARKER
from shared.restore.writer import RestoreNotPossible, Writer

CONTEXT_IDS = tuple(f"c{number}" for number in range(1, 100))
"""The IDs an authentication context can have."""


class ParentPropertyWriter(Writer):
    """A singleton that is a property of its parent: `PATCH {parent} {"property": body}`."""

    def create(self, existing: Any) -> str:
        raise RestoreNotPossible(self.entry.target_must_exist or f"{self.entry.name} is never created.")

    def _write_update(self, object_id: str, item: str, body: dict[str, Any]) -> None:
        op = self.entry.update[0]
        wrapped = {op.body_key or "": body}
        self._again_if_lost(lambda: self.client.patch(op.path, wrapped, version=self.entry.version))


class AssignOnlyWriter(Writer):
    """Only the assignments are written (after this no-op update): the object itself is not ours."""

    def create(self, existing: Any) -> str:
        raise RestoreNotPossible(self.entry.target_must_exist or f"{self.entry.name} is never created.")

    def _write_update(self, object_id: str, item: str, body: dict[str, Any]) -> None:
        return


class InParentWriter(Writer):
    """A nested object: created in the target's parent that has the source parent's natural key,
    recorded and updated under `{parent ID}_{own ID}`."""

    _parent_id: str | None = None

    @property
    def parent(self) -> ParentCollection:
        if self.entry.parent is None:
            raise RestoreNotPossible(f"{self.entry.name} has no parent collection in the catalog.")
        return self.entry.parent

    def _create_request(self) -> tuple[str, dict[str, Any]]:
        self._parent_id = self._target_parent()
        return f"{self.parent.collection}/{self._parent_id}/{self.parent.navigation}", dict(self.payload.body)

    def _created_id(self, created: Any) -> str:
        return nested_id(str(self._parent_id), str(created["id"]))

    def _item_path(self, object_id: str) -> str:
        return self.entry.item_path(object_id)

    def _target_parent(self) -> str:
        """The target's one parent whose natural key equals the source parent's."""
        wanted = self.content.get(PARENT_MARKER)
        parents = self.client.get_all(
            self.parent.collection, params={"$select": f"id,{self.parent.key}"}, version=self.entry.version
        )
        found = [str(item["id"]) for item in parents if wanted and item.get(self.parent.key) == wanted]
        where = f"{self.parent.collection.rsplit('/', 1)[-1]} with {self.parent.key} '{wanted}'"
        if not found:
            raise RestoreNotPossible(
                f"The target has no {where} to hold it; set that up first, then restore again."
            )
        if len(found) > 1:
            raise RestoreNotPossible(
                f"The target has {len(found)} {where}; rename all but one, then restore again."
            )
        return found[0]


class ChosenIdWriter(Writer):
    """The client names the ID on create: the source's when the target has it free, else the first free."""

    def _create_request(self) -> tuple[str, dict[str, Any]]:
        taken = {
            str(item["id"])
            for item in self.client.get_all(
                self.collection, params={"$select": "id"}, version=self.entry.version
            )
        }
        free = [candidate for candidate in CONTEXT_IDS if candidate not in taken]
        if not free:
            raise RestoreNotPossible(
                "The target uses all 99 authentication context IDs; free one, then restore again."
            )
        chosen = self.source_id if self.source_id in free else free[0]
        if chosen != self.source_id:
            self.notes.append(f"Created as {chosen}: {self.source_id} is taken in the target.")
        return self.collection, {**self.payload.body, "id": chosen}


class AllowedCombinationsWriter(Writer):
    """An update PATCHes the rest, then sends the method combinations to `/updateAllowedCombinations`."""

    def _write_update(self, object_id: str, item: str, body: dict[str, Any]) -> None:
        combinations = body.pop("allowedCombinations", None)
        super()._write_update(object_id, item, body)
        if combinations is not None:
            self._again_if_lost(
                lambda: self._post(f"{item}/updateAllowedCombinations", {"allowedCombinations": combinations})
            )


class RoleBindingWriter(Writer):
    """The role goes as `roleDefinition@odata.bind`, the URL of the (remapped) role definition."""

    def _create_request(self) -> tuple[str, dict[str, Any]]:
        return self.collection, self._bound(dict(self.payload.body))

    def _write_update(self, object_id: str, item: str, body: dict[str, Any]) -> None:
        super()._write_update(object_id, item, self._bound(body))

    def _bound(self, body: dict[str, Any]) -> dict[str, Any]:
        role = body.pop("roleDefinition", None)
        if not isinstance(role, dict) or not role.get("id"):
            raise RestoreNotPossible("The role assignment's content names no role definition.")
        base = f"{self.client.config.graph_base_url.rstrip('/')}/{self.entry.version}"
        body["roleDefinition@odata.bind"] = f"{base}/deviceManagement/roleDefinitions('{role['id']}')"
        return body
