"""Normalisation is a pure function whose output is hashed: the same input must give the same bytes
in every release, or every policy would look changed once after a deploy. These properties hold the
fast paths of `shared.intune.normalize` to the plain definitions they replace."""

from __future__ import annotations

import random
import re
from collections.abc import Mapping
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from shared.intune.model import SubCollection
from shared.intune.normalize import NEVER_STORED, _clean, _label, _normalize_list, _sort_key
from shared.storage import canonical_json

SPEC = SubCollection(
    "assignments",
    sort_by=("name", "target.groupId"),
    children=(SubCollection("settings", sort_by=("definitionId",)),),
)

_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-5, 5), st.sampled_from(["", "a", "b", "***", "****", "x***", "é"])
)
_keys = st.sampled_from(
    [
        "id",
        "name",
        "value",
        "isEncrypted",
        "definitionId",
        "@odata.type",
        "@odata.etag",
        "secretReferenceValueId",
    ]
)
json_values = st.recursive(
    _scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(_keys, children, max_size=5),
    max_leaves=25,
)
items = st.lists(
    st.fixed_dictionaries(
        {"name": st.sampled_from(["a", "b", "c"]), "id": st.text(max_size=3)},
        optional={
            "target": st.fixed_dictionaries({"groupId": st.sampled_from(["g1", "g2"])}),
            "value": json_values,
            "settings": st.lists(
                st.fixed_dictionaries({"definitionId": st.sampled_from(["d1", "d2"]), "v": _scalars}),
                max_size=4,
            ),
        },
    ),
    max_size=8,
)

_MASK = re.compile(r"^\*{3,}$")


def clean_by_definition(value: Any, path: str, secrets: list[str]) -> Any:
    """`_clean` as first written: every value visited, every path built."""
    if isinstance(value, list):
        return [
            clean_by_definition(item, f"{path}[{_label(item, index)}]", secrets)
            for index, item in enumerate(value)
        ]
    if not isinstance(value, Mapping):
        return value
    encrypted = value.get("isEncrypted") is True
    out: dict[str, Any] = {}
    for key, item in value.items():
        child = f"{path}.{key}" if path else key
        if ("@odata." in key and key != "@odata.type") or key in NEVER_STORED:
            continue
        if (encrypted and key == "value") or (isinstance(item, str) and _MASK.match(item)):
            secrets.append(child)
            continue
        out[key] = clean_by_definition(item, child, secrets)
    return out


def normalize_by_definition(spec: SubCollection, values: list[Any]) -> list[Any]:
    """Sorted by (sort key, canonical JSON), children first, `strip` dropped."""
    normalized = []
    for item in values:
        out = {key: value for key, value in item.items() if key not in spec.strip}
        for child in spec.children:
            if isinstance(out.get(child.name), list):
                out[child.name] = normalize_by_definition(child, out[child.name])
        normalized.append(out)
    return sorted(normalized, key=lambda item: (_sort_key(spec, item), canonical_json(item)))


@settings(max_examples=300, deadline=None)
@given(json_values)
def test_clean_drops_and_reports_what_its_definition_does(value: Any) -> None:
    found: list[str] = []
    expected: list[str] = []
    assert canonical_json(_clean(value, "", found)) == canonical_json(
        clean_by_definition(value, "", expected)
    )
    assert found == expected


@settings(max_examples=300, deadline=None)
@given(items, st.randoms(use_true_random=False))
def test_sub_collections_sort_as_defined_whatever_order_graph_answers(
    values: list[dict[str, Any]], shuffle: random.Random
) -> None:
    expected = canonical_json(normalize_by_definition(SPEC, values))
    assert canonical_json(_normalize_list(SPEC, values)) == expected
    shuffled = list(values)
    shuffle.shuffle(shuffled)
    assert canonical_json(_normalize_list(SPEC, shuffled)) == expected
