"""Retention plans: keep last N and/or N days, and never the newest successful, protected or unfinished."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from shared.schedules import BackupSetSummary, RetentionPolicy, plan_retention

TENANT = "t1"
NOW = datetime(2024, 6, 30, 12, tzinfo=UTC)


def _daily(statuses: str) -> list[BackupSetSummary]:
    """One set per day, newest first: s = succeeded, p = partial, f = failed, r = running, c = cancelled."""
    names = {"s": "succeeded", "p": "partially_succeeded", "f": "failed", "r": "running", "c": "cancelled"}
    return [
        BackupSetSummary(f"b{age}", TENANT, names[code], NOW - timedelta(days=age, hours=1))
        for age, code in enumerate(statuses)
    ]


def _deleted(statuses: str, policy: RetentionPolicy, protected: frozenset[str] = frozenset()) -> list[str]:
    return [s.id for s in plan_retention(_daily(statuses), policy, NOW, protected)]


def test_keep_last_n_deletes_the_older_ones_oldest_first() -> None:
    assert _deleted("sssss", RetentionPolicy(keep_last=2)) == ["b4", "b3", "b2"]


def test_keep_last_counts_only_sets_with_data() -> None:
    assert _deleted("ffspsp", RetentionPolicy(keep_last=2)) == ["b5", "b4", "b1", "b0"]


def test_keep_days_keeps_sets_newer_than_the_cutoff() -> None:
    # b0..b2 are 1 h, 1 d 1 h and 2 d 1 h old: with 2 days, b2 is older than the cutoff.
    assert _deleted("sssss", RetentionPolicy(keep_days=2)) == ["b4", "b3", "b2"]


def test_both_rules_keep_what_either_keeps() -> None:
    assert _deleted("ssssss", RetentionPolicy(keep_last=4, keep_days=2)) == ["b5", "b4"]
    assert _deleted("ssssss", RetentionPolicy(keep_last=1, keep_days=3)) == ["b5", "b4", "b3"]


def test_the_newest_successful_set_is_kept_even_when_old_and_outnumbered() -> None:
    assert _deleted("fffffs", RetentionPolicy(keep_days=1)) == ["b4", "b3", "b2", "b1"]
    assert _deleted("pppsss", RetentionPolicy(keep_last=1)) == ["b5", "b4", "b2", "b1"]


def test_the_newest_partial_set_is_kept_when_nothing_succeeded_later() -> None:
    assert _deleted("fppp", RetentionPolicy(keep_days=1)) == ["b3", "b2"]


def test_protected_sets_are_kept() -> None:
    assert _deleted("sssss", RetentionPolicy(keep_last=1), frozenset({"b3"})) == ["b4", "b2", "b1"]


def test_unfinished_sets_are_kept_and_cancelled_ones_count_as_failed() -> None:
    assert _deleted("rsscr", RetentionPolicy(keep_last=1)) == ["b3", "b2"]


def test_nothing_to_delete_when_all_are_kept() -> None:
    assert _deleted("", RetentionPolicy(keep_last=1)) == []
    assert _deleted("ss", RetentionPolicy(keep_last=5)) == []


def test_sets_of_several_tenants_are_refused() -> None:
    mixed = [*_daily("ss"), BackupSetSummary("x", "t2", "succeeded", NOW)]
    with pytest.raises(ValueError, match="one tenant"):
        plan_retention(mixed, RetentionPolicy(keep_last=1), NOW)
