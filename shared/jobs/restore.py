"""The steps of a restore run that stage and plan (the live writes are in `restore_live`), called by
thin activities.

Preview: stage the source items, plan them in chunks with read-only clients (each chunk's plan is a
blob part and one run item per item), then join the parts into the plan. Live: stage the chosen
planned items, take the safety backup, then write chunk by chunk, group by group in restore order.

Every step is idempotent: names derive from the run, items from the stable item ID, and a live
chunk skips items that already have an outcome in this run (a retried activity never writes twice).
Throttling is handed back (IDs and `retry_after`) for the orchestrator's durable timer.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from shared.config.errors import ConfigurationError
from shared.graph import GraphClient, GraphError, GraphThrottled
from shared.graph.tenant_clients import graph_client_for
from shared.http.problems import ProblemError
from shared.jobs.lifecycle import begin_run
from shared.jobs.messages import ChunkOutcome, ItemRange, PreviewFinished, RestoreBegun
from shared.notifications import run_link
from shared.redact import redact
from shared.restore import model
from shared.restore.model import Chunk, PlannedItem, Selection, SourceItem
from shared.restore.plan import mark_name_clashes, plan_items, settled_without_graph
from shared.restore.remap import build_id_map
from shared.restore.source import SourceSpec, load_content, resolve_source
from shared.runs import ItemOutcome, ItemResult, Run, get_run, list_items, record_items, update_progress
from shared.services import Services
from shared.storage import MAX_PAGE_SIZE, names

THROTTLED_TOO_LONG = "Graph kept throttling this item; retry the run's failed items later."


def begin_restore(services: Services, tenant_id: str, run_id: str) -> RestoreBegun:
    """Mark the run running and stage its items; answers the chunks to plan (preview) or the groups
    of chunks to write (live). `error` ends the run as failed (its source or preview is gone)."""
    run = get_run(services.runs, tenant_id, run_id)
    if run.run_type not in model.RESTORE_RUN_TYPES:
        return RestoreBegun(
            active=False, status=run.status.value, error=f"run type {run.run_type!r} is no restore"
        )
    begun = begin_run(services, tenant_id, run_id)
    if not begun.active:
        return RestoreBegun(active=False, status=begun.status)
    container = services.account.container(names.MANIFESTS_CONTAINER)
    try:
        if run.run_type == model.PREVIEW_RUN_TYPE:
            spec = SourceSpec.from_json(run.source or {})
            items = resolve_source(services.account, spec)
            model.put_source(container, tenant_id, run_id, spec.tenant_id, items)
            update_progress(services.runs, tenant_id, run_id, total=len(items))
            chunks = tuple(_range(c) for c in model.plan_chunks(items))
            return RestoreBegun(active=True, status=begun.status, mode="preview", chunks=chunks)
        selection = _select(services, run)
        model.put_selection(container, tenant_id, run_id, selection)
        links = {
            **(run.summary or {}).get("links", {}),
            "preview": run_link(tenant_id, selection.preview_run_id),
        }
        summary = {**(run.summary or {}), "previewRunId": selection.preview_run_id, "links": links}
        update_progress(services.runs, tenant_id, run_id, total=len(selection.items), summary=summary)
        groups = tuple(tuple(_range(c) for c in group) for group in model.write_groups(selection.items))
        return RestoreBegun(active=True, status=begun.status, mode="live", groups=groups)
    except (ProblemError, LookupError) as exc:
        return RestoreBegun(
            active=True, status=begun.status, error=redact(f"The restore could not start: {exc}")
        )


def _range(chunk: Chunk) -> ItemRange:
    return ItemRange(start=chunk.start, end=chunk.end)


def _select(services: Services, run: Run) -> Selection:
    source = run.source or {}
    parameters = run.parameters or {}
    preview_run_id = str(source["previewRunId"])
    container = services.account.container(names.MANIFESTS_CONTAINER)
    plan = model.get_plan(container, run.tenant_id, preview_run_id)
    if plan is None:
        raise LookupError(f"Preview {preview_run_id} has no stored plan.")
    source_tenant, planned = plan
    items = parameters.get("items")
    if items is None and parameters.get("retryOf"):
        items = failed_item_ids(services, get_run(services.runs, run.tenant_id, str(parameters["retryOf"])))
    chosen, _ = model.subset(planned, items)
    return Selection(preview_run_id, source_tenant, tuple(chosen))


def failed_item_ids(services: Services, run: Run) -> list[str]:
    """Every failed item of an ended run (what a retry writes again)."""
    ids: list[str] = []
    continuation: str | None = None
    while True:
        page = list_items(
            services.runs, run, outcome=ItemOutcome.FAILED, page_size=MAX_PAGE_SIZE, continuation=continuation
        )
        ids += [item.item_id for item in page.items]
        continuation = page.continuation
        if continuation is None:
            return ids


# Preview


def plan_chunk(
    services: Services, tenant_id: str, run_id: str, chunk: Chunk, *, final_attempt: bool
) -> ChunkOutcome:
    """Plan one chunk with read-only clients for source and target; records its items and plan part."""
    container = services.account.container(names.MANIFESTS_CONTAINER)
    source_tenant, all_items = model.get_source(container, tenant_id, run_id)
    items = _narrow(all_items[chunk.start : chunk.end], chunk.retry)
    started_at = datetime.now(UTC)
    settled = settled_without_graph(items, lambda item: load_content(services.account, item))
    if settled is not None:
        return _record_preview(services, tenant_id, run_id, chunk, settled, [], started_at)
    try:
        target, source = graph_clients(services, tenant_id, source_tenant, read_only=True)
        ids = build_id_map(source, target)
        outcome = plan_items(target, ids, items, lambda item: load_content(services.account, item))
    except GraphThrottled as exc:
        if not final_attempt:
            return handed_back([i.item_id for i in items], exc.retry_after)
        return _record_preview(services, tenant_id, run_id, chunk, [], _failed(items, exc), started_at)
    except (GraphError, ConfigurationError) as exc:
        return _record_preview(services, tenant_id, run_id, chunk, [], _failed(items, exc), started_at)
    failed = list(outcome.failed)
    throttled = [i.item_id for i in outcome.throttled]
    if final_attempt:
        failed += [(item, THROTTLED_TOO_LONG) for item in outcome.throttled]
        throttled = []
    answer = _record_preview(services, tenant_id, run_id, chunk, outcome.planned, failed, started_at)
    return answer.model_copy(update={"throttled": tuple(throttled), "retry_after": outcome.retry_after})


def _record_preview(
    services: Services,
    tenant_id: str,
    run_id: str,
    chunk: Chunk,
    planned: list[PlannedItem],
    failed: list[tuple[SourceItem, str]],
    started_at: datetime,
) -> ChunkOutcome:
    container = services.account.container(names.MANIFESTS_CONTAINER)
    part_name = model.plan_part_blob(tenant_id, run_id, chunk.start)
    part = {
        p["source"]["policyType"] + ":" + p["source"]["policyId"]: p
        for p in model.get_json_blob(container, part_name) or []
    }
    part.update({item.item_id: item.to_json() for item in planned})
    model.put_json_blob(container, part_name, list(part.values()))
    results = [_preview_item(item, started_at) for item in planned]
    results += [
        ItemResult(
            item.item_id,
            item.policy_type,
            ItemOutcome.FAILED,
            policy_id=item.policy_id,
            display_name=item.display_name,
            error=error,
            version_id=item.version_id,
            started_at=started_at,
        )
        for item, error in failed
    ]
    record_items(services.runs, run_id, results)
    return item_counts(results)


def _preview_item(item: PlannedItem, started_at: datetime) -> ItemResult:
    outcome = {
        model.Action.SKIP: ItemOutcome.SKIPPED,
        model.Action.CONFLICT: ItemOutcome.CONFLICT,
    }.get(item.action, ItemOutcome.SUCCEEDED)
    return ItemResult(
        item.item_id,
        item.source.policy_type,
        outcome,
        policy_id=item.source.policy_id,
        display_name=item.source.display_name,
        reason=item.reason,
        version_id=item.source.version_id,
        started_at=started_at,
        action=item.action.value,
        details=item.item_details(),
    )


def finish_preview(services: Services, tenant_id: str, run_id: str) -> PreviewFinished:
    """Join the chunk parts into the plan (in source order), put the action counts on the run, then
    drop the staged source and parts (a repeat after that finds no source and leaves the plan be)."""
    container = services.account.container(names.MANIFESTS_CONTAINER)
    run = get_run(services.runs, tenant_id, run_id)
    try:
        source_tenant, items = model.get_source(container, tenant_id, run_id)
    except LookupError:
        return PreviewFinished(planned=0)
    planned: dict[str, dict[str, Any]] = {}
    for chunk in model.plan_chunks(items):
        for part in (
            model.get_json_blob(container, model.plan_part_blob(tenant_id, run_id, chunk.start)) or []
        ):
            planned[f"{part['source']['policyType']}:{part['source']['policyId']}"] = part
    joined = [PlannedItem.from_json(planned[i.item_id]) for i in items if i.item_id in planned]
    marked = mark_name_clashes(joined)
    started_at = datetime.now(UTC)
    record_items(
        services.runs,
        run_id,
        [_preview_item(m, started_at) for m, j in zip(marked, joined, strict=True) if m != j],
    )
    ordered = [item.to_json() for item in marked]
    blob = model.plan_blob(tenant_id, run_id)
    model.put_json_blob(
        container,
        blob,
        {"tenantId": tenant_id, "sourceTenantId": source_tenant, "runId": run_id, "items": ordered},
    )
    actions: dict[str, int] = {}
    for part in ordered:
        actions[part["action"]] = actions.get(part["action"], 0) + 1
    summary = {**(run.summary or {}), "actions": actions, "sourceTenantId": source_tenant}
    update_progress(services.runs, tenant_id, run_id, summary=summary)
    model.delete_staging(container, tenant_id, run_id, [c.start for c in model.plan_chunks(items)])
    return PreviewFinished(planned=len(ordered), actions=actions)


# Shared


def graph_clients(
    services: Services, tenant_id: str, source_tenant_id: str, *, read_only: bool
) -> tuple[GraphClient, GraphClient]:
    """The target client (read-only for a preview) and a read-only client of the source tenant."""
    target = graph_client_for(services.settings, services.tenants.require(tenant_id), read_only=read_only)
    source = graph_client_for(services.settings, services.tenants.require(source_tenant_id), read_only=True)
    return target, source


def _narrow(items: Sequence[SourceItem], retry: Sequence[str]) -> list[SourceItem]:
    return [i for i in items if not retry or i.item_id in retry]


def _failed(items: Sequence[SourceItem], exc: Exception) -> list[tuple[SourceItem, str]]:
    error = redact(f"Planning failed: {exc}")
    return [(item, error) for item in items]


def handed_back(item_ids: Sequence[str], retry_after: float) -> ChunkOutcome:
    """Nothing settled: every item is handed back to be run again after `retry_after` seconds."""
    return ChunkOutcome(throttled=tuple(item_ids), retry_after=retry_after)


def item_counts(results: Sequence[ItemResult]) -> ChunkOutcome:
    return ChunkOutcome.of(result.outcome for result in results)
