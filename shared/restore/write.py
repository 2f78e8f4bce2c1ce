"""Write one restore item into the target tenant, following its type's write strategy from the catalog.

Each catalog entry declares a `WriteStrategy` (`ObjectType.write_strategy`); `WRITERS` holds one
writer per strategy: the generic one (`writer.py`: POST to the collection, PATCH `/{id}`, then the
assignments, exactly once) and those that change what a create or an update sends or write parts
after it (`writers.py` for Intune policies, `writers_tenant.py` for tenant objects and the
references policies name). Mixed lists (app protection) write to the typed collection of their
`@odata.type`; Autopilot and terms take one assignment per target.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from shared.graph import GraphClient
from shared.intune.catalog import object_type
from shared.intune.model import WriteStrategy
from shared.restore.lookup import natural_key
from shared.restore.payload import build_payload
from shared.restore.remap import IdMap, remap_content
from shared.restore.writer import RestoreNotPossible, Writer
from shared.restore.writers import (
    ComplianceActionsWriter,
    DefinitionValuesWriter,
    FromTemplateWriter,
    KeepTargetSecretsWriter,
    LocalizedMessagesWriter,
    PutWholeWriter,
    SetPriorityWriter,
    SettingsComplianceWriter,
    TargetAppsWriter,
)
from shared.restore.writers_tenant import (
    AllowedCombinationsWriter,
    AssignOnlyWriter,
    ChosenIdWriter,
    InParentWriter,
    ParentPropertyWriter,
    RoleBindingWriter,
)

__all__ = ["WRITERS", "RestoreNotPossible", "RestoreWouldWiden", "WriteResult", "write_item"]


class RestoreWouldWiden(RestoreNotPossible):
    """Writing the item would apply it to more users or devices than the source did, or make it do
    something else: something it excludes cannot be restored in the target (a group the target
    lacks; in another tenant, a CA policy's excluded users), or something it names is missing there
    (a named location, an authentication strength or context, a reusable setting, a role).
    Nothing is written; `exclusions` names them (a group's display name, else its ID; `user <id>`,
    `named location <name>`)."""

    def __init__(self, reason: str, exclusions: tuple[str, ...]) -> None:
        self.exclusions = exclusions
        super().__init__(reason)


@dataclass(frozen=True)
class WriteResult:
    target_id: str
    action: str
    """`created` or `updated`."""
    notes: tuple[str, ...] = ()


def write_item(
    client: GraphClient,
    policy_type: str,
    content: Mapping[str, Any],
    *,
    target_id: str | None,
    ids: IdMap,
    source_id: str | None = None,
    existing: Collection[str] | None = None,
) -> WriteResult:
    """Create (target_id None) or update target_id from restore content; assignments last.

    `source_id` lets the catalog's skip rules see the source object's ID. `existing` are the IDs of
    same-named objects the caller saw in the target before this create (its own lookup); None
    means look them up here, so a lost create is never mistaken for an object that was there.
    Raises RestoreNotPossible (RestoreWouldWiden, before any request, when a group the item
    excludes is missing in the target); GraphError subclasses propagate.
    """
    entry = object_type(policy_type)
    if entry.not_restorable_reason is not None:
        raise RestoreNotPossible(entry.not_restorable_reason)
    if entry.skip is not None and entry.skip.applies_to({**content, "id": source_id or ""}):
        raise RestoreNotPossible(entry.skip.reason)
    remapped = remap_content(policy_type, content, ids)
    if remapped.blocked:
        raise RestoreWouldWiden(" ".join(remapped.blocked), remapped.missing_exclusions)
    payload = build_payload(policy_type, remapped.content)
    writer = WRITERS[entry.write_strategy](
        client, entry, payload, natural_key(policy_type, content), remapped.content, source_id
    )
    if target_id is None and entry.target_must_exist is not None:
        raise RestoreNotPossible(entry.target_must_exist)
    if target_id is None:
        target_id, action = writer.create(existing), "created"
    else:
        writer.update(target_id)
        action = "updated"
    writer.assign(target_id)
    return WriteResult(target_id, action, (*remapped.notes, *payload.notes, *writer.notes))


WRITERS: Mapping[WriteStrategy, type[Writer]] = MappingProxyType(
    {
        WriteStrategy.GENERIC: Writer,
        WriteStrategy.KEEP_TARGET_SECRETS: KeepTargetSecretsWriter,
        WriteStrategy.PUT_WHOLE: PutWholeWriter,
        WriteStrategy.SET_PRIORITY: SetPriorityWriter,
        WriteStrategy.COMPLIANCE_ACTIONS: ComplianceActionsWriter,
        WriteStrategy.DEFINITION_VALUES: DefinitionValuesWriter,
        WriteStrategy.LOCALIZED_MESSAGES: LocalizedMessagesWriter,
        WriteStrategy.FROM_TEMPLATE: FromTemplateWriter,
        WriteStrategy.TARGET_APPS: TargetAppsWriter,
        WriteStrategy.SETTINGS_COMPLIANCE: SettingsComplianceWriter,
        WriteStrategy.PARENT_PROPERTY: ParentPropertyWriter,
        WriteStrategy.ASSIGN_ONLY: AssignOnlyWriter,
        WriteStrategy.IN_PARENT: InParentWriter,
        WriteStrategy.CHOSEN_ID: ChosenIdWriter,
        WriteStrategy.ALLOWED_COMBINATIONS: AllowedCombinationsWriter,
        WriteStrategy.ROLE_BINDING: RoleBindingWriter,
    }
)
"""The writer of each write strategy a catalog entry can declare."""
