"""Plan logic of a restore, without servers: the action per item, chunking in restore order, the
bounded diff a run item carries, subsets of a preview, and conflicts counted apart on a run."""

from __future__ import annotations

import json
from typing import Any

import pytest

from shared.intune.normalize import SECRETS_MARKER
from shared.restore.live import settled_by_plan
from shared.restore.model import (
    CHUNK_SIZE,
    Action,
    PlannedItem,
    SourceItem,
    bounded_diff,
    bounded_notes,
    content_sha256,
    plan_chunks,
    sort_for_restore,
    subset,
    write_groups,
)
from shared.restore.plan import decide, mark_name_clashes, secret_notes, settled_without_graph, skip_reason
from shared.restore.remap import Remapped
from shared.restore.safety import items_to_update
from shared.runs import Counters, ItemOutcome, RunStatus, derive_status

CONFIG = "deviceConfigurations"
LIVE: dict[str, Any] = {
    "@odata.type": "#microsoft.graph.windows10GeneralConfiguration",
    "displayName": "Baseline",
    "passwordRequired": True,
    "passwordMinimumLength": 8,
}


def item(policy_type: str = CONFIG, policy_id: str = "p1", name: str | None = None) -> SourceItem:
    return SourceItem(policy_type, policy_id, name or f"Policy {policy_id}", "v" * 32, "0" * 64)


def remapped(content: dict[str, Any], *notes: str) -> Remapped:
    return Remapped(content=content, notes=tuple(notes))


def test_no_match_is_a_create_whose_diff_adds_every_field() -> None:
    planned = decide(item(), LIVE, remapped(LIVE), [], None)
    assert planned.action is Action.CREATE and planned.target_id is None and planned.target_sha256 is None
    assert planned.diff is not None
    assert {c["path"] for c in planned.diff["changes"]} >= {"passwordMinimumLength", "displayName"}
    assert all(c["op"] == "added" for c in planned.diff["changes"])


def test_a_drifted_match_is_an_update_with_the_live_hash_and_a_field_diff() -> None:
    drifted = {**LIVE, "passwordMinimumLength": 4}
    planned = decide(item(), LIVE, remapped(LIVE, "Scope tag 'Ops' left off."), ["t1"], drifted)
    assert planned.action is Action.UPDATE and planned.target_id == "t1"
    assert planned.target_sha256 == content_sha256(drifted) != content_sha256(LIVE)
    assert planned.diff is not None
    assert planned.diff["changes"] == [
        {"op": "changed", "path": "passwordMinimumLength", "before": 4, "after": 8}
    ]
    assert planned.notes == ("Scope tag 'Ops' left off.",)


def test_a_match_equal_to_the_source_is_unchanged() -> None:
    planned = decide(item(), LIVE, remapped(LIVE), ["t1"], dict(LIVE))
    assert planned.action is Action.UNCHANGED and planned.target_id == "t1"


def test_two_targets_with_the_name_are_a_conflict_naming_both() -> None:
    planned = decide(item(), LIVE, remapped(LIVE), ["t2", "t1"], None)
    assert planned.action is Action.CONFLICT and planned.target_id is None
    assert planned.reason is not None and "t1, t2" in planned.reason and "'Baseline'" in planned.reason


def test_capture_only_types_and_service_defaults_are_skipped_with_the_catalog_reason() -> None:
    token = item("vppTokens", "vpp1", "Apple VPP")
    planned = decide(token, {"organizationName": "x"}, remapped({}), [], None)
    assert planned.action is Action.SKIP and planned.reason and "Apple" in planned.reason
    default = item("deviceEnrollmentConfigurations", "abc_DefaultPlatformRestrictions", "All users")
    assert skip_reason(default, {"priority": 0}) is not None
    assert skip_reason(item(), LIVE) is None
    assert skip_reason(item("noSuchType"), {}) is not None


def test_uncaptured_secrets_become_a_note() -> None:
    content = {**LIVE, SECRETS_MARKER: ["omaSettings[omaUri='./Vendor/x'].value"]}
    assert "omaUri" in secret_notes(content)[0]
    assert secret_notes(LIVE) == ()
    planned = decide(item(), content, remapped(LIVE), [], None)
    assert any("Secrets not captured" in note for note in planned.notes)


