"""Which Graph GETs capture an object, per strategy, and how their answers make one raw object.

Kept apart from the sending so one plan serves both a single capture (a few GETs) and a chunked
backup (the GETs of many objects packed into `$batch` calls): `first_reads` and `next_reads` say
what to fetch, `assemble` puts the answers together.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any
from urllib.parse import quote

from shared.graph import GraphError
from shared.intune.model import ObjectType, Strategy, split_nested_id
from shared.intune.normalize import PARENT_MARKER

ITEM = "item"
BASE = "base"
"""A mixed-list object read through the mixed collection, to learn its @odata.type."""
PARENT = "parent"
"""A nested object's parent, read for its natural key."""
CONTINUED = "+"
"""Suffix of the key holding later pages of an expanded navigation (`settings+`)."""
PRESENTATION_VALUES = "presentationValues:"
_QUERY_SAFE = "$(),;='"


@dataclass(frozen=True)
class Read:
    """One GET: `key` says where its answer goes; a `collection` answer may continue on later pages."""

    key: str
    path: str
    params: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    collection: bool = False

    def url(self) -> str:
        """Path and query string as one relative URL (what `$batch` takes and a plain GET can use)."""
        if not self.params:
            return self.path
        query = "&".join(f"{name}={quote(value, safe=_QUERY_SAFE)}" for name, value in self.params.items())
        return f"{self.path}?{query}"


def first_reads(entry: ObjectType, object_id: str, listed: Mapping[str, Any] | None) -> list[Read]:
    """The GETs that can be sent at once; `listed` is the object as a list call gave it, if any."""
    if entry.strategy is Strategy.MIXED_LIST:
        return [] if listed is not None else [Read(BASE, entry.item_path(object_id))]
    reads = [] if listed is not None and entry.list_is_complete else [_item_read(entry, object_id)]
    if entry.parent is not None and listed is None:
        parent_id, _ = split_nested_id(object_id)
        select = MappingProxyType({"$select": f"id,{entry.parent.key}"})
        reads.append(Read(PARENT, f"{entry.parent.collection}/{parent_id}", select))
    return reads + [
        Read(sub.name, f"{entry.item_path(object_id)}/{sub.name}", sub.params, collection=True)
        for sub in entry.path_reads
    ]


def seed_answers(entry: ObjectType, listed: Mapping[str, Any] | None) -> dict[str, Any]:
    """Answers already known from the list call, so `first_reads` left their GETs out."""
    if listed is None:
        return {}
    if entry.strategy is Strategy.MIXED_LIST:
        return {BASE: dict(listed)}
    return {ITEM: dict(listed)} if entry.list_is_complete else {}


def next_reads(entry: ObjectType, object_id: str, answers: Mapping[str, Any]) -> list[Read]:
    """GETs that depend on earlier answers; an empty list means the capture is complete."""
    if entry.strategy is Strategy.MIXED_LIST and ITEM not in answers:
        odata_type = str(answers[BASE].get("@odata.type", ""))
        typed = entry.typed_collections.get(odata_type)
        if typed is None:
            raise GraphError(
                f"{entry.name} object {object_id} has @odata.type {odata_type!r}, which the catalog "
                "does not map to a typed collection; add it to typed_collections.",
                method="GET",
                path=entry.item_path(object_id),
            )
        expand = entry.typed_expand.get(odata_type, ())
        return [Read(ITEM, f"{typed}/{object_id}", _expand_params(expand))]
    if entry.strategy is Strategy.GROUP_POLICY:
        return [
            Read(
                PRESENTATION_VALUES + value["id"],
                f"{entry.item_path(object_id)}/definitionValues/{value['id']}/presentationValues",
                MappingProxyType({"$expand": "presentation"}),
                collection=True,
            )
            for value in answers.get("definitionValues", [])
            if PRESENTATION_VALUES + value["id"] not in answers
        ]
    return []


def continuation_reads(entry: ObjectType, read: Read, body: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(answer key, nextLink) of every page still to read after `body`."""
    links = []
    if read.collection and body.get("@odata.nextLink"):
        links.append((read.key, str(body["@odata.nextLink"])))
    if read.key == ITEM:
        for name in entry.expanded_pages:
            link = body.get(f"{name}@odata.nextLink")
            if link:
                links.append((name + CONTINUED, str(link)))
    return links


def assemble(entry: ObjectType, answers: Mapping[str, Any]) -> dict[str, Any]:
    """One raw object as if Graph had expanded every sub-resource in full."""
    raw = dict(answers[ITEM])
    if entry.parent is not None and PARENT in answers:
        raw[PARENT_MARKER] = answers[PARENT].get(entry.parent.key)
    for name in entry.expanded_pages:
        if isinstance(raw.get(name), list):
            raw[name] = raw[name] + answers.get(name + CONTINUED, [])
    for sub in entry.path_reads:
        raw[sub.name] = list(answers.get(sub.name, []))
    if entry.strategy is Strategy.GROUP_POLICY:
        raw["definitionValues"] = [
            {**value, "presentationValues": answers.get(PRESENTATION_VALUES + value["id"], [])}
            for value in raw["definitionValues"]
        ]
    return raw


def _item_read(entry: ObjectType, object_id: str) -> Read:
    return Read(ITEM, entry.item_path(object_id), _expand_params(entry.expand))


def _expand_params(expand: tuple[str, ...]) -> Mapping[str, str]:
    return MappingProxyType({"$expand": ",".join(expand)} if expand else {})
