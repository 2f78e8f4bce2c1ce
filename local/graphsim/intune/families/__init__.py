"""Types whose semantics go beyond generic CRUD plug in here, one module per family."""

from __future__ import annotations

from ..context import Family

FAMILY_CLASSES: tuple[type[Family], ...] = ()

FAMILIES: dict[str, Family] = {
    collection: family for family in (cls() for cls in FAMILY_CLASSES) for collection in family.collections
}
GENERIC = Family()


def family_for(collection: str) -> Family:
    return FAMILIES.get(collection, GENERIC)
