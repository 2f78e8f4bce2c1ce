"""Run records, dedupe, progress and item results (docs/architecture.md#run-model).

The routes' side of runs is imported by module, not re-exported: `access` finds a run named in a
tenant route under the isolation rules (it builds on auth and the worker's services, which import
this package), and `status` answers the status URL that Logic Apps and Power Automate poll.
"""

from shared.runs.dedupe import dedupe_key, instance_id_for, start_or_reuse
from shared.runs.errors import (
    InvalidRunTransition,
    RunContention,
    RunError,
    RunNotFound,
)
from shared.runs.items import ItemOutcome, ItemResult, count_outcomes, list_items, record_items
from shared.runs.lifecycle import advance_part, advance_parts, cancel, finish, mark_running, update_progress
from shared.runs.model import Counters, Run, RunStatus, check_transition, derive_status
from shared.runs.queries import find_run, get_run, list_runs, locate_run
from shared.runs.tables import RunTables

__all__ = [
    "Counters",
    "InvalidRunTransition",
    "ItemOutcome",
    "ItemResult",
    "Run",
    "RunContention",
    "RunError",
    "RunNotFound",
    "RunStatus",
    "RunTables",
    "advance_part",
    "advance_parts",
    "cancel",
    "check_transition",
    "count_outcomes",
    "dedupe_key",
    "derive_status",
    "find_run",
    "finish",
    "get_run",
    "instance_id_for",
    "list_items",
    "list_runs",
    "locate_run",
    "mark_running",
    "record_items",
    "start_or_reuse",
    "update_progress",
]
