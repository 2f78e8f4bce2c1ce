"""The live steps of a restore run: the safety backup, then the writes of one chunk.

Idempotent: a chunk skips items that already have an outcome in this run (a retried activity never
writes twice), and items of one name the source has several times know what this run (or the runs
it retries) already created under that name. Throttling is handed back for a durable timer.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from azure.core.exceptions import ResourceNotFoundError

from shared.config.errors import ConfigurationError
from shared.graph import GraphClient, GraphError, GraphThrottled
from shared.graph.tenant_clients import graph_client_for
from shared.intune.versions import record_version
from shared.jobs.messages import ChunkOutcome, SafetyBackup
from shared.jobs.restore import THROTTLED_TOO_LONG, graph_clients, handed_back, item_counts
from shared.redact import redact
from shared.restore import model
from shared.restore.journal import WriteJournal
from shared.restore.live import ItemApplied, WriteContext, apply_item, settled_by_plan
from shared.restore.model import Action, Chunk, PlannedItem
from shared.restore.remap import IdMap, build_id_map
from shared.restore.safety import items_to_update, safety_backup
from shared.restore.source import load_content
from shared.runs import ItemOutcome, ItemResult, Run, find_run, get_run, record_items
from shared.services import Services
from shared.storage import decode_key, encode_key, names

MAX_RETRY_CHAIN = 10
"""Retries of retries followed back this far when looking for what earlier runs created."""


def take_safety_backup(services: Services, tenant_id: str, run_id: str) -> SafetyBackup:
    """The safety backup of every item this run will update and has not ended yet."""
    container = services.account.container(names.MANIFESTS_CONTAINER)
    selection = model.get_selection(container, tenant_id, run_id)
    ended = {
        decode_key(entity["RowKey"])
        for entity in services.runs.items.query_entities(
            "PartitionKey eq @run", parameters={"run": run_id}, select=["RowKey"]
        )
    }
    override = bool((get_run(services.runs, tenant_id, run_id).parameters or {}).get("overrideConflicts"))
    candidates = items_to_update(selection.items, override_conflicts=override)
    pending = [i for i in candidates if i.item_id not in ended]
    try:
        target = graph_client_for(services.settings, services.tenants.require(tenant_id), read_only=True)
    except ConfigurationError as exc:
        return SafetyBackup(error=redact(str(exc)))
    return safety_backup(services, target, tenant_id, run_id, pending)


def apply_chunk(
    services: Services, tenant_id: str, run_id: str, chunk: Chunk, *, final_attempt: bool
) -> ChunkOutcome:
    """Write the chunk's items one by one; each outcome is recorded as soon as it is known."""
    run = get_run(services.runs, tenant_id, run_id)
    container = services.account.container(names.MANIFESTS_CONTAINER)
    selection = model.get_selection(container, tenant_id, run_id)
    chosen = [
        i for i in selection.items[chunk.start : chunk.end] if not chunk.retry or i.item_id in chunk.retry
    ]
    recorded = _recorded(services, run_id, [i.item_id for i in chosen])
    made = _made_by_name(chosen, recorded)
    for key, target_ids in _made_by_retried_runs(services, run, {_name_key(i) for i in chosen}).items():
        made.setdefault(key, []).extend(target_ids)
    pending = [i for i in chosen if i.item_id not in recorded]
    settled = [(i, settled_by_plan(i)) for i in pending]
    results = [_live_item(i, applied) for i, applied in settled if applied is not None]
    record_items(services.runs, run_id, results)
    pending = [i for i, applied in settled if applied is None]
    if not pending:
        return item_counts(results)
    parameters = run.parameters or {}
    journal = WriteJournal(services.account.table(names.RESTORE_JOURNAL))
    interrupted = journal.intended(run_id) & {item.item_id for item in pending}
    ctx = WriteContext(
        tenant_id,
        run_id,
        run.requested_by,
        bool(parameters.get("overrideConflicts")),
        services.audit,
        keep_before_overwrite=lambda captured: (
            record_version(
                services.account, tenant_id, captured, run_id=run_id, captured_at=datetime.now(UTC)
            ).version_id
        ),
        intend=lambda item: journal.intend(run_id, item.item_id, item.action.value),
    )
    try:
        target, source = graph_clients(services, tenant_id, selection.source_tenant_id, read_only=False)
        ids = build_id_map(source, target)
    except GraphThrottled as exc:
        return _throttled_or_failed(services, run_id, pending, exc, final_attempt)
    except (GraphError, ConfigurationError) as exc:
        failed = [_live_item(i, _error_applied(i, exc)) for i in pending]
        record_items(services.runs, run_id, failed)
        return item_counts(results + failed)
    for index, item in enumerate(pending):
        try:
            applied = _apply_one(
                services, target, ids, item, ctx, made.get(_name_key(item), []), item.item_id in interrupted
            )
        except GraphThrottled as exc:
            answer = _throttled_or_failed(services, run_id, pending[index:], exc, final_attempt)
            return item_counts(results).model_copy(
                update={"throttled": answer.throttled, "retry_after": answer.retry_after}
            )
        result = _live_item(item, applied)
        record_items(services.runs, run_id, [result])
        results.append(result)
        if (
            applied.outcome is ItemOutcome.SUCCEEDED
            and applied.action == Action.CREATE.value
            and applied.target_id
        ):
            made.setdefault(_name_key(item), []).append(applied.target_id)
    return item_counts(results)


