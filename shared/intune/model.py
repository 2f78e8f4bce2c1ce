"""The shape of one catalog entry: how an Intune object type is read, normalised, written and ordered.

Entries are data (see `catalog.py`); capture and restore read them generically. Paths are relative
to the Graph version (`/deviceManagement/...`); `{id}` stands for the object's ID.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from types import MappingProxyType

COMMON_VOLATILE = frozenset(
    {
        "@odata.context",
        "id",
        "createdDateTime",
        "lastModifiedDateTime",
        "modifiedDateTime",
        "version",
        "supportsScopeTags",
        "isAssigned",
    }
)
"""Server-managed on every type: they change without the policy changing, and Graph rejects them on create."""


class Strategy(Enum):
    """How an object is read beyond the generic GET (+ `$expand`); `reads.py` follows it."""

    GENERIC = "generic"
    GROUP_POLICY = "group_policy"
    """definitionValues, then one presentationValues read per value."""
    MIXED_LIST = "mixed_list"
    """A mixed-type list (app protection): each item is read from the typed collection of its @odata.type."""
    SINGLETON = "singleton"
    """One object per tenant at the collection path itself (no `/{id}`)."""
    NESTED = "nested"
    """Objects contained in each object of a parent collection (`parent`): listed parent by parent,
    recorded under the ID `{parent ID}_{own ID}` (`nested_id`)."""


class WriteStrategy(Enum):
    """How the restore engine writes an object beyond the generic POST to the collection and PATCH of
    `/{id}` (assignments are always written last, from `assign`); each has one writer in
    `shared/restore/write.py`."""

    GENERIC = "generic"
    KEEP_TARGET_SECRETS = "keep_target_secrets"
    """An update sends back the target's own value of each secret OMA setting the backup lacks."""
    PUT_WHOLE = "put_whole"
    """An update is one PUT of the whole object, settings included (settings catalog)."""
    SET_PRIORITY = "set_priority"
    """An update sends `priority` through `/setPriority`, not in the PATCH."""
    COMPLIANCE_ACTIONS = "compliance_actions"
    """Created with exactly one block action; an update writes the actions through
    `/scheduleActionsForRules`."""
    DEFINITION_VALUES = "definition_values"
    """The container first, then its ADMX values synced through `/updateDefinitionValues`."""
    LOCALIZED_MESSAGES = "localized_messages"
    """The template first, then one localized message per locale, synced."""
    FROM_TEMPLATE = "from_template"
    """Created through its template's `/createInstance`; an update sends settings to `/updateSettings`."""
    TARGET_APPS = "target_apps"
    """Each write is followed by `/targetApps` with the policy's apps (app protection)."""
    SETTINGS_COMPLIANCE = "settings_compliance"
    """Settings catalog compliance: created with its settings and exactly one block action; an update
    is one PUT of the whole policy, then its actions through `/setScheduledActions`."""
    PARENT_PROPERTY = "parent_property"
    """A singleton that is a property of its parent (`/deviceManagement/settings`): never created;
    an update PATCHes the parent with `{property: body}`."""
    ASSIGN_ONLY = "assign_only"
    """Only the assignments of an object that must already exist in the target are written (the
    assignments of an app, whose binary is never restored)."""
    IN_PARENT = "in_parent"
    """A nested object: created in the target's parent of the same natural key (`ParentCollection.key`),
    updated at its own path under that parent."""
    CHOSEN_ID = "chosen_id"
    """The client picks the ID on create (authentication contexts `c1`..`c99`): the source's ID when
    the target has it free, else the first free one."""
    ALLOWED_COMBINATIONS = "allowed_combinations"
    """An update PATCHes the name and description, then sends the method combinations to
    `/updateAllowedCombinations` (authentication strengths)."""
    ROLE_BINDING = "role_binding"
    """The role definition is bound with `roleDefinition@odata.bind` (Intune role assignments)."""


@dataclass(frozen=True)
class SubCollection:
    """A list inside the payload made deterministic: read-only fields stripped, items sorted.

    `sort_by` names dotted paths; ties are broken by the item's canonical JSON, so the order never
    depends on the order Graph answered in. `keep_only` projects expanded reference objects
    (e.g. an ADMX definition) down to the fields that identify them.
    """

    name: str
    sort_by: tuple[str, ...] = ()
    strip: frozenset[str] = frozenset({"id"})
    children: tuple[SubCollection, ...] = ()
    keep_only: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: MappingProxyType({}))


@dataclass(frozen=True)
class PathRead:
    """A sub-resource read from its own path `/{id}/{name}` (all pages) rather than through `$expand`."""

    name: str
    params: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))


@dataclass(frozen=True)
class WriteOp:
    """One Graph write of a create/update/assign sequence, for the restore engine.

    `body_key` names the list key of an action body (`{"assignments": [...]}`); `per_target` means
    one request per assignment target with `{"target": ...}`.
    """

    method: str
    path: str
    body_key: str | None = None
    per_target: bool = False
    note: str | None = None


