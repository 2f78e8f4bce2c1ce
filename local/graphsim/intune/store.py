"""Per-tenant object storage, kept compact so a 50-tenant x 300-object seed stays far below 1 GiB.

Objects are plain dicts keyed by id in insertion order. Large sub-resource lists (settings
catalog `settings`) are held as zlib-compressed JSON (`Packed`): a 150-setting policy costs a
few KiB instead of hundreds of small dicts. Shared catalog entries (ADMX definitions) are stored
by reference, never copied per tenant.
"""

from __future__ import annotations

import json
import uuid
import zlib
from datetime import UTC, datetime
from typing import Any


class Packed:
    """A JSON list stored compressed; `load()` gives a fresh copy, so readers cannot alter the store."""

    __slots__ = ("_data",)

    def __init__(self, items: list[Any]) -> None:
        self._data = zlib.compress(json.dumps(items, separators=(",", ":")).encode(), 6)

    def load(self) -> list[Any]:
        loaded: list[Any] = json.loads(zlib.decompress(self._data))
        return loaded

    def __len__(self) -> int:
        return len(self._data)


def unpacked(value: Any) -> Any:
    return value.load() if isinstance(value, Packed) else value


class TenantStore:
    """One tenant's collections: `collection path -> {id: object}`."""

    def __init__(self, tenant_id: str) -> None:
        self.tenant_id = tenant_id
        self.tables: dict[str, dict[str, dict[str, Any]]] = {}

    def table(self, collection: str) -> dict[str, dict[str, Any]]:
        return self.tables.setdefault(collection, {})

    def get(self, collection: str, object_id: str) -> dict[str, Any] | None:
        return self.tables.get(collection, {}).get(object_id)


def new_id() -> str:
    return str(uuid.uuid4())


def utc_now() -> str:
    """Graph's timestamp format: seven fractional digits and `Z`."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f") + "0Z"
