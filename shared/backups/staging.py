"""Work files of a running backup, in the manifests container: the listings (one blob per listing
activity, every type it listed) and the manifest entries of each captured chunk.

Durable messages stay small (an activity gets a type name and an index range, and returns counts)
because the bulky data lives here: histories that carry lists of objects stall the engine.
Every write is an overwrite of a name derived from its input, so a retried activity is harmless.
"""

from __future__ import annotations

import contextlib
import json
import threading
from collections import OrderedDict
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from azure.core import MatchConditions
from azure.core.exceptions import ResourceNotFoundError
from azure.storage.blob import ContainerClient

from shared.storage import canonical_json, stable_hash

IF_SAME = MatchConditions.IfNotModified
PARALLEL_READS = 8
"""Blob reads and deletes of the staging files in flight at once when a backup ends."""


@dataclass(frozen=True)
class Listing:
    """The objects of one type a backup will capture, in list order (skipped ones already left out)."""

    ids: list[str]
    objects: dict[str, dict[str, Any]]
    skipped: int


def _root(run_id: str) -> str:
    return f"staging/{run_id}/"


def put_listings(container: ContainerClient, run_id: str, listings: Mapping[str, Listing]) -> None:
    """The listings of one listing activity (type -> listing) in one blob, named by the types it holds:
    a repeat overwrites it, and the types a later attempt lists again (Graph throttled them) go in
    another."""
    body = {
        policy_type: {"ids": listing.ids, "objects": listing.objects, "skipped": listing.skipped}
        for policy_type, listing in listings.items()
    }
    name = f"{_root(run_id)}list/{stable_hash(*sorted(listings))[:24]}.json"
    container.upload_blob(name, canonical_json(body), overwrite=True)


_CACHED_LISTINGS = 32
"""Listing blobs a worker keeps parsed (by name and ETag): a tenant's chunks run on the same worker
mostly, and each would otherwise download and parse the whole tenant's listing again."""
_listing_cache: OrderedDict[tuple[str, str], dict[str, Any]] = OrderedDict()
_listing_lock = threading.Lock()


def _read_listing(container: ContainerClient, name: str, etag: str) -> dict[str, Any]:
    key = (f"{container.container_name}/{name}", etag)
    with _listing_lock:
        if key in _listing_cache:
            _listing_cache.move_to_end(key)
            return _listing_cache[key]
    download = container.download_blob(name, etag=etag, match_condition=IF_SAME)
    body: dict[str, Any] = json.loads(download.readall())
    with _listing_lock:
        _listing_cache[key] = body
        while len(_listing_cache) > _CACHED_LISTINGS:
            _listing_cache.popitem(last=False)
    return body


def get_listings(container: ContainerClient, run_id: str) -> dict[str, Listing]:
    """Every type listed in this run, type -> listing (a type that could not be listed is absent):
    one blob listing and, unless this worker read the same blob (same ETag) before, one read."""
    found = container.list_blobs(name_starts_with=f"{_root(run_id)}list/")
    blobs = [(blob.name, blob.etag) for blob in found]
    with ThreadPoolExecutor(max_workers=PARALLEL_READS) as pool:
        bodies = list(pool.map(lambda blob: _read_listing(container, *blob), blobs))
    return {
        policy_type: Listing(list(data["ids"]), dict(data["objects"]), int(data["skipped"]))
        for body in bodies
        for policy_type, data in body.items()
    }


def put_part(
    container: ContainerClient,
    run_id: str,
    keys: list[str],
    entries: list[Mapping[str, Any]],
) -> None:
    """The manifest entries of one chunk attempt (one or more types), named by the objects it covered
    (`type:id` keys)."""
    name = f"{_root(run_id)}parts/{stable_hash(*keys)[:24]}.json"
    container.upload_blob(name, canonical_json(list(entries)), overwrite=True)


def iter_parts(container: ContainerClient, run_id: str) -> Iterator[dict[str, Any]]:
    """Every manifest entry recorded by this run's chunks (a retried chunk may repeat one); the
    parts are read in parallel, a few dozen per tenant."""
    names = [blob.name for blob in container.list_blobs(name_starts_with=f"{_root(run_id)}parts/")]
    with ThreadPoolExecutor(max_workers=PARALLEL_READS) as pool:
        for part in pool.map(lambda name: json.loads(container.download_blob(name).readall()), names):
            yield from part


def delete_staging(container: ContainerClient, run_id: str) -> None:
    """Drop the work files once the manifest holds what they said (in parallel)."""

    def delete(name: str) -> None:
        with contextlib.suppress(ResourceNotFoundError):
            container.delete_blob(name)

    names = [blob.name for blob in container.list_blobs(name_starts_with=_root(run_id))]
    with ThreadPoolExecutor(max_workers=PARALLEL_READS) as pool:
        list(pool.map(delete, names))
