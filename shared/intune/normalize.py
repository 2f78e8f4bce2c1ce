"""From what Graph answered to the payload we hash and store: deterministic, free of volatile fields
and free of secrets.

Two captures of an unchanged policy must give the same bytes, so server-managed fields are
stripped, sub-collections are sorted by a natural key, and expanded reference objects are cut down
to what identifies them. Secrets are never stored: encrypted and masked values are removed and
their paths listed, so a restore knows to ask for them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import partial
from itertools import groupby
from operator import itemgetter
from typing import Any

from shared.intune.model import ObjectType, SubCollection
from shared.storage import canonical_json

SECRETS_MARKER = "@tenantatlas.secretsNotCaptured"
"""Payload key listing the paths of values that were not captured (encrypted or masked in Graph)."""

PARENT_MARKER = "@tenantatlas.parent"
"""Payload key of a nested object: its parent's natural key, which finds the parent in another tenant."""

NEVER_STORED = frozenset({"secretReferenceValueId"})
"""Service-side handles of secrets: meaningless elsewhere and rejected when written back."""

_MASK = re.compile(r"^\*{3,}$")
_SCALARS = frozenset({str, int, float, bool, type(None)})
"""Types `_clean` returns as they are (what JSON decodes to, but objects and lists)."""
_LABEL_KEYS = ("omaUri", "settingDefinitionId", "definitionId", "displayName", "name", "id")


def normalize(entry: ObjectType, raw: Mapping[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """The storable payload of `raw` and the paths of the secrets left out of it."""
    secrets: list[str] = []
    if entry.captured_fields:
        raw = {
            key: value for key, value in raw.items() if key in entry.captured_fields or key == PARENT_MARKER
        }
    payload = {
        key: value
        for key, value in _clean(raw, "", secrets).items()
        if key not in entry.volatile and key not in entry.secret_properties
    }
    for path, keep in entry.projections.items():
        _project(payload, path.split("."), keep)
    secrets.extend(name for name in entry.secret_properties if raw.get(name) is not None)
    for spec in entry.sub_collections:
        if isinstance(payload.get(spec.name), list):
            payload[spec.name] = _normalize_list(spec, payload[spec.name])
    if secrets:
        payload[SECRETS_MARKER] = sorted(set(secrets))
    return payload, sorted(set(secrets))


def _clean(value: Any, path: str, secrets: list[str]) -> Any:
    """Drop OData annotations (but `@odata.type`), secret handles, encrypted and masked values.

    Called for every value of every captured object, so scalars are passed over without a call and
    a path is built only for a value that goes on (a list item's label only for an object or list).
    """
    if isinstance(value, list):
        return [
            item if type(item) in _SCALARS else _clean(item, f"{path}[{_label(item, index)}]", secrets)
            for index, item in enumerate(value)
        ]
    if not isinstance(value, Mapping):
        return value
    encrypted = value.get("isEncrypted") is True
    out: dict[str, Any] = {}
    for key, item in value.items():
        if ("@odata." in key and key != "@odata.type") or key in NEVER_STORED:
            continue
        if (encrypted and key == "value") or (
            isinstance(item, str) and item.startswith("***") and _MASK.match(item)
        ):
            secrets.append(f"{path}.{key}" if path else key)
            continue
        out[key] = item if type(item) in _SCALARS else _clean(item, f"{path}.{key}" if path else key, secrets)
    return out


def _project(node: Any, path: list[str], keep: tuple[str, ...]) -> None:
    """Cut the expanded reference object at `path` down to the fields in `keep`."""
    if not isinstance(node, dict) or not path:
        return
    head, rest = path[0], path[1:]
    if rest:
        _project(node.get(head), rest, keep)
    elif isinstance(node.get(head), Mapping):
        node[head] = {key: node[head][key] for key in keep if key in node[head]}


def _label(item: Any, index: int) -> str:
    """A list item's name in a secret's path: its natural key, so the path survives reordering."""
    if isinstance(item, Mapping):
        for key in _LABEL_KEYS:
            if isinstance(item.get(key), str) and item[key]:
                return f"{key}='{item[key]}'"
    return str(index)


def _normalize_list(spec: SubCollection, items: list[Any]) -> list[Any]:
    """The items normalised, in the order of their sort key, then of their canonical JSON: Graph's
    order never shows. The canonical JSON is built only for items whose sort keys are equal."""
    keyed = sorted(
        ((_sort_key(spec, item), item) for item in map(partial(_normalize_item, spec), items)),
        key=itemgetter(0),
    )
    ordered: list[Any] = []
    for _, group in groupby(keyed, key=itemgetter(0)):
        tied = [item for _, item in group]
        ordered += sorted(tied, key=canonical_json) if len(tied) > 1 else tied
    return ordered


def _normalize_item(spec: SubCollection, item: Any) -> Any:
    if not isinstance(item, Mapping):
        return item
    out = {key: value for key, value in item.items() if key not in spec.strip}
    for name, keep in spec.keep_only.items():
        if isinstance(out.get(name), Mapping):
            out[name] = {key: out[name][key] for key in keep if key in out[name]}
    for child in spec.children:
        if isinstance(out.get(child.name), list):
            out[child.name] = _normalize_list(child, out[child.name])
    return out


def _sort_key(spec: SubCollection, item: Any) -> tuple[str, ...]:
    return tuple(_text(_dotted(item, path)) for path in spec.sort_by)


def _dotted(item: Any, path: str) -> Any:
    """`target.groupId` -> item["target"]["groupId"]; a key may itself hold dots (`@odata.type`)."""
    if not isinstance(item, Mapping):
        return None
    if path in item:
        return item[path]
    head, _, rest = path.partition(".")
    return _dotted(item.get(head), rest) if rest else None


def _text(value: Any) -> str:
    return "" if value is None else str(value) if not isinstance(value, str) else value