def _apply_one(
    services: Services,
    target: GraphClient,
    ids: IdMap,
    item: PlannedItem,
    ctx: WriteContext,
    made_here: list[str],
    interrupted: bool,
) -> ItemApplied:
    content = load_content(services.account, item.source)
    return apply_item(target, ids, item, content, ctx, made_here=made_here, interrupted=interrupted)


def _name_key(item: PlannedItem) -> tuple[str, str]:
    return (item.source.policy_type, item.source.display_name)


def _made_by_name(items: Sequence[PlannedItem], recorded: dict[str, Any]) -> dict[tuple[str, str], list[str]]:
    """Objects this run already created for the chunk's items, by (type, name)."""
    made: dict[tuple[str, str], list[str]] = {}
    for item in items:
        entity = recorded.get(item.item_id)
        if entity is None or entity.get("Outcome") != ItemOutcome.SUCCEEDED.value:
            continue
        details = json.loads(entity.get("Details") or "{}")
        if entity.get("Action") == Action.CREATE.value and details.get("targetId"):
            made.setdefault(_name_key(item), []).append(str(details["targetId"]))
    return made


def _throttled_or_failed(
    services: Services, run_id: str, items: Sequence[PlannedItem], exc: GraphThrottled, final_attempt: bool
) -> ChunkOutcome:
    if not final_attempt:
        return handed_back([i.item_id for i in items], exc.retry_after)
    results = [
        _live_item(i, ItemApplied(ItemOutcome.FAILED, i.action.value, error=THROTTLED_TOO_LONG))
        for i in items
    ]
    record_items(services.runs, run_id, results)
    return item_counts(results)


def _error_applied(item: PlannedItem, exc: Exception) -> ItemApplied:
    return ItemApplied(
        ItemOutcome.FAILED, item.action.value, error=redact(f"The restore could not reach Graph: {exc}")
    )


def _live_item(item: PlannedItem, applied: ItemApplied) -> ItemResult:
    return ItemResult(
        item.item_id,
        item.source.policy_type,
        applied.outcome,
        policy_id=item.source.policy_id,
        display_name=item.source.display_name,
        reason=applied.reason,
        error=applied.error,
        version_id=item.source.version_id,
        action=applied.action,
        details=applied.details(item),
    )


def _made_by_retried_runs(
    services: Services, run: Run, names: set[tuple[str, str]]
) -> dict[tuple[str, str], list[str]]:
    """Objects the runs this one retries created under the chunk's names: a retried create of a name
    the source has several times must not take its siblings for a match."""
    made: dict[tuple[str, str], list[str]] = {}
    retry_of = (run.parameters or {}).get("retryOf")
    for _ in range(MAX_RETRY_CHAIN):
        if not retry_of:
            break
        for entity in services.runs.items.query_entities(
            "PartitionKey eq @run and Action eq @create and Outcome eq @succeeded",
            parameters={
                "run": retry_of,
                "create": Action.CREATE.value,
                "succeeded": ItemOutcome.SUCCEEDED.value,
            },
            select=["ItemType", "DisplayName", "Details"],
        ):
            key = (str(entity["ItemType"]), str(entity.get("DisplayName") or ""))
            target_id = json.loads(entity.get("Details") or "{}").get("targetId")
            if key in names and target_id:
                made.setdefault(key, []).append(str(target_id))
        earlier = find_run(services.runs, run.tenant_id, str(retry_of))
        retry_of = (earlier.parameters or {}).get("retryOf") if earlier else None
    return made


def _recorded(services: Services, run_id: str, item_ids: Sequence[str]) -> dict[str, Any]:
    """Items of this run that already have an outcome (point reads; a chunk holds about 20)."""
    recorded: dict[str, Any] = {}
    for item_id in item_ids:
        try:
            recorded[item_id] = services.runs.items.get_entity(
                run_id, encode_key(item_id), select=["Outcome", "Action", "Details"]
            )
        except ResourceNotFoundError:
            continue
    return recorded
