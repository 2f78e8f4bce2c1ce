"""What a remap says about references it could not map: notes for what was left off, and the
reasons that block an item (`Notes.blocked`) when leaving a reference off would change whom the
item applies to. Shared by the generic remap (`remap.py`) and the per-type ones (`remap_types.py`)."""

from __future__ import annotations

from typing import Any

from shared.restore.idmap import IdMap

CREATE_IT = "Create what is missing in the target (same display name), then restore again."


class Notes(list[str]):
    """Notes on what was left off, plus what blocks the whole item (a change it must not make)."""

    def __init__(self) -> None:
        super().__init__()
        self.blocked: list[str] = []
        self.missing_exclusions: list[str] = []
        """What the blocking references name: an excluded group's name, `named location <name>`..."""

    def block(self, label: str, missing: str, kind: str = "Group", fix: str = CREATE_IT) -> None:
        """An exclusion of `label` (a group unless `kind` says otherwise) that cannot be restored
        (`missing` says why): noted (so a preview shows it) and blocking the item."""
        self.refuse(
            f"{kind} {quoted(label)} is excluded {missing}; without the exclusion the policy would "
            f"apply to more users or devices, so the item is not written. {fix}",
            label if kind == "Group" else f"{kind.lower()} {label}",
        )

    def missing_reference(self, kind: str, label: str, where: str) -> None:
        """A reference the target lacks that the item cannot be written without (a named location,
        an authentication strength, a reusable setting): the item would mean something else."""
        self.refuse(
            f"{kind} {quoted(label)} in {where} does not exist in the target; written without it the "
            f"item would not do what the source does, so it is not written. {CREATE_IT}",
            f"{kind.lower()} {label}",
        )

    def refuse(self, reason: str, what: str) -> None:
        self.missing_exclusions.append(what)
        self.blocked.append(reason)
        self.append(reason)


def map_groups(groups: list[Any], ids: IdMap, notes: Notes, where: str) -> list[str]:
    """Groups of a list that only narrows what it names (included groups, CC lists): the ones the
    target lacks are left off with a note."""
    mapped = []
    for group in groups:
        target = ids.groups.get(str(group))
        if target is None:
            notes.append(
                f"Group {group_ref(ids, str(group))} in {where} not restored: no such group in the target."
            )
        else:
            mapped.append(target)
    return mapped


def group_ref(ids: IdMap, group_id: str) -> str:
    name = ids.group_names.get(group_id)
    return f"'{name}'" if name else f"with ID {group_id}"


def group_label(ids: IdMap, group_id: str) -> str:
    """A group's source display name, else its ID."""
    return ids.group_names.get(group_id) or group_id


def quoted(label: str) -> str:
    return f"'{label}'"


def named(ids: IdMap, source_id: str) -> str:
    name = ids.names.get(source_id)
    return f"'{name}'" if name else f"with ID {source_id}"


def label(ids: IdMap, source_id: str) -> str:
    """A reference's source display name, else its ID."""
    return ids.names.get(source_id) or source_id
