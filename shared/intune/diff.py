"""Field-level diff of two payloads of one Intune object: what changed between two versions, and
(for a restore preview) between a stored version and the target's live state.

Both sides are walked together. Arrays are matched by natural key (`diff_match.py`), so the
order Graph answered in and the IDs it handed out never show up as changes; nor do server-managed
fields. Secrets are never compared: a value that was not captured, or that Graph only shows
masked or encrypted, is listed as not comparable rather than reported as changed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from shared.intune.catalog import object_type
from shared.intune.diff_match import (
    MISSING,
    ROWS_FIELD,
    SET_FIELDS,
    item_key_for,
    pair_by_key,
    pair_rows,
)
from shared.intune.normalize import NEVER_STORED, SECRETS_MARKER

Op = Literal["added", "removed", "changed"]

VOLATILE_ANYWHERE = frozenset(
    {
        "id",
        "createdDateTime",
        "lastModifiedDateTime",
        "modifiedDateTime",
        "version",
        "sourceId",
        "etag",
        "eTag",
    }
)
"""Server-managed at every depth (item IDs, stamps, ETags): they differ between captures of the same
configuration. Type-specific volatile properties come from the catalog and apply at the top level."""

NOT_CAPTURED = "secretNotCaptured"
_MASKED = re.compile(r"^\*{3,}$")
_NATURAL_LABEL = re.compile(r"\[(?!id=)[A-Za-z@.]+='(.*?)'\]")
"""A natural-key label in capture's secret paths (`omaSettings[omaUri='./Vendor/...']`)."""


@dataclass(frozen=True)
class FieldChange:
    """One difference. `path` names the field by natural keys (`settings[<definition id>].x.value`,
    `assignments[group:<id>]`), so the same change has the same path in every diff."""

    op: Op
    path: str
    before: Any = None
    after: Any = None

    def to_api(self) -> dict[str, Any]:
        return {"op": self.op, "path": self.path, "before": self.before, "after": self.after}


@dataclass(frozen=True)
class PolicyDiff:
    """The changes from `before` to `after`, in path order, and the secret paths neither can show."""

    policy_type: str
    changes: tuple[FieldChange, ...]
    not_comparable: tuple[str, ...] = ()

    @property
    def unchanged(self) -> bool:
        """No comparable field differs (secrets that could not be compared aside)."""
        return not self.changes

    def summary(self) -> dict[str, int]:
        counts = {"added": 0, "removed": 0, "changed": 0}
        for change in self.changes:
            counts[change.op] += 1
        return {**counts, "notComparable": len(self.not_comparable)}

    def to_api(self) -> dict[str, Any]:
        """The JSON shape of the diff route and of a restore preview item's diff."""
        return {
            "policyType": self.policy_type,
            "unchanged": self.unchanged,
            "summary": self.summary(),
            "changes": [change.to_api() for change in self.changes],
            "notComparable": [{"path": path, "reason": NOT_CAPTURED} for path in self.not_comparable],
        }


def diff_policies(policy_type: str, before: Mapping[str, Any], after: Mapping[str, Any]) -> PolicyDiff:
    """Diff two payloads of one object of `policy_type` (stored versions or live Graph objects).

    Raises `UnknownPolicyType` for a type the catalog does not know.
    """
    walk = _Walk(object_type(policy_type).volatile, _secret_paths(before) | _secret_paths(after))
    walk.compare(before, after, "", "")
    return PolicyDiff(policy_type, tuple(walk.changes), tuple(sorted(walk.not_comparable)))


def _secret_paths(payload: Mapping[str, Any]) -> frozenset[str]:
    """The paths capture left out as secrets, in our path notation where capture used a natural key."""
    listed = payload.get(SECRETS_MARKER)
    if not isinstance(listed, list):
        return frozenset()
    return frozenset(_NATURAL_LABEL.sub(r"[\1]", str(path)) for path in listed)