def test_items_sort_in_restore_order_and_chunk_by_type_and_size() -> None:
    items = sort_for_restore(
        [item(CONFIG, f"c{n:02d}") for n in range(CHUNK_SIZE + 3)]
        + [item("assignmentFilters", "f1"), item("roleScopeTags", "s1"), item("roleScopeTags", "s2")]
    )
    assert [i.policy_type for i in items[:3]] == ["roleScopeTags", "roleScopeTags", "assignmentFilters"]
    chunks = plan_chunks(items)
    assert [(c.start, c.end) for c in chunks] == [(0, 2), (2, 3), (3, 3 + CHUNK_SIZE), (3 + CHUNK_SIZE, 26)]
    assert plan_chunks([]) == []


def test_write_groups_follow_restore_order_so_references_exist_before_policies() -> None:
    sources = sort_for_restore(
        [item("roleScopeTags", "s1"), item(CONFIG, "c1"), item("deviceCompliancePolicies", "d1")]
        + [item("notificationMessageTemplates", f"n{n}") for n in range(CHUNK_SIZE + 1)]
    )
    planned = [PlannedItem(s, Action.CREATE) for s in sources]
    groups = write_groups(planned)
    orders = [{planned[i].source.restore_order for c in g for i in range(c.start, c.end)} for g in groups]
    assert all(len(o) == 1 for o in orders)
    assert [next(iter(o)) for o in orders] == sorted(next(iter(o)) for o in orders)
    covered = [i for g in groups for c in g for i in range(c.start, c.end)]
    assert covered == list(range(len(planned)))
    templates = groups[1]
    assert [c.end - c.start for c in templates] == [CHUNK_SIZE, 1]


def test_a_large_diff_is_cut_to_fit_a_run_item_and_says_so() -> None:
    changes = [
        {"op": "changed", "path": f"settings[{n}]", "before": "x" * 50, "after": "y" * 50} for n in range(400)
    ]
    diff = {"policyType": CONFIG, "unchanged": False, "summary": {}, "changes": changes, "notComparable": []}
    cut = bounded_diff(diff, 6_000)
    assert cut is not None and cut["truncated"] is True and cut["totalChanges"] == 400
    assert 0 < len(cut["changes"]) < 400 and cut["changes"] == changes[: len(cut["changes"])]
    assert len(json.dumps(cut)) <= 6_000
    small = {**diff, "changes": changes[:2]}
    assert bounded_diff(small) == small
    assert bounded_diff(None) is None


def test_a_subset_keeps_plan_order_and_names_items_the_preview_did_not_plan() -> None:
    planned = [PlannedItem(item(CONFIG, f"p{n}"), Action.UPDATE) for n in range(4)]
    chosen, unknown = subset(planned, [f"{CONFIG}:p3", f"{CONFIG}:p1"])
    assert [p.item_id for p in chosen] == [f"{CONFIG}:p1", f"{CONFIG}:p3"] and unknown == []
    _, unknown = subset(planned, [f"{CONFIG}:p1", f"{CONFIG}:nope"])
    assert unknown == [f"{CONFIG}:nope"]
    assert subset(planned, None) == (planned, [])


def test_a_planned_item_survives_its_json_form() -> None:
    planned = PlannedItem(item(), Action.UPDATE, "t1", "a" * 64, {"changes": []}, ("n",), None)
    assert PlannedItem.from_json(planned.to_json()) == planned


@pytest.mark.parametrize(
    ("counters", "expected"),
    [
        (Counters(succeeded=3, conflicts=1), RunStatus.PARTIALLY_SUCCEEDED),
        (Counters(conflicts=2), RunStatus.FAILED),
        (Counters(succeeded=2, skipped=1), RunStatus.SUCCEEDED),
    ],
)
def test_a_conflict_keeps_a_run_from_succeeding(counters: Counters, expected: RunStatus) -> None:
    assert derive_status(counters, fatal=False) == expected


