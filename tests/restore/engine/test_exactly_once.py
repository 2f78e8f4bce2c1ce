"""Exactly once: every create is applied by graphsim and then its connection is cut, so the client
never learns the outcome (`GraphWriteOutcomeUnknown`). Writing 50 items must leave 50 new objects."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from itertools import zip_longest
from typing import Any

from local.graphsim.testing import GraphSim
from shared.intune import CapturedPolicy, restore_sequence
from shared.intune.catalog import ORDER_ACCESS_REFERENCES
from shared.restore.lookup import find_matches, match_filter
from shared.restore.remap import IdMap, build_id_map, remap_content
from shared.restore.write import write_item

MakeClient = Callable[[str], Any]
Capture = Callable[[Any, list[str]], dict[str, list[CapturedPolicy]]]
CREATES = [
    {"method": "POST", "path": r"^/beta/device(App)?Management/[A-Za-z]+$", "action": "apply_then_drop"},
    {
        "method": "POST",
        "path": r"^/beta/deviceManagement/virtualEndpoint/[A-Za-z]+$",
        "action": "apply_then_drop",
    },
    {"method": "POST", "path": r"^/v1\.0/identity/conditionalAccess/[A-Za-z]+$", "action": "apply_then_drop"},
    {
        "method": "POST",
        "path": r"^/v1\.0/policies/authenticationStrengthPolicies$",
        "action": "apply_then_drop",
    },
    {"method": "POST", "path": r"/templates/[^/]+/createInstance$", "action": "apply_then_drop"},
    {
        "method": "POST",
        "path": r"/(localizedNotificationMessages|assignments|enrollmentProfiles)$",
        "action": "apply_then_drop",
    },
]
"""Every request that makes a new object: collections, intent templates, Apple enrollment profiles
in their token, localized messages and per-target assignments (the last two are syncs that must
not add twice either)."""
APPLE_TOKENS = "deviceManagement/depOnboardingSettings"


def pick_items(
    backup: dict[str, list[CapturedPolicy]], count: int, ids: IdMap
) -> list[tuple[str, CapturedPolicy]]:
    """`count` items taken round-robin over the created policy types and the references policies
    name, one per name, so every strategy is in; none that a missing reference would block."""
    per_type = []
    for entry in restore_sequence():
        if entry.restore_order >= ORDER_ACCESS_REFERENCES or entry.name == "notificationMessageTemplates":
            if entry.target_must_exist:
                continue
            unique = {
                policy.display_name: policy
                for policy in backup[entry.name]
                if not remap_content(entry.name, policy.payload, ids).blocked
            }
            per_type.append([(entry.name, policy) for policy in unique.values()])
    mixed = [item for row in zip_longest(*per_type) for item in row if item is not None]
    assert len(mixed) >= count
    return mixed[:count]


def test_fifty_creates_whose_answers_are_lost_leave_fifty_objects(
    sim: GraphSim,
    make_client: MakeClient,
    capture: Capture,
    demo_tenant: str,
    customer_tenant: str,
    no_throttle: None,
) -> None:
    source, target = make_client(demo_tenant), make_client(customer_tenant)
    for token in sim.admin.tenant_state(demo_tenant)["collections"][APPLE_TOKENS]:
        sim.admin.put_object(
            customer_tenant, APPLE_TOKENS, {"tokenName": token["tokenName"], "enrollmentProfiles": []}
        )
    backup = capture(source, [entry.name for entry in restore_sequence()])
    ids = build_id_map(source, target)
    items = pick_items(backup, 50, ids)
    types = sorted({name for name, _ in items})
    assert {"appleEnrollmentProfiles", "authenticationContextClassReferences", "cloudPcUserSettings"} <= set(
        types
    )
    before = {name: len(capture(target, [name])[name]) for name in types}
    sim.admin.set_faults(rules=CREATES)
    sim.admin.clear_log()

    for name, policy in items:
        result = write_item(target, name, policy.payload, target_id=None, ids=ids, source_id=policy.policy_id)
        assert result.action == "created"
        assert "answer was lost" in " ".join(result.notes)

    sim.admin.set_faults(rules=[])
    lost = sim.admin.log(tenant=customer_tenant, method="POST", faulted=True)
    assert len(lost) >= 50 and all("apply_then_drop" in entry["fault"] for entry in lost)
    after = capture(target, types)
    assert sum(len(after[name]) - before[name] for name in types) == 50
    assert Counter(name for name, _ in items) == Counter(
        {name: len(after[name]) - before[name] for name in types}
    )
    for name, policy in items:
        matches = find_matches(target, name, policy.display_name, **match_filter(name, policy.payload))
        assert len(matches) == 1, (name, policy.display_name)
