"""The shape of one entry in the declarative table of Intune object types (see `catalog.py`).

Everything generic (routing, CRUD, queries, assignments, validation, permissions) reads these
fields, so adding a plain type is one table row; special semantics live in `families/`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

Schema = Mapping[str, tuple[type, bool]]
"""A light per-type schema: property -> (JSON type as a Python type, required on create)."""


@dataclass(frozen=True)
class Nav:
    """A navigation property: contained entities Graph serves at `/{id}/{name}` and under `$expand`."""

    name: str
    entity: str
    children: tuple[Nav, ...] = ()
    single: bool = False
    page_size: int = 1000

    def child(self, name: str) -> Nav | None:
        return next((nav for nav in self.children if nav.name == name), None)


@dataclass(frozen=True)
class TypeSpec:
    collection: str
    """Path under the version without leading slash, e.g. `deviceManagement/deviceConfigurations`."""
    entity: str
    """Declared (often abstract) entity type, e.g. `microsoft.graph.deviceConfiguration`."""
    area: str
    """Permission family, a key of `permissions.AREAS`."""
    subtypes: tuple[str, ...] = ()
    """Concrete types a create must name in `@odata.type` (empty: not polymorphic)."""
    odata_type_required: bool = True
    v1: bool = False
    writable: bool = True
    assign_key: str | None = None
    """Body key of `POST /{id}/assign`, which replaces the whole set of assignments."""
    assign_per_target: bool = False
    """Assignments are created one target at a time with `POST /{id}/assignments`."""
    put_replaces: bool = False
    """`PUT /{id}` replaces the whole object, sub-resources included (settings catalog)."""
    client_ids: bool = False
    """A create names the object's ID itself (authentication contexts `c1`..`c99`)."""
    navs: tuple[Nav, ...] = ()
    inert_navs: tuple[str, ...] = ()
    """Real navigation properties the simulator accepts in `$expand` and serves empty (reports, statuses)."""
    list_omits: tuple[str, ...] = ()
    page_size: int = 1000
    scope_tags: str | None = "roleScopeTagIds"
    version: str | None = None
    """`int` or `str` when the type carries a server-managed `version`."""
    timestamps: tuple[str, ...] = ("createdDateTime", "lastModifiedDateTime")
    schema: Schema = field(default_factory=dict)
    intune: bool = True
    """Errors come from Intune (wrapped message) rather than from Graph's directory services."""
    mixed_of: tuple[str, ...] = ()
    """A read-only mixed-type list over these typed collections (app protection)."""
    singleton: bool = False
    builtin: bool = False
    """A catalog shared by all tenants (ADMX definitions, intent templates): read-only."""
    stored: bool = True
    """False for an entity served from other collections' objects (`deviceManagement`, whose
    `settings` are the `deviceManagement/settings` singleton): no table of its own."""

    @property
    def name(self) -> str:
        return self.collection.rsplit("/", 1)[-1]

    @property
    def polymorphic(self) -> bool:
        return bool(self.subtypes)

    def nav(self, name: str) -> Nav | None:
        return next((nav for nav in self.navs if nav.name == name), None)

    def default_odata_type(self) -> str | None:
        return f"#{self.subtypes[0]}" if self.subtypes and not self.odata_type_required else None
