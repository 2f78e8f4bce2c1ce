"""Round trip: capture every restorable type of a `demo` tenant, write it into an empty tenant with
`write_item` in catalog restore order (into the target's own object for the types that are never
created: the tenant-wide settings, an app's assignments), capture the target, and compare type by type.

References are compared by name in each tenant's own space (group, filter, scope tag, template
and app IDs differ between tenants), so the check does not lean on the remapping under test.
One referenced group is missing in the target: its assignments must be reported, not written, and
a policy that excludes it must not be written at all (without the exclusion it would apply to more).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

from local.graphsim.testing import GraphSim
from shared.intune import SECRETS_MARKER, CapturedPolicy, restore_sequence
from shared.intune.catalog import TYPES
from shared.restore.lookup import find_matches, match_filter, natural_key
from shared.restore.remap import IdMap, build_id_map
from shared.restore.write import RestoreWouldWiden, WriteResult, write_item
from shared.storage import canonical_json
from tests.restore.roundtrip import (
    excludes,
    expected_in_target,
    in_names,
    reference_names,
    referenced_group,
    seed_references,
    without_server_defaults,
)

MakeClient = Callable[[str], Any]
Capture = Callable[[Any, list[str]], dict[str, list[CapturedPolicy]]]


def test_every_restorable_type_survives_a_round_trip_into_an_empty_tenant(
    sim: GraphSim,
    make_client: MakeClient,
    capture: Capture,
    demo_tenant: str,
    empty_tenant: str,
    no_throttle: None,
) -> None:
    source, target = make_client(demo_tenant), make_client(empty_tenant)
    restorable = [entry.name for entry in restore_sequence()]
    backup = capture(source, restorable)
    missing_group = referenced_group((name, p.payload) for name, typed in backup.items() for p in typed)
    seed_references(sim, demo_tenant, empty_tenant, missing_group)
    source_names = reference_names(sim, demo_tenant)
    missing_name = source_names[missing_group].removeprefix("group:")

    results: dict[str, list[tuple[CapturedPolicy, WriteResult]]] = {}
    refused: dict[str, list[CapturedPolicy]] = {}
    ids: IdMap = build_id_map(source, target)
    phase = 0
    for entry in restore_sequence():
        if phase and entry.restore_order != phase:
            ids = build_id_map(source, target)
        phase = entry.restore_order
        for policy in backup[entry.name]:
            existing = None
            if entry.target_must_exist:
                (existing,) = find_matches(
                    target,
                    entry.name,
                    natural_key(entry.name, policy.payload),
                    **match_filter(entry.name, policy.payload),
                )
            try:
                result = write_item(
                    target,
                    entry.name,
                    policy.payload,
                    target_id=existing,
                    ids=ids,
                    source_id=policy.policy_id,
                )
            except RestoreWouldWiden as exc:
                assert exc.exclusions == (missing_name,), (entry.name, exc.reason)
                refused.setdefault(entry.name, []).append(policy)
                continue
            assert result.action == ("updated" if entry.target_must_exist else "created")
            results.setdefault(entry.name, []).append((policy, result))

    covered = {name for name, written in results.items() if written}
    assert covered == {entry.name for entry in TYPES if entry.restorable}
    assert {(name, policy.policy_id) for name, policies in refused.items() for policy in policies} == {
        (name, policy.policy_id)
        for name, policies in backup.items()
        for policy in policies
        if excludes(policy.payload, missing_group)
    }, "exactly the policies that exclude the missing group are refused"

    restored = capture(target, restorable)
    target_names = reference_names(sim, empty_tenant)
    for name in restorable:
        want = Counter(
            canonical_json(in_names(expected_in_target(policy.payload, missing_group), source_names))
            for policy in backup[name]
            if policy not in refused.get(name, [])
        )
        source_keys = {key for policy in backup[name] for key in policy.payload}
        have = Counter(
            canonical_json(in_names(without_server_defaults(policy.payload, source_keys), target_names))
            for policy in restored[name]
        )
        assert have == want, (name, sorted(have - want)[:1], sorted(want - have)[:1])

    for name, written in results.items():
        for policy, result in written:
            assigned = [item["target"].get("groupId") for item in policy.payload.get("assignments") or []]
            if missing_group in assigned:
                assert any(missing_name in note and "not restored" in note for note in result.notes), (
                    name,
                    result.notes,
                )
            if SECRETS_MARKER in policy.payload:
                assert any("not captured" in note for note in result.notes), (name, result.notes)
    assert any(
        missing_group in [a["target"].get("groupId") for a in p.payload.get("assignments") or []]
        for policies in backup.values()
        for p in policies
    )
