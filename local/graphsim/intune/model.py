"""`GraphModel`: the object model's single entry point for Graph requests and admin calls."""

from __future__ import annotations

import copy
import re
from typing import Any

from local.graphsim.contract import GraphRequest, GraphResponse

from . import crud, navs
from .catalog import BY_COLLECTION, TYPES
from .context import Ctx
from .errors import AdminInputError, GraphFailure, method_not_allowed, segment_not_found
from .families import family_for
from .permissions import authorize
from .query import parse_query
from .seed import populate_tenant
from .seed.builtin import populate_shared
from .seed.defaults import populate_defaults
from .spec import TypeSpec
from .store import Packed, TenantStore, new_id, unpacked

_KEY_SEGMENT = re.compile(r"^([^(]+)\('?([^')]*)'?\)$")
_FUNCTION_SEGMENT = re.compile(r"^\w+\(.*\)$")
_READ_METHODS = frozenset({"GET", "HEAD"})


class GraphModel:
    """Every tenant's Intune objects, the shared built-in catalogs, and the Graph semantics over them."""

    def __init__(self) -> None:
        self._tenants: dict[str, TenantStore] = {}
        self._shared = TenantStore("shared")
        populate_shared(self._shared)

    # Graph side

    def handle(self, request: GraphRequest) -> GraphResponse:
        try:
            return self._dispatch(request)
        except GraphFailure as failure:
            return failure.to_response(request)

    def _dispatch(self, request: GraphRequest) -> GraphResponse:
        if request.version not in ("beta", "v1.0"):
            raise segment_not_found(request.version)
        spec, rest = route(request.path)
        if request.version == "v1.0" and not spec.v1:
            raise segment_not_found(spec.name)
        authorize(request.caller, spec, write=request.method not in _READ_METHODS)
        tenant = self._tenants.get(request.caller.tenant_id) or TenantStore(request.caller.tenant_id)
        ctx = Ctx(request, parse_query(request.query, request.version), tenant, self._shared)
        cast = rest.pop(0) if rest and rest[0].startswith("microsoft.graph.") else None
        rest = [segment for segment in rest if not segment.startswith("microsoft.graph.")]
        if spec.singleton:
            return self._singleton(ctx, spec, rest)
        if not rest:
            return self._collection(ctx, spec, cast)
        obj = crud.find(ctx, spec, rest[0])
        if len(rest) == 1:
            return self._entity(ctx, spec, obj)
        return self._sub_resource(ctx, spec, obj, rest[1:])

    def _singleton(self, ctx: Ctx, spec: TypeSpec, rest: list[str]) -> GraphResponse:
        if rest:
            raise segment_not_found(rest[0])
        family = family_for(spec.collection)
        if ctx.request.method == "PATCH":
            return family.patch_singleton(ctx, spec)
        if ctx.request.method != "GET":
            raise method_not_allowed(ctx.request.method)
        obj = family.read_singleton(ctx, spec)
        if obj is None:
            raise GraphFailure(
                404, "ResourceNotFound", f"{spec.name} is not configured in this tenant.", intune=True
            )
        return GraphResponse(
            200,
            {
                "@odata.context": ctx.context(f"{spec.collection}/$entity"),
                **crud.render_entity(spec, obj, ctx.query),
            },
        )

    def _collection(self, ctx: Ctx, spec: TypeSpec, cast: str | None) -> GraphResponse:
        method = ctx.request.method
        if method == "GET":
            return crud.list_collection(ctx, spec, cast)
        if method == "POST" and spec.writable:
            return crud.create(ctx, spec, family_for(spec.collection), ctx.request.body)
        raise method_not_allowed(method)

    def _entity(self, ctx: Ctx, spec: TypeSpec, obj: dict[str, Any]) -> GraphResponse:
        method, family = ctx.request.method, family_for(spec.collection)
        if method == "GET":
            return crud.get_object(ctx, spec, obj)
        if not spec.writable:
            raise method_not_allowed(method)
        if method == "PATCH":
            return crud.update(ctx, spec, family, obj, ctx.request.body, replace=False)
        if method == "PUT" and spec.put_replaces:
            return crud.update(ctx, spec, family, obj, ctx.request.body, replace=True)
        if method == "DELETE":
            return crud.delete(ctx, spec, family, obj)
        raise method_not_allowed(method)

    def _sub_resource(self, ctx: Ctx, spec: TypeSpec, obj: dict[str, Any], rest: list[str]) -> GraphResponse:
        family = family_for(crud.owner_of(ctx, spec, obj).collection)
        segment = rest[0]
        action = family.actions().get(segment.split("(", 1)[0])
        if action is not None:
            return action(ctx, spec, obj, rest)
        if segment == "assign":
            if not spec.writable and spec.assign_key is None:
                raise method_not_allowed(ctx.request.method)
            return navs.assign(ctx, spec, obj, rest)
        if _FUNCTION_SEGMENT.match(segment):
            raise segment_not_found(segment)
        return navs.nav_route(ctx, spec, family, obj, rest)

    # Admin side

    def ensure_tenant(self, tenant_id: str) -> None:
        if not tenant_id:
            raise AdminInputError("tenant_id must be a non-empty string")
        self._tenants.setdefault(tenant_id, TenantStore(tenant_id))

    def populate_defaults(self, tenant_id: str) -> None:
        self.ensure_tenant(tenant_id)
        populate_defaults(self._tenants[tenant_id])

    def populate_tenant(self, tenant_id: str, objects: int, seed: int) -> None:
        if not isinstance(objects, int) or objects < 0:
            raise AdminInputError("objects must be a non-negative integer")
        self.populate_defaults(tenant_id)
        populate_tenant(self._tenants[tenant_id], self._shared, objects, seed)

    def put_raw(self, tenant_id: str, collection: str, obj: dict[str, Any]) -> dict[str, Any]:
        """Insert `obj` exactly as given, sub-resources embedded as Graph `$expand`s them."""
        tenant = self._tenant(tenant_id)
        if not isinstance(obj, dict):
            raise AdminInputError("obj must be a JSON object")
        spec = self._admin_spec(collection, obj)
        if spec.polymorphic and spec.odata_type_required:
            named = str(obj.get("@odata.type", "")).lstrip("#")
            if named not in spec.subtypes:
                raise AdminInputError(
                    f"{collection} objects need an '@odata.type' among: {', '.join(spec.subtypes)}"
                )
        stored = copy.deepcopy(obj)
        stored.setdefault("id", new_id())
        if not isinstance(stored["id"], str) or not stored["id"]:
            raise AdminInputError("id must be a non-empty string")
        if spec.name == "configurationPolicies" and isinstance(stored.get("settings"), list):
            stored["settings"] = Packed(stored["settings"])
        if spec.singleton:
            tenant.table(spec.collection).clear()
        tenant.table(spec.collection)[stored["id"]] = stored
        return dump_object(stored)

    def patch_raw(
        self, tenant_id: str, collection: str, object_id: str, changes: dict[str, Any]
    ) -> dict[str, Any]:
        """Drift: merge `changes` as a portal edit would, with a new modification time and version."""
        tenant = self._tenant(tenant_id)
        if not isinstance(changes, dict):
            raise AdminInputError("changes must be a JSON object")
        spec, stored = self._admin_find(tenant, collection, object_id)
        update = copy.deepcopy(changes)
        if spec.name == "configurationPolicies" and isinstance(update.get("settings"), list):
            update["settings"] = Packed(update["settings"])
        stored.update((key, value) for key, value in update.items() if key != "id")
        crud.touch(spec, stored)
        return dump_object(stored)

    def delete_raw(self, tenant_id: str, collection: str, object_id: str) -> None:
        tenant = self._tenant(tenant_id)
        spec, _ = self._admin_find(tenant, collection, object_id)
        del tenant.table(spec.collection)[object_id]

    def dump_tenant(self, tenant_id: str) -> dict[str, list[dict[str, Any]]]:
        tenant = self._tenant(tenant_id)
        return {
            spec.collection: [dump_object(obj) for obj in tenant.table(spec.collection).values()]
            for spec in TYPES
            if not spec.builtin and not spec.mixed_of and spec.stored
        }

    def collections(self) -> list[str]:
        return [spec.collection for spec in TYPES if not spec.builtin and spec.stored]

    def reset(self) -> None:
        self._tenants.clear()

    def _tenant(self, tenant_id: str) -> TenantStore:
        tenant = self._tenants.get(tenant_id)
        if tenant is None:
            raise AdminInputError(f"unknown tenant '{tenant_id}': create it first")
        return tenant

    def _admin_spec(self, collection: str, obj: dict[str, Any]) -> TypeSpec:
        spec = BY_COLLECTION.get(collection.strip("/"))
        if spec is None or spec.builtin or not spec.stored:
            raise AdminInputError(
                f"unknown collection '{collection}'; known: {', '.join(self.collections())}"
            )
        if spec.mixed_of:
            named = str(obj.get("@odata.type", "")).lstrip("#")
            typed = next((BY_COLLECTION[c] for c in spec.mixed_of if BY_COLLECTION[c].entity == named), None)
            if typed is None:
                raise AdminInputError(f"{collection} objects need an '@odata.type' of an app protection type")
            return typed
        return spec

    def _admin_find(
        self, tenant: TenantStore, collection: str, object_id: str
    ) -> tuple[TypeSpec, dict[str, Any]]:
        spec = BY_COLLECTION.get(collection.strip("/"))
        if spec is None or spec.builtin:
            raise AdminInputError(
                f"unknown collection '{collection}'; known: {', '.join(self.collections())}"
            )
        for name in spec.mixed_of or (spec.collection,):
            found = tenant.get(name, object_id)
            if found is not None:
                return BY_COLLECTION[name], found
        raise AdminInputError(f"no object '{object_id}' in {collection}")


def dump_object(obj: dict[str, Any]) -> dict[str, Any]:
    return {key: copy.deepcopy(unpacked(value)) for key, value in obj.items()}


def route(path: str) -> tuple[TypeSpec, list[str]]:
    """Split a Graph path into its catalog row and the segments after the collection."""
    segments: list[str] = []
    for segment in path.split("/"):
        if not segment:
            continue
        match = _KEY_SEGMENT.match(segment)
        if match and not segment.startswith("getOmaSettingPlainTextValue"):
            segments.extend(match.groups())
        else:
            segments.append(segment)
    for length in range(len(segments), 0, -1):
        spec = BY_COLLECTION.get("/".join(segments[:length]))
        if spec is not None:
            return spec, segments[length:]
    known_prefixes = {part for spec in TYPES for part in _prefixes(spec.collection)}
    depth = 0
    while depth < len(segments) and "/".join(segments[: depth + 1]) in known_prefixes:
        depth += 1
    raise segment_not_found(segments[depth] if depth < len(segments) else path.strip("/") or "/")


def _prefixes(collection: str) -> list[str]:
    parts = collection.split("/")
    return ["/".join(parts[:n]) for n in range(1, len(parts))]
