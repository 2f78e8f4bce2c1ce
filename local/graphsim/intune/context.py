"""What one Graph request's handlers share: the request, its parsed query, the tenant's store."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from local.graphsim.contract import GraphRequest, GraphResponse

from .errors import method_not_allowed
from .query import ODataQuery
from .render import context_url
from .spec import TypeSpec
from .store import TenantStore


@dataclass
class Ctx:
    request: GraphRequest
    query: ODataQuery
    tenant: TenantStore
    shared: TenantStore
    """Catalogs every tenant sees alike (ADMX definitions, intent templates)."""

    def store_for(self, spec: TypeSpec) -> TenantStore:
        return self.shared if spec.builtin else self.tenant

    def context(self, fragment: str) -> str:
        return context_url(self.request.base_url, self.request.version, fragment)

    def collection_url(self, path: str) -> str:
        return f"{self.request.base_url}/{self.request.version}/{path}"


ActionHandler = Callable[[Ctx, TypeSpec, dict[str, Any], list[str]], GraphResponse]
"""Handles `/{collection}/{id}/{segment}/...`; gets the stored object and the segments after the id."""


class Family:
    """Special semantics of one family of types; the generic CRUD calls these hooks."""

    collections: tuple[str, ...] = ()
    writable_navs: tuple[str, ...] = ()
    """Navigation collections that accept POST / PATCH / DELETE of single items at `/{id}/{nav}`."""

    def on_create(self, ctx: Ctx, spec: TypeSpec, obj: dict[str, Any]) -> None:
        """Validate and complete a new object (already past generic validation) before it is stored."""

    def on_update(self, ctx: Ctx, spec: TypeSpec, stored: dict[str, Any], changes: dict[str, Any]) -> None:
        """Validate a PATCH (or PUT) before it is applied."""

    def on_delete(self, ctx: Ctx, spec: TypeSpec, stored: dict[str, Any]) -> None:
        """Refuse deletes the service refuses."""

    def actions(self) -> dict[str, ActionHandler]:
        return {}

    def new_id(self, ctx: Ctx, spec: TypeSpec, obj: dict[str, Any]) -> str | None:
        """An id in the type's own format, or None for a GUID."""
        return None

    def read_singleton(self, ctx: Ctx, spec: TypeSpec) -> dict[str, Any] | None:
        """A singleton's object, or None when the tenant has not set it up (404)."""
        return next(iter(ctx.tenant.table(spec.collection).values()), None)

    def patch_singleton(self, ctx: Ctx, spec: TypeSpec) -> GraphResponse:
        """A PATCH of a singleton; most are read-only."""
        raise method_not_allowed(ctx.request.method)
