"""Turning stored objects into what Graph returns: navigation properties only when `$expand`ed,
`$select` projection, list-omitted fields, `@odata.context`, ordering and filtering of lists."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from .errors import invalid_query
from .query import ODataQuery
from .spec import Nav, TypeSpec
from .store import unpacked

VirtualNav = Callable[[dict[str, Any]], Any]
VIRTUAL_NAVS: dict[str, VirtualNav] = {}
"""Navigation properties computed from the item rather than stored (e.g. settings' settingDefinitions),
keyed by the nav's entity type; families register theirs at import."""

_SINGLE_INERT_SUFFIXES = ("Overview", "Summary")
_ALWAYS_SELECTED = ("@odata.type", "id")
"""Graph returns the key and a derived type's annotation whatever `$select` names."""


def render_entity(
    spec: TypeSpec, obj: dict[str, Any], query: ODataQuery, *, in_list: bool = False, context: str = ""
) -> dict[str, Any]:
    """`context` is the entity's own context URL (`...$metadata#collection('id')`): expanded
    navigation properties carry `<name>@odata.context` under it, as Graph writes them."""
    nav_names = {nav.name for nav in spec.navs}
    omitted = set(spec.list_omits) if in_list else set()
    kept = {key: value for key, value in obj.items() if key not in nav_names and key not in omitted}
    out = {key: copy.deepcopy(value) for key, value in select(kept, query.select).items()}
    for name, sub in query.expand.items():
        nav = spec.nav(name)
        if nav is not None:
            annotate(out, nav, context)
            out[name] = expand_nav(nav, obj.get(name), sub, parent=obj, context=f"{context}/{name}")
        elif name in spec.inert_navs:
            out[name] = None if name.endswith(_SINGLE_INERT_SUFFIXES) else []
        else:
            raise unknown_property(name, spec.entity)
    return out


def check_expand(spec: TypeSpec, query: ODataQuery) -> None:
    """Graph rejects an unknown `$expand` even when the list is empty, so check before rendering."""
    for name, sub in query.expand.items():
        nav = spec.nav(name)
        if nav is None and name not in spec.inert_navs:
            raise unknown_property(name, spec.entity)
        if nav is not None:
            _check_nav_expand(nav, sub)


def _check_nav_expand(nav: Nav, query: ODataQuery) -> None:
    for name, sub in query.expand.items():
        child = nav.child(name)
        if child is None:
            raise unknown_property(name, nav.entity)
        _check_nav_expand(child, sub)


def render_nav_item(nav: Nav, item: dict[str, Any], query: ODataQuery, context: str = "") -> dict[str, Any]:
    child_names = {child.name for child in nav.children}
    kept = {key: value for key, value in item.items() if key not in child_names}
    out = {key: copy.deepcopy(value) for key, value in select(kept, query.select).items()}
    for name, sub in query.expand.items():
        child = nav.child(name)
        if child is None:
            raise unknown_property(name, nav.entity)
        annotate(out, child, context)
        out[name] = expand_nav(child, item.get(name), sub, parent=item, context=f"{context}/{name}")
    return out


def annotate(out: dict[str, Any], nav: Nav, context: str) -> None:
    if context:
        out[f"{nav.name}@odata.context"] = f"{context}/{nav.name}" + ("/$entity" if nav.single else "")


def expand_nav(
    nav: Nav, stored: Any, query: ODataQuery, parent: dict[str, Any] | None = None, context: str = ""
) -> Any:
    if nav.entity in VIRTUAL_NAVS and parent is not None:
        stored = VIRTUAL_NAVS[nav.entity](parent)
    stored = unpacked(stored)
    if nav.single:
        return render_nav_item(nav, stored, query, context) if isinstance(stored, dict) else None
    items = [
        render_nav_item(nav, item, query, f"{context}('{item.get('id')}')" if context else "")
        for item in stored or []
    ]
    return filter_and_order(items, query)


def select(out: dict[str, Any], names: list[str] | None) -> dict[str, Any]:
    """The properties `$select` names; Graph matches their names without regard to case."""
    if not names or names == ["*"]:
        return out
    wanted = {name.lower() for name in names}
    return {key: value for key, value in out.items() if key.lower() in wanted or key in _ALWAYS_SELECTED}


def filter_and_order(items: list[dict[str, Any]], query: ODataQuery) -> list[dict[str, Any]]:
    if query.filter is not None:
        predicate = query.filter
        items = [item for item in items if predicate(item)]
    for name, descending in reversed(query.orderby):
        items.sort(key=lambda item: _sort_key(item.get(name)), reverse=descending)
    return items


def _sort_key(value: Any) -> tuple[int, Any]:
    if value is None:
        return (0, "")
    if isinstance(value, bool | int | float):
        return (1, value)
    return (2, str(value).lower())


def unknown_property(name: str, entity: str) -> Exception:
    return invalid_query(
        "Parsing OData Select and Expand failed: "
        f"Could not find a property named '{name}' on type '{entity}'."
    )


def context_url(base_url: str, version: str, fragment: str) -> str:
    return f"{base_url}/{version}/$metadata#{fragment}"
