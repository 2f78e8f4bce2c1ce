"""Navigation routes under `/{collection}/{id}/...`: reading contained entities at any depth,
assignments (`/assign` replacing the whole set, or one target at a time), and writable navs."""

from __future__ import annotations

import re
from typing import Any

from local.graphsim.contract import GraphResponse

from .context import Ctx, Family
from .errors import GraphFailure, intune_bad_request, intune_not_found, method_not_allowed, segment_not_found
from .query import next_link, page
from .render import VIRTUAL_NAVS, filter_and_order, render_nav_item
from .spec import Nav, TypeSpec
from .store import new_id, unpacked
from .validation import require_object

TARGET_TYPES = frozenset(
    "#microsoft.graph." + name
    for name in (
        "groupAssignmentTarget",
        "exclusionGroupAssignmentTarget",
        "allDevicesAssignmentTarget",
        "allLicensedUsersAssignmentTarget",
        "configurationManagerCollectionAssignmentTarget",
        "mobileAppAssignmentTarget",
        "cloudPcManagementGroupAssignmentTarget",
    )
)
CLOUD_PC_TARGET = "#microsoft.graph.cloudPcManagementGroupAssignmentTarget"
GROUP_TARGETS = frozenset(
    {
        "#microsoft.graph.groupAssignmentTarget",
        "#microsoft.graph.exclusionGroupAssignmentTarget",
        CLOUD_PC_TARGET,
    }
)
FILTER_TYPES = frozenset({"none", "include", "exclude"})
_GUID = re.compile(r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")


def nav_route(
    ctx: Ctx, spec: TypeSpec, family: Family, obj: dict[str, Any], rest: list[str]
) -> GraphResponse:
    method = ctx.request.method
    nav = spec.nav(rest[0])
    if nav is None:
        if rest[0] in spec.inert_navs and len(rest) == 1 and method == "GET":
            return GraphResponse(
                200,
                {"@odata.context": ctx.context(f"{spec.collection}('{obj['id']}')/{rest[0]}"), "value": []},
            )
        raise segment_not_found(rest[0])
    writable = len(rest) <= 2 and (
        nav.name in family.writable_navs or (nav.name == "assignments" and spec.assign_per_target)
    )
    parent, items, depth = obj, _items(nav, obj), 1
    path = f"{spec.collection}('{obj['id']}')/{nav.name}"
    while depth < len(rest):
        item_id = rest[depth]
        if nav.single:
            raise segment_not_found(item_id)
        parent = _find_item(nav, items, item_id)
        path += f"('{item_id}')"
        if depth + 1 == len(rest):
            return _item_route(ctx, nav, obj, parent, writable)
        child = nav.child(rest[depth + 1])
        if child is None:
            raise segment_not_found(rest[depth + 1])
        nav, items, depth = child, _items(child, parent), depth + 2
        path += f"/{nav.name}"
    if method == "POST" and writable:
        return _add_item(ctx, spec, nav, obj, path)
    if method != "GET":
        raise method_not_allowed(method)
    if nav.single:
        single = unpacked(parent.get(nav.name))
        if not isinstance(single, dict):
            raise intune_not_found(nav.entity, nav.name)
        return GraphResponse(
            200, {"@odata.context": ctx.context(f"{path}/$entity"), **render_nav_item(nav, single, ctx.query)}
        )
    return _list(ctx, nav, items, path)


def _items(nav: Nav, parent: dict[str, Any]) -> list[dict[str, Any]]:
    if nav.entity in VIRTUAL_NAVS:
        computed: list[dict[str, Any]] = VIRTUAL_NAVS[nav.entity](parent)
        return computed
    stored = unpacked(parent.get(nav.name))
    return stored if isinstance(stored, list) else []


def _find_item(nav: Nav, items: list[dict[str, Any]], item_id: str) -> dict[str, Any]:
    for item in items:
        if str(item.get("id")) == item_id:
            return item
    raise intune_not_found(nav.entity, item_id)


def _list(ctx: Ctx, nav: Nav, items: list[dict[str, Any]], path: str) -> GraphResponse:
    items = filter_and_order(items, ctx.query)
    chunk, next_offset = page(items, ctx.query, nav.page_size)
    body: dict[str, Any] = {"@odata.context": ctx.context(path)}
    if ctx.query.count:
        body["@odata.count"] = len(items)
    if next_offset is not None:
        body["@odata.nextLink"] = next_link(
            ctx.collection_url(ctx.request.path.lstrip("/")), ctx.query, next_offset
        )
    body["value"] = [render_nav_item(nav, item, ctx.query) for item in chunk]
    return GraphResponse(200, body)


def _item_route(
    ctx: Ctx, nav: Nav, obj: dict[str, Any], item: dict[str, Any], writable: bool
) -> GraphResponse:
    method = ctx.request.method
    if method == "GET":
        return GraphResponse(
            200,
            {"@odata.context": ctx.context(f"{nav.entity}/$entity"), **render_nav_item(nav, item, ctx.query)},
        )
    if not writable:
        raise method_not_allowed(method)
    if method == "DELETE":
        obj[nav.name] = [other for other in obj.get(nav.name, []) if other is not item]
        return GraphResponse(204)
    if method == "PATCH":
        changes = require_object(ctx.request.body)
        item.update(
            (key, value) for key, value in changes.items() if key != "id" and not key.startswith("@odata.")
        )
        return GraphResponse(204)
    raise method_not_allowed(method)


def _add_item(ctx: Ctx, spec: TypeSpec, nav: Nav, obj: dict[str, Any], path: str) -> GraphResponse:
    body = require_object(ctx.request.body)
    if nav.name == "assignments":
        item = normalize_assignment(obj, body, len(obj.get("assignments") or []))
    else:
        item = {"id": new_id(), **{key: value for key, value in body.items() if key != "id"}}
    obj.setdefault(nav.name, []).append(item)
    return GraphResponse(201, {"@odata.context": ctx.context(f"{path}/$entity"), **item})


def assign(ctx: Ctx, spec: TypeSpec, obj: dict[str, Any], rest: list[str]) -> GraphResponse:
    """`POST /{id}/assign`: the body's list under the type's key replaces all assignments."""
    if ctx.request.method != "POST":
        raise method_not_allowed(ctx.request.method)
    if spec.assign_key is None:
        raise segment_not_found("assign")
    body = require_object(ctx.request.body)
    given = body.get(spec.assign_key)
    if not isinstance(given, list):
        raise intune_bad_request(f"The request body must contain '{spec.assign_key}', a list of assignments.")
    obj["assignments"] = [normalize_assignment(obj, item, index) for index, item in enumerate(given)]
    return GraphResponse(
        200,
        {
            "@odata.context": ctx.context(f"{spec.collection}('{obj['id']}')/assignments"),
            "value": [dict(item) for item in obj["assignments"]],
        },
    )


def normalize_assignment(obj: dict[str, Any], item: Any, index: int) -> dict[str, Any]:
    if not isinstance(item, dict) or not isinstance(item.get("target"), dict):
        raise intune_bad_request("Each assignment must be an object with a 'target'.")
    target = item["target"]
    validate_target(target)
    key = target.get("groupId") or target["@odata.type"].rsplit(".", 1)[-1]
    return {
        "id": f"{obj['id']}_{key}" if key else f"{obj['id']}_{index}",
        **{name: value for name, value in item.items() if name != "id"},
    }


def validate_target(target: dict[str, Any]) -> None:
    kind = target.get("@odata.type")
    if kind not in TARGET_TYPES:
        raise GraphFailure(
            400,
            "ModelValidationFailure",
            f"A type named '{str(kind).lstrip('#')}' could not be resolved by the model. "
            "When a model is available, each type name must resolve to a valid type.",
            intune=True,
        )
    if kind in GROUP_TARGETS:
        group = target.get("groupId")
        if not isinstance(group, str) or not _GUID.match(group):
            raise intune_bad_request(f"Assignment target groupId '{group}' is not a valid group id.")
    filter_type = target.get("deviceAndAppManagementAssignmentFilterType")
    if filter_type is not None and filter_type not in FILTER_TYPES:
        raise intune_bad_request(f"Unknown deviceAndAppManagementAssignmentFilterType '{filter_type}'.")
    if filter_type in ("include", "exclude") and not target.get("deviceAndAppManagementAssignmentFilterId"):
        raise intune_bad_request("An assignment filter type of include or exclude needs a filter id.")