def test_two_writes_of_one_target_keep_only_the_first_and_creates_of_one_name_all_stay() -> None:
    planned = [
        PlannedItem(item(CONFIG, "a", "Same"), Action.CREATE),
        PlannedItem(item(CONFIG, "b", "Same"), Action.CREATE),
        PlannedItem(item("deviceCompliancePolicies", "c", "Same"), Action.CREATE),
        PlannedItem(item(CONFIG, "d", "Other"), Action.UPDATE, target_id="t1"),
        PlannedItem(item(CONFIG, "e", "Renamed"), Action.UNCHANGED, target_id="t1"),
        PlannedItem(item(CONFIG, "f", "Same"), Action.SKIP, reason="default"),
    ]
    marked = mark_name_clashes(planned)
    assert [m.action for m in marked] == [
        Action.CREATE,
        Action.CREATE,
        Action.CREATE,
        Action.UPDATE,
        Action.CONFLICT,
        Action.SKIP,
    ]
    assert marked[0].notes == marked[1].notes == ("2 items of this restore create objects named 'Same'.",)
    assert marked[2].notes == ()
    assert marked[4].reason is not None and f"{CONFIG}:d" in marked[4].reason and marked[4].target_id == "t1"


def test_items_of_one_name_are_never_split_across_chunks() -> None:
    items = sort_for_restore(
        [item(CONFIG, f"a{n:02d}", f"Name {n:02d}") for n in range(CHUNK_SIZE - 1)]
        + [item(CONFIG, f"z{n}", "Name 99") for n in range(3)]
        + [item(CONFIG, "zz", "Name zz")]
    )
    chunks = plan_chunks(items)
    assert [(c.start, c.end) for c in chunks] == [(0, CHUNK_SIZE + 2), (CHUNK_SIZE + 2, CHUNK_SIZE + 3)]
    assert {i.display_name for i in items[CHUNK_SIZE - 1 : CHUNK_SIZE + 2]} == {"Name 99"}


def test_an_item_whose_exclusion_cannot_be_mapped_is_skipped_with_the_engine_reason() -> None:
    blocked = Remapped(
        content=LIVE, notes=("Group 'Pilot' is excluded ...",), blocked=("Group 'Pilot' is excluded ...",)
    )
    planned = decide(item(), LIVE, blocked, [], None)
    assert planned.action is Action.SKIP and planned.reason == "Group 'Pilot' is excluded ..."


def test_many_notes_are_cut_to_fit_a_run_item_and_the_rest_counted() -> None:
    notes = [f"Assignment to group 'G{n}' not restored: no such group in the target." for n in range(500)]
    kept = bounded_notes(notes, 1_000)
    assert kept[:-1] == notes[: len(kept) - 1] and kept[-1] == f"... and {500 - len(kept) + 1} more notes."
    assert sum(map(len, kept)) < 1_100
    assert bounded_notes(notes[:3]) == notes[:3]


def test_the_safety_backup_covers_updates_and_under_override_unchanged_items_too() -> None:
    planned = (
        PlannedItem(item(CONFIG, "u"), Action.UPDATE, target_id="t-u"),
        PlannedItem(item(CONFIG, "s"), Action.UNCHANGED, target_id="t-s"),
        PlannedItem(item(CONFIG, "c"), Action.CREATE),
        PlannedItem(item(CONFIG, "k"), Action.SKIP, reason="x"),
    )
    assert [i.target_id for i in items_to_update(planned)] == ["t-u"]
    assert [i.target_id for i in items_to_update(planned, override_conflicts=True)] == ["t-u", "t-s"]


def test_a_chunk_of_capture_only_types_is_planned_without_reading_the_target() -> None:
    tokens = [item("vppTokens", "v1"), item("applePushNotificationCertificate", "a1")]
    settled = settled_without_graph(tokens, lambda _: {})
    assert settled is not None and [p.action for p in settled] == [Action.SKIP, Action.SKIP]
    assert settled_without_graph([*tokens, item()], lambda _: {}) is None


def test_skip_and_conflict_items_are_settled_by_the_plan_alone() -> None:
    skipped = settled_by_plan(PlannedItem(item(), Action.SKIP, reason="default"))
    conflict = settled_by_plan(PlannedItem(item(), Action.CONFLICT, reason="two"))
    assert skipped is not None and (skipped.outcome, skipped.reason) == (ItemOutcome.SKIPPED, "default")
    assert conflict is not None and conflict.outcome is ItemOutcome.CONFLICT
    assert settled_by_plan(PlannedItem(item(), Action.UPDATE, target_id="t")) is None
