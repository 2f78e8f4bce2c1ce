"""Which backup sets a schedule's retention prunes: a pure function, so the rules are tested
without storage and the retention job only lists, plans and deletes.

Rules, in order of precedence (a backup set any rule keeps is kept):
- unfinished sets (queued, running, or a status we do not know) are never touched;
- sets a restore refers to (`protected_ids`) are kept;
- the newest successful set is kept, and if it is older than the newest partially successful one,
  that one too: there is always a complete backup and the latest data to restore from;
- `keep_last`: the N newest sets that hold data (succeeded or partially succeeded) are kept; failed
  sets do not count, so a week of failures never pushes good backups out;
- `keep_days`: sets created less than N days before `now` are kept, failed ones included.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from shared.runs import RunStatus
from shared.schedules.model import RetentionPolicy

_WITH_DATA = frozenset({RunStatus.SUCCEEDED.value, RunStatus.PARTIALLY_SUCCEEDED.value})
_FINISHED = _WITH_DATA | {RunStatus.FAILED.value, RunStatus.CANCELLED.value}


@dataclass(frozen=True)
class BackupSetSummary:
    """What retention needs to know of a backup set; `status` is its run's status value."""

    id: str
    tenant_id: str
    status: str
    created_at: datetime


def plan_retention(
    backup_sets: Iterable[BackupSetSummary],
    policy: RetentionPolicy,
    now: datetime,
    protected_ids: Collection[str] = frozenset(),
) -> list[BackupSetSummary]:
    """The sets of one tenant to delete under `policy` at `now`, oldest first."""
    sets = sorted(backup_sets, key=lambda s: (s.created_at, s.id), reverse=True)
    if len({s.tenant_id for s in sets}) > 1:
        raise ValueError("plan_retention works on one tenant's backup sets at a time.")
    keep = {s.id for s in sets if s.status not in _FINISHED or s.id in protected_ids}
    keep |= _newest_usable(sets)
    if policy.keep_last is not None:
        keep |= {s.id for s in [s for s in sets if s.status in _WITH_DATA][: policy.keep_last]}
    if policy.keep_days is not None:
        cutoff = now - timedelta(days=policy.keep_days)
        keep |= {s.id for s in sets if s.created_at > cutoff}
    return [s for s in reversed(sets) if s.id not in keep]


def _newest_usable(newest_first: list[BackupSetSummary]) -> set[str]:
    """The newest succeeded set, plus the newest partially succeeded one if it is newer."""
    kept: set[str] = set()
    for backup_set in newest_first:
        if backup_set.status == RunStatus.PARTIALLY_SUCCEEDED and not kept:
            kept.add(backup_set.id)
        if backup_set.status == RunStatus.SUCCEEDED:
            kept.add(backup_set.id)
            break
    return kept
