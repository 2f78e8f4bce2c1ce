"""From a backup's normalized content to the body Graph accepts on a write, and the parts that are
written by their own requests (assignments, compliance actions, ADMX values, localized messages).

Graph rejects server-managed fields on create (`id`, `version`, `supportsScopeTags`...), and a
secret must never travel back: values the backup could not capture are left out (a list item that
held one is left out whole, so no setting is written without its value), and a masked `****` or a
`secretReferenceValueId` that slipped through is dropped. Each omission becomes a note for the item.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from shared.intune.catalog import object_type
from shared.intune.normalize import NEVER_STORED, SECRETS_MARKER

INTERNAL_PREFIX = "@tenantatlas."
"""TenantAtlas's own annotations in stored content; never sent to Graph."""

SEPARATE_PARTS: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "deviceCompliancePolicies": ("scheduledActionsForRule",),
        "compliancePolicies": ("scheduledActionsForRule",),
        "groupPolicyConfigurations": ("definitionValues",),
        "intents": ("settings",),
        "notificationMessageTemplates": ("localizedNotificationMessages",),
        "managedAppPolicies": ("apps",),
        "roleDefinitions": ("roleAssignments",),
    }
)
"""Per type, the sub-resources written by requests of their own rather than inside the body."""

_MASK = re.compile(r"^\*{3,}$")
_SEGMENT = re.compile(r"\[((?:[^'\]]|'[^']*')*)\]|\.?([^.\[]+)")
_LABEL = re.compile(r"^([^=]+)='(.*)'$", re.DOTALL)


@dataclass(frozen=True)
class LeftOut:
    """A list item not written because a secret in it was not captured (top-level list only)."""

    list_name: str
    item: dict[str, Any]


@dataclass(frozen=True)
class Payload:
    """What a write sends: `body` for the object itself, `parts` for the separate requests."""

    body: dict[str, Any]
    parts: dict[str, Any] = field(default_factory=dict)
    assignments: list[dict[str, Any]] | None = None
    """None when the content holds no assignments (the type has none): nothing to assign."""
    notes: tuple[str, ...] = ()
    left_out: tuple[LeftOut, ...] = ()


def build_payload(policy_type: str, content: Mapping[str, Any]) -> Payload:
    """The write payload of one item's (already remapped) content."""
    entry = object_type(policy_type)
    work = copy.deepcopy(dict(content))
    notes: list[str] = []
    left_out = _withhold_secrets(work, [str(path) for path in work.get(SECRETS_MARKER) or []], notes)
    dropped = _drop_secret_leftovers(work, "")
    notes.extend(f"{path} holds a masked secret or secret handle; it was not written." for path in dropped)
    stripped = entry.volatile | entry.read_only | set(entry.secret_properties)
    body = {
        key: value
        for key, value in work.items()
        if key not in stripped and not key.startswith(INTERNAL_PREFIX) and _kept_annotation(key)
    }
    assignments = body.pop("assignments", None)
    parts = {name: body.pop(name) for name in SEPARATE_PARTS.get(policy_type, ()) if name in body}
    scope_key = "roleScopeTags" if policy_type == "assignmentFilters" else "roleScopeTagIds"
    if policy_type == "assignmentFilters" and "roleScopeTagIds" in body:
        body.setdefault("roleScopeTags", body.pop("roleScopeTagIds"))
    if scope_key in body and not body[scope_key]:
        body[scope_key] = ["0"]
    return Payload(
        body=body,
        parts=parts,
        assignments=[clean_assignment(item) for item in assignments]
        if isinstance(assignments, list)
        else None,
        notes=tuple(notes),
        left_out=tuple(left_out),
    )


def clean_assignment(item: Mapping[str, Any]) -> dict[str, Any]:
    """An assignment as `/assign` takes it: no service IDs, no annotations but `@odata.type`."""
    return {
        key: value
        for key, value in item.items()
        if key not in ("id", "source", "sourceId") and _kept_annotation(key)
    }


