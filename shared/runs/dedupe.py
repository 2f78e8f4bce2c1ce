"""Start a run, or return the active one with the same dedupe key: exactly one run per key at a time.

The arbiter is a lock entity (PK tenant, RK hash of the dedupe key) written only by a
conditional insert or an ETag-conditional takeover, never read-then-write. The lock carries
the new run's initial record, so whoever finds a lock whose run record is missing (the
creator crashed, or has not written it yet) writes that record itself: a lock never
points to nothing, and nobody has to wait for a timeout.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from azure.core import MatchConditions
from azure.core.exceptions import ResourceExistsError, ResourceModifiedError, ResourceNotFoundError
from azure.data.tables import UpdateMode

from shared.runs.errors import RunContention
from shared.runs.model import Run, RunStatus, dump_json, load_json, new_run_id
from shared.runs.queries import RUN_ID_INDEX_ROW, find_run
from shared.runs.tables import RunTables
from shared.storage import encode_key, stable_hash

MAX_ATTEMPTS = 20
REPAIR_WINDOW = timedelta(minutes=10)
"""A lock younger than this whose run record is missing is a crash window, and the record is written
from the lock. An older one means the record was purged: the run counts as ended."""

_UNSAFE_ID_CHARS = re.compile(r"[^A-Za-z0-9._-]")


def dedupe_key(tenant_id: str, run_type: str, parts: Sequence[str]) -> str:
    """The readable dedupe key: tenant + operation + parts, as a JSON list so no part can fake a boundary."""
    return json.dumps([tenant_id, run_type, *parts], ensure_ascii=False, separators=(",", ":"))


def lock_row_key(tenant_id: str, run_type: str, parts: Sequence[str]) -> str:
    return stable_hash(tenant_id, run_type, *parts)


def instance_id_for(run_type: str, key_hash: str, run_id: str) -> str:
    """The Durable instance ID of a run: deterministic from the dedupe key and the run, valid for the host
    (no / \\ ? #, no leading @, at most 256 characters), and new for every new run of the key."""
    kind = _UNSAFE_ID_CHARS.sub("_", run_type)[:64] or "run"
    return f"{kind}-{key_hash[:40]}-{run_id}"


def start_or_reuse(
    tables: RunTables,
    tenant_id: str,
    run_type: str,
    dedupe_parts: Sequence[str],
    requested_by: str,
    *,
    source: dict[str, Any] | None = None,
    parameters: dict[str, Any] | None = None,
    now: datetime | None = None,
) -> tuple[Run, bool]:
    """The active run for this key (`reused` True) or a new queued run (`reused` False).

    The caller starts the orchestration with `run.instance_id` when `reused` is False, and
    may start it again (the host refuses a duplicate) for a reused run that is still queued,
    which covers a caller that crashed between creating the run and starting it.
    """
    key = dedupe_key(tenant_id, run_type, dedupe_parts)
    lock_pk, lock_rk = encode_key(tenant_id), lock_row_key(tenant_id, run_type, dedupe_parts)
    for _ in range(MAX_ATTEMPTS):
        created_at = now or datetime.now(UTC)
        run_id = new_run_id(created_at)
        candidate = Run(
            run_id=run_id,
            tenant_id=tenant_id,
            run_type=run_type,
            status=RunStatus.QUEUED,
            dedupe_key=key,
            instance_id=instance_id_for(run_type, lock_rk, run_id),
            requested_by=requested_by,
            created_at=created_at,
            source=source,
            parameters=parameters,
        )
        lock = _lock_entity(lock_pk, lock_rk, candidate)
        try:
            tables.locks.create_entity(lock)
            return _materialize(tables, candidate), False
        except ResourceExistsError:
            pass
        try:
            current_lock = tables.locks.get_entity(lock_pk, lock_rk)
        except ResourceNotFoundError:
            continue
        holder = _holder(tables, current_lock, created_at)
        if holder is not None and holder.status.is_active:
            return holder, True
        try:
            tables.locks.update_entity(
                lock,
                mode=UpdateMode.REPLACE,
                etag=current_lock.metadata["etag"],
                match_condition=MatchConditions.IfNotModified,
            )
        except (ResourceModifiedError, ResourceNotFoundError):
            continue
        return _materialize(tables, candidate), False
    raise RunContention("The dedupe lock kept changing under concurrent requests; retry the request.")


def _lock_entity(lock_pk: str, lock_rk: str, run: Run) -> dict[str, Any]:
    """The lock names its run and carries the run's initial record for crash-window repair."""
    return {
        "PartitionKey": lock_pk,
        "RowKey": lock_rk,
        "DedupeKey": run.dedupe_key,
        "RunId": run.run_id,
        "LockedAt": run.created_at,
        "InitialRun": json.dumps(_initial_fields(run), separators=(",", ":"), ensure_ascii=False),
    }


def _initial_fields(run: Run) -> dict[str, Any]:
    return {
        "runId": run.run_id,
        "tenantId": run.tenant_id,
        "runType": run.run_type,
        "dedupeKey": run.dedupe_key,
        "instanceId": run.instance_id,
        "requestedBy": run.requested_by,
        "createdAt": run.created_at.isoformat(),
        "source": dump_json(run.source),
        "parameters": dump_json(run.parameters),
    }


def _run_from_lock(lock: Any) -> Run:
    fields = json.loads(lock["InitialRun"])
    return Run(
        run_id=fields["runId"],
        tenant_id=fields["tenantId"],
        run_type=fields["runType"],
        status=RunStatus.QUEUED,
        dedupe_key=fields["dedupeKey"],
        instance_id=fields["instanceId"],
        requested_by=fields["requestedBy"],
        created_at=datetime.fromisoformat(fields["createdAt"]),
        source=load_json(fields["source"]),
        parameters=load_json(fields["parameters"]),
    )


def _holder(tables: RunTables, lock: Any, now: datetime) -> Run | None:
    """The run the lock points to, writing its record if a crash left it missing; None if purged long ago."""
    initial = _run_from_lock(lock)
    existing = find_run(tables, initial.tenant_id, initial.run_id)
    if existing is not None:
        return existing
    if now - initial.created_at > REPAIR_WINDOW:
        return None
    return _materialize(tables, initial)


def _materialize(tables: RunTables, run: Run) -> Run:
    """Write the run-ID index and the run record if absent (idempotent; many writers may race here)."""
    tables.run_ids.upsert_entity(
        {"PartitionKey": run.run_id, "RowKey": RUN_ID_INDEX_ROW, "TenantId": run.tenant_id},
        mode=UpdateMode.REPLACE,
    )
    try:
        metadata = tables.runs.create_entity(run.to_entity())
    except ResourceExistsError:
        stored = find_run(tables, run.tenant_id, run.run_id)
        if stored is None:
            raise RunContention(f"Run {run.run_id} exists but cannot be read; retry the request.") from None
        return stored
    return run.with_changes(etag=metadata.get("etag"))