class _Walk:
    """One pass over both payloads, collecting changes and the secrets it met."""

    def __init__(self, top_volatile: Collection[str], secret_paths: Collection[str]) -> None:
        self.top_volatile = top_volatile
        self.secret_paths = secret_paths
        self.changes: list[FieldChange] = []
        self.not_comparable: set[str] = set(secret_paths)

    def compare(self, before: Any, after: Any, path: str, field: str) -> None:
        if isinstance(before, Mapping) and isinstance(after, Mapping):
            self._compare_objects(before, after, path)
        elif isinstance(before, list) and isinstance(after, list):
            self._compare_arrays(before, after, path, field)
        elif _plain(before) != _plain(after):
            self.changes.append(FieldChange("changed", path, _plain(before), _plain(after)))

    def _compare_objects(self, before: Mapping[str, Any], after: Mapping[str, Any], path: str) -> None:
        secrets = _secret_fields(before) | _secret_fields(after)
        for key in sorted(before.keys() | after.keys()):
            if (
                _ignored(key)
                or (not path and key in self.top_volatile)
                or _bound_elsewhere(key, before, after)
            ):
                continue
            child = f"{path}.{key}" if path else key
            if key in secrets or child in self.secret_paths:
                self.not_comparable.add(child)
                continue
            self._compare_present(before.get(key, MISSING), after.get(key, MISSING), child, key)

    def _compare_present(self, before: Any, after: Any, path: str, field: str) -> None:
        """A missing field, a null and an empty array all say "nothing here" (Graph omits or sends
        them depending on the route): between them there is no change."""
        if _absent(before):
            if not _absent(after):
                self.changes.append(FieldChange("added", path, None, _plain(after)))
        elif _absent(after):
            self.changes.append(FieldChange("removed", path, _plain(before), None))
        else:
            self.compare(before, after, path, field)

    def _compare_arrays(self, before: list[Any], after: list[Any], path: str, field: str) -> None:
        if field in SET_FIELDS and not any(isinstance(item, Mapping | list) for item in [*before, *after]):
            self._compare_sets(before, after, path)
            return
        pairs = self._pairs(before, after, field)
        if pairs is None:
            if _plain(before) != _plain(after):
                self.changes.append(FieldChange("changed", path, _plain(before), _plain(after)))
            return
        for label, item_before, item_after in pairs:
            child = f"{path}[{label}]"
            if item_before is MISSING:
                self.changes.append(FieldChange("added", child, None, _plain(_unwrap(item_after))))
            elif item_after is MISSING:
                self.changes.append(FieldChange("removed", child, _plain(_unwrap(item_before)), None))
            else:
                self.compare(_unwrap(item_before), _unwrap(item_after), child, "")

    def _pairs(self, before: list[Any], after: list[Any], field: str) -> list[tuple[str, Any, Any]] | None:
        """Matched items of two arrays, or None when the array has no key and its order is its meaning."""
        if field == ROWS_FIELD:
            return pair_rows(before, after, self._distance)
        key = item_key_for(field, before, after)
        return None if key is None else pair_by_key(before, after, key)

    def _compare_sets(self, before: Sequence[Any], after: Sequence[Any], path: str) -> None:
        labelled_before = {_scalar_label(item): item for item in before}
        labelled_after = {_scalar_label(item): item for item in after}
        for label in sorted(labelled_before.keys() - labelled_after.keys()):
            self.changes.append(FieldChange("removed", f"{path}[{label}]", labelled_before[label], None))
        for label in sorted(labelled_after.keys() - labelled_before.keys()):
            self.changes.append(FieldChange("added", f"{path}[{label}]", None, labelled_after[label]))

    def _distance(self, before: Any, after: Any) -> int:
        """How many changes tell two group collection rows apart (0: equal)."""
        walk = _Walk((), ())
        walk.compare(before, after, "", "")
        return len(walk.changes)


def _absent(value: Any) -> bool:
    return value is MISSING or value is None or value == []


def _ignored(key: str) -> bool:
    """Server-managed fields and annotations (`@odata.context`, `x@odata.bind`); `@odata.type` stays,
    because it says what an object is."""
    return (
        key in VOLATILE_ANYWHERE
        or key in NEVER_STORED
        or key == SECRETS_MARKER
        or ("@odata." in key and key != "@odata.type")
    )


def _bound_elsewhere(key: str, before: Mapping[str, Any], after: Mapping[str, Any]) -> bool:
    """An expanded reference (`definition`) met by a bind (`definition@odata.bind`) on the other side:
    the item was matched by that very reference, so there is nothing left to compare."""
    bind = f"{key}@odata.bind"
    return (bind in before and key not in before) or (bind in after and key not in after)


def _secret_fields(obj: Mapping[str, Any]) -> set[str]:
    """Fields of `obj` whose value Graph hides: masked strings, encrypted OMA-URI values,
    settings catalog secret values (an encrypted token that differs on every read)."""
    hidden = {key for key, value in obj.items() if isinstance(value, str) and _MASKED.match(value)}
    encrypted_oma = obj.get("isEncrypted") is True
    secret_setting = (
        str(obj.get("@odata.type", "")).endswith("SecretSettingValue")
        and obj.get("valueState") != "notEncrypted"
    )
    if encrypted_oma or secret_setting:
        hidden.add("value")
    return hidden


def _unwrap(item: Any) -> Any:
    """A settings catalog setting is its instance: `settings[<id>].choiceSettingValue...`."""
    if isinstance(item, Mapping) and isinstance(item.get("settingInstance"), Mapping):
        return {**{k: v for k, v in item.items() if k != "settingInstance"}, **item["settingInstance"]}
    return item


def _plain(value: Any) -> Any:
    """What a change shows: the value without server-managed fields and without secrets."""
    if isinstance(value, Mapping):
        hidden = _secret_fields(value)
        return {key: _plain(item) for key, item in value.items() if not _ignored(key) and key not in hidden}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value


def _scalar_label(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)