def _kept_annotation(key: str) -> bool:
    return not key.startswith("@") or key == "@odata.type"


def _withhold_secrets(content: dict[str, Any], paths: list[str], notes: list[str]) -> list[LeftOut]:
    """Leave out every list item a missing secret sat in; a top-level secret is already absent."""
    left_out: list[LeftOut] = []
    for path in sorted(set(paths)):
        segments = parse_path(path)
        removed = _remove_innermost_item(content, segments)
        if removed is None:
            notes.append(f"{path} is a secret that was not captured; it was not written. Set it in Intune.")
            continue
        list_name, list_path, item = removed
        notes.append(f"{list_path} was not written: its secret ({path}) was not captured. Set it in Intune.")
        if "." not in list_name and "[" not in list_name and isinstance(item, dict):
            left_out.append(LeftOut(list_name, item))
    return left_out


def parse_path(path: str) -> list[str | tuple[str, str] | int]:
    """`omaSettings[omaUri='./x'].value` -> ["omaSettings", ("omaUri", "./x"), "value"]."""
    segments: list[str | tuple[str, str] | int] = []
    for match in _SEGMENT.finditer(path):
        label, key = match.groups()
        if key is not None:
            segments.append(key)
        elif label is not None and label.isdigit():
            segments.append(int(label))
        elif label is not None:
            named = _LABEL.match(label)
            segments.append((named.group(1), named.group(2)) if named else label)
    return segments


def _remove_innermost_item(
    content: dict[str, Any], segments: list[str | tuple[str, str] | int]
) -> tuple[str, str, Any] | None:
    """Remove the deepest list item on the path; (the list's path, the item's path, the item), or
    None when no list item is on the path."""
    node: Any = content
    found: tuple[list[Any], int, str, str] | None = None
    walked = ""
    for segment in segments:
        if isinstance(segment, str) and isinstance(node, dict):
            walked = f"{walked}.{segment}" if walked else segment
            node = node.get(segment)
            continue
        if not isinstance(node, list):
            break
        index = _index_of(node, segment)
        if index is None:
            break
        label = segment if isinstance(segment, int) else f"{segment[0]}='{segment[1]}'"
        found = (node, index, walked, f"{walked}[{label}]")
        walked = found[3]
        node = node[index]
    if found is None:
        return None
    items, index, list_path, item_path = found
    return list_path, item_path, items.pop(index)


def _index_of(items: list[Any], segment: str | tuple[str, str] | int) -> int | None:
    if isinstance(segment, int):
        return segment if segment < len(items) else None
    if isinstance(segment, tuple):
        key, value = segment
        return next(
            (i for i, item in enumerate(items) if isinstance(item, dict) and item.get(key) == value), None
        )
    return None


def _drop_secret_leftovers(value: Any, path: str) -> list[str]:
    """Remove masked strings and secret handles wherever they are (a list item holding one goes
    whole, so no setting is written without its value); the paths removed."""
    dropped: list[str] = []
    if isinstance(value, dict):
        for key in list(value):
            child = f"{path}.{key}" if path else key
            if _is_secret(key, value[key]):
                dropped.append(child)
                del value[key]
            elif key in NEVER_STORED:
                del value[key]
            else:
                dropped.extend(_drop_secret_leftovers(value[key], child))
    elif isinstance(value, list):
        for index in reversed(range(len(value))):
            item = value[index]
            if isinstance(item, dict) and any(_is_secret(key, inner) for key, inner in item.items()):
                dropped.append(f"{path}[{index}]")
                del value[index]
            else:
                dropped.extend(_drop_secret_leftovers(item, f"{path}[{index}]"))
    return dropped


def _is_secret(key: str, value: Any) -> bool:
    return (key in NEVER_STORED and value is not None) or (
        isinstance(value, str) and bool(_MASK.match(value))
    )
