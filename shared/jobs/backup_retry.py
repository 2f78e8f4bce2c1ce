"""Retrying a backup's failed items: what the backup steps ask of the run a retry retries (the request
side is `shared.jobs.retry`).

A retry is a `backup.tenant` run with `parameters.retryOf` = the ended backup it retries, deduped on
`["retry", run]`, carried out by the same tenant backup orchestrator. Its begin step answers only
the types that have failed items; each of those is listed whole (Graph lists no subset by ID) and the
staged listing is narrowed to the failed IDs, so the chunks capture only them. An item `{type}:*`
means the type's listing failed: the whole type is kept. A failed ID the new listing no longer holds
is recorded `skipped` (deleted in Graph since).

Its listing is therefore not complete: its backup set is of kind `retry` (with `retryOf`), holding
only the items it captured, and it marks nothing deleted in Graph
(`docs/architecture.md#retrying-a-backup`).
"""

from __future__ import annotations

from shared.runs import ItemOutcome, Run
from shared.services import Services
from shared.storage import decode_key

RETRY_KIND = "retry"
"""The kind of a retry's backup set: a partial set, the failed items of `retryOf` only."""
WHOLE_TYPE = "*"
"""The policy ID part of `{type}:*`, the item of a type whose listing failed."""
RETRY_OF = "retryOf"


def retry_of_run(run: Run) -> str | None:
    """The run a backup run retries (`parameters.retryOf`), or None for a full backup."""
    value = (run.parameters or {}).get(RETRY_OF)
    return str(value) if value else None


def failed_by_type(services: Services, run_id: str, policy_type: str | None = None) -> dict[str, set[str]]:
    """Type -> policy IDs of the failed items of an ended run (`*` for a type whose listing failed),
    of one type when `policy_type` is given. The run has ended, so its items no longer change."""
    query = "PartitionKey eq @run and Outcome eq @failed"
    parameters = {"run": run_id, "failed": ItemOutcome.FAILED.value}
    if policy_type is not None:
        query += " and ItemType eq @type"
        parameters["type"] = policy_type
    failed: dict[str, set[str]] = {}
    entities = services.runs.items.query_entities(query, parameters=parameters, select=["RowKey", "ItemType"])
    for entity in entities:
        item_type = str(entity["ItemType"])
        item_id = decode_key(entity["RowKey"])
        if item_id.startswith(item_type + ":"):
            failed.setdefault(item_type, set()).add(item_id[len(item_type) + 1 :])
    return failed
