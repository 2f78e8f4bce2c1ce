"""Generic list / get / create / update / delete over any catalog row, with family hooks."""

from __future__ import annotations

from typing import Any

from local.graphsim.contract import GraphResponse

from .catalog import BY_COLLECTION, BY_ENTITY
from .context import Ctx, Family
from .errors import intune_not_found
from .query import next_link, page
from .render import check_expand, filter_and_order, render_entity
from .spec import TypeSpec
from .store import Packed, new_id, utc_now
from .validation import require_object, resolve_odata_type, validate_create, validate_update


def table_items(ctx: Ctx, spec: TypeSpec) -> list[dict[str, Any]]:
    if spec.mixed_of:
        return [obj for name in spec.mixed_of for obj in ctx.tenant.table(name).values()]
    return list(ctx.store_for(spec).table(spec.collection).values())


def find(ctx: Ctx, spec: TypeSpec, object_id: str) -> dict[str, Any]:
    for collection in spec.mixed_of or (spec.collection,):
        found = ctx.store_for(spec).get(collection, object_id)
        if found is not None:
            return found
    raise intune_not_found(spec.entity, object_id)


def owner_of(ctx: Ctx, spec: TypeSpec, obj: dict[str, Any]) -> TypeSpec:
    """The typed collection that holds `obj` (itself, unless `spec` is a mixed list)."""
    for collection in spec.mixed_of:
        if ctx.tenant.get(collection, obj["id"]) is obj:
            return BY_COLLECTION[collection]
    return spec


def spec_of(spec: TypeSpec, obj: dict[str, Any]) -> TypeSpec:
    """Mixed lists render each item as its typed collection does (navs, omitted fields)."""
    if not spec.mixed_of:
        return spec
    return BY_ENTITY.get(str(obj.get("@odata.type", "")).lstrip("#"), spec)


def entity_context(ctx: Ctx, spec: TypeSpec, obj: dict[str, Any]) -> str:
    return ctx.context(f"{spec.collection}('{obj.get('id')}')")


def list_collection(ctx: Ctx, spec: TypeSpec, cast: str | None = None) -> GraphResponse:
    check_expand(spec, ctx.query)
    items = table_items(ctx, spec)
    if cast is not None:
        items = [obj for obj in items if str(obj.get("@odata.type", "")).lstrip("#") == cast]
    items = filter_and_order(items, ctx.query)
    chunk, next_offset = page(items, ctx.query, spec.page_size)
    body: dict[str, Any] = {"@odata.context": ctx.context(spec.collection)}
    if ctx.query.count:
        body["@odata.count"] = len(items)
    if next_offset is not None:
        body["@odata.nextLink"] = next_link(ctx.collection_url(spec.collection), ctx.query, next_offset)
    body["value"] = [
        render_entity(
            spec_of(spec, obj), obj, ctx.query, in_list=True, context=entity_context(ctx, spec, obj)
        )
        for obj in chunk
    ]
    return GraphResponse(200, body)


def get_object(ctx: Ctx, spec: TypeSpec, obj: dict[str, Any]) -> GraphResponse:
    body = {
        "@odata.context": ctx.context(f"{spec.collection}/$entity"),
        **render_entity(spec_of(spec, obj), obj, ctx.query, context=entity_context(ctx, spec, obj)),
    }
    return GraphResponse(200, body)


def create(ctx: Ctx, spec: TypeSpec, family: Family, body: Any) -> GraphResponse:
    body = require_object(body)
    odata_type = resolve_odata_type(spec, body, creating=True)
    validate_create(spec, body)
    obj = new_object(spec, body, odata_type)
    family.on_create(ctx, spec, obj)
    obj["id"] = family.new_id(ctx, spec, obj) or new_id()
    store(ctx, spec, obj)
    return GraphResponse(
        201,
        {
            "@odata.context": ctx.context(f"{spec.collection}/$entity"),
            **render_entity(spec, obj, ctx.query, context=entity_context(ctx, spec, obj)),
        },
    )


def new_object(spec: TypeSpec, body: dict[str, Any], odata_type: str | None) -> dict[str, Any]:
    obj: dict[str, Any] = {"@odata.type": odata_type} if odata_type else {}
    obj["id"] = ""
    obj.update((key, value) for key, value in body.items() if not key.startswith("@odata."))
    if spec.scope_tags and spec.scope_tags not in obj:
        obj[spec.scope_tags] = ["0"]
    now = utc_now()
    for stamp in spec.timestamps:
        obj[stamp] = now
    if spec.version == "int":
        obj["version"] = 1
    elif spec.version == "str":
        obj["version"] = "1"
    return obj


def store(ctx: Ctx, spec: TypeSpec, obj: dict[str, Any]) -> None:
    settings = obj.get("settings")
    if spec.name == "configurationPolicies" and isinstance(settings, list):
        obj["settings"] = Packed(settings)
    ctx.tenant.table(spec.collection)[obj["id"]] = obj


def update(
    ctx: Ctx, spec: TypeSpec, family: Family, obj: dict[str, Any], body: Any, *, replace: bool
) -> GraphResponse:
    changes = require_object(body)
    resolve_odata_type(spec, changes, creating=False)
    validate_update(spec, obj, changes)
    family.on_update(ctx, spec, obj, changes)
    apply_changes(spec, obj, changes, replace=replace)
    store(ctx, spec, obj)
    return GraphResponse(204)


def apply_changes(spec: TypeSpec, obj: dict[str, Any], changes: dict[str, Any], *, replace: bool) -> None:
    """PATCH merges top-level properties; PUT replaces every writable property (incl. sub-resources)."""
    kept = {key: obj[key] for key in ("@odata.type", "id", *spec.timestamps, "version") if key in obj}
    if replace:
        obj.clear()
        obj.update(kept)
        if spec.scope_tags:
            obj[spec.scope_tags] = ["0"]
    obj.update(
        (key, value) for key, value in changes.items() if not key.startswith("@odata.") and key != "id"
    )
    touch(spec, obj)


def touch(spec: TypeSpec, obj: dict[str, Any]) -> None:
    """What the service does on every change: a new modification time and the next version."""
    for stamp in spec.timestamps:
        if stamp != "createdDateTime":
            obj[stamp] = utc_now()
    if isinstance(obj.get("version"), bool):
        return
    if isinstance(obj.get("version"), int):
        obj["version"] += 1
    elif isinstance(obj.get("version"), str) and obj["version"].isdigit():
        obj["version"] = str(int(obj["version"]) + 1)


def delete(ctx: Ctx, spec: TypeSpec, family: Family, obj: dict[str, Any]) -> GraphResponse:
    family.on_delete(ctx, spec, obj)
    owner = owner_of(ctx, spec, obj)
    del ctx.tenant.table(owner.collection)[obj["id"]]
    return GraphResponse(204)
