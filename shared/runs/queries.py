"""Read surfaces for runs: one by ID (point read), which tenant owns an ID, and paged lists."""

from __future__ import annotations

from azure.core.exceptions import ResourceNotFoundError

from shared.runs.errors import RunNotFound
from shared.runs.model import RUN_ID_PATTERN, Run, RunStatus
from shared.runs.tables import RunTables
from shared.storage import DEFAULT_PAGE_SIZE, Page, encode_key, map_page, query_page

RUN_ID_INDEX_ROW = "run"


def get_run(tables: RunTables, tenant_id: str, run_id: str) -> Run:
    """The run `run_id` of `tenant_id`, in one point read; RunNotFound if this tenant has no such run."""
    if not RUN_ID_PATTERN.match(run_id):
        raise RunNotFound(f"Run {run_id!r} was not found.")
    try:
        return Run.from_entity(tables.runs.get_entity(encode_key(tenant_id), run_id))
    except ResourceNotFoundError as exc:
        raise RunNotFound(f"Run {run_id!r} was not found.") from exc


def find_run(tables: RunTables, tenant_id: str, run_id: str) -> Run | None:
    """Like get_run, but None when the run does not exist."""
    try:
        return get_run(tables, tenant_id, run_id)
    except RunNotFound:
        return None


def locate_run(tables: RunTables, run_id: str) -> str | None:
    """The tenant that owns `run_id`, or None: lets the API answer 403 (other tenant) rather than 404.

    Reads the global run-ID index, then confirms the run record exists, so an index entry
    left by a crash between the two writes never makes a run appear to exist.
    """
    if not RUN_ID_PATTERN.match(run_id):
        return None
    try:
        tenant_id = str(tables.run_ids.get_entity(run_id, RUN_ID_INDEX_ROW)["TenantId"])
    except ResourceNotFoundError:
        return None
    return tenant_id if find_run(tables, tenant_id, run_id) is not None else None


def list_runs(
    tables: RunTables,
    tenant_id: str,
    *,
    status: RunStatus | None = None,
    run_type: str | None = None,
    page_size: int = DEFAULT_PAGE_SIZE,
    continuation: str | None = None,
) -> Page[Run]:
    """A tenant's runs, newest first (run IDs start with the inverted creation time), optionally filtered."""
    clauses = ["PartitionKey eq @tenant"]
    parameters: dict[str, object] = {"tenant": encode_key(tenant_id)}
    if status is not None:
        clauses.append("Status eq @status")
        parameters["status"] = status.value
    if run_type is not None:
        clauses.append("RunType eq @runtype")
        parameters["runtype"] = run_type
    page = query_page(
        tables.runs, " and ".join(clauses), parameters, page_size=page_size, continuation=continuation
    )
    return map_page(page, Run.from_entity)