@dataclass(frozen=True)
class ParentCollection:
    """Where a nested type's objects live: `{collection}/{parent ID}/{navigation}`; `key` is the
    parent's natural key, which finds the parent in another tenant."""

    collection: str
    navigation: str
    key: str = "displayName"


@dataclass(frozen=True)
class SkipRule:
    """Objects of the type that are never backed up or restored (service defaults, built-ins)."""

    reason: str
    id_suffixes: tuple[str, ...] = ()
    property_equals: Mapping[str, object] = field(default_factory=lambda: MappingProxyType({}))

    def applies_to(self, obj: Mapping[str, object]) -> bool:
        object_id = str(obj.get("id", ""))
        if any(object_id.endswith(suffix) for suffix in self.id_suffixes):
            return True
        return any(obj.get(name) == value for name, value in self.property_equals.items())


@dataclass(frozen=True)
class ObjectType:
    """One Intune object type: the single source every capture, backup and restore step reads."""

    name: str
    """The API's type key (route segment), e.g. `deviceConfigurations`."""
    collection: str
    version: str = "beta"
    list_params: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    expand: tuple[str, ...] = ()
    """`$expand` items valid on GET of one object (and on the list unless `list_expand` says otherwise)."""
    list_expand: tuple[str, ...] | None = None
    """`$expand` valid on the list; None: the same as `expand`."""
    list_omits: tuple[str, ...] = ()
    """Properties the list leaves out (script content): each object is then read on its own."""
    path_reads: tuple[PathRead, ...] = ()
    expanded_pages: tuple[str, ...] = ()
    """Expanded navigations Graph may page (`settings@odata.nextLink`): the rest is followed."""
    sub_collections: tuple[SubCollection, ...] = ()
    strategy: Strategy = Strategy.GENERIC
    volatile: frozenset[str] = COMMON_VOLATILE
    secret_properties: tuple[str, ...] = ()
    """Top-level properties holding credentials (tokens, certificates): never stored."""
    read_only: frozenset[str] = frozenset()
    """Properties kept in a backup (they describe the object) that Graph sets itself: never written."""
    display_name: str = "displayName"
    create: tuple[WriteOp, ...] = ()
    """The requests a create makes, in order (docs/graph-intune.md#object-types; `write_strategy`
    makes them)."""
    update: tuple[WriteOp, ...] = ()
    """The requests an update makes, in order."""
    write_strategy: WriteStrategy = WriteStrategy.GENERIC
    """Which writer of the restore engine creates and updates objects of this type."""
    assign: WriteOp | None = None
    restore_order: int = 100
    depends_on: tuple[str, ...] = ()
    """Types whose IDs this type's objects refer to and that a restore must write (and remap) first."""
    skip: SkipRule | None = None
    not_restorable_reason: str | None = None
    typed_collections: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    """For a mixed list: `@odata.type` -> typed collection path that creates, updates and assigns it."""
    typed_expand: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: MappingProxyType({}))
    parent: ParentCollection | None = None
    """For `Strategy.NESTED`: the collection whose objects contain this type's objects."""
    captured_fields: tuple[str, ...] = ()
    """When set, only these top-level properties are kept (the assignments of an app, not the app)."""
    projections: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: MappingProxyType({}))
    """Dotted path of an expanded reference object -> the fields that identify it (the rest of it
    changes with the referenced object, not with this one)."""
    match_also: tuple[str, ...] = ()
    """Properties that must be equal, besides the natural key, for a target object to match (an
    app's publisher)."""
    target_must_exist: str | None = None
    """Set for a restorable type that is never created (`create` is empty): why, and what to do,
    when the target lacks the object."""

    @property
    def restorable(self) -> bool:
        return self.not_restorable_reason is None

    @property
    def list_is_complete(self) -> bool:
        """True when one list call (with its `$expand`) already holds everything a capture needs."""
        return (
            self.strategy in (Strategy.GENERIC, Strategy.SINGLETON, Strategy.NESTED)
            and not self.list_omits
            and not self.path_reads
            and not self.expanded_pages
            and (self.list_expand is None or set(self.list_expand) >= set(self.expand))
        )

    def item_path(self, object_id: str) -> str:
        if self.strategy is Strategy.SINGLETON:
            return self.collection
        if self.parent is not None:
            parent_id, own_id = split_nested_id(object_id)
            return f"{self.parent.collection}/{parent_id}/{self.parent.navigation}/{own_id}"
        return f"{self.collection}/{object_id}"


NESTED_SEPARATOR = "_"
"""Between the parent's and the object's own ID in a nested object's ID (parent IDs are GUIDs)."""


def nested_id(parent_id: str, own_id: str) -> str:
    return f"{parent_id}{NESTED_SEPARATOR}{own_id}"


def split_nested_id(object_id: str) -> tuple[str, str]:
    """(parent ID, own ID) of a nested object's ID; a ValueError names the expected form."""
    parent_id, separator, own_id = object_id.partition(NESTED_SEPARATOR)
    if not separator or not parent_id or not own_id:
        raise ValueError(f"'{object_id}' is not a nested object ID of the form '{{parent ID}}_{{own ID}}'.")
    return parent_id, own_id
