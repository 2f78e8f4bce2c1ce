"""A conditional access policy that names a named location and an authentication strength, restored
into another tenant: while the target lacks the location the item is planned as skip and refused
before any write, with the reason naming it (written without it, the policy would apply where the
source's does not); once the location and strength are restored it is written naming the target's."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import pytest

from local.graphsim.testing import GraphSim
from shared.graph import GraphClient
from shared.intune import capture_policy
from shared.restore.model import Action, SourceItem
from shared.restore.plan import plan_items
from shared.restore.remap import build_id_map
from shared.restore.write import RestoreWouldWiden, write_item

MakeClient = Callable[[str], GraphClient]
CA = "/identity/conditionalAccess"
BUILT_IN = "00000000-0000-0000-0000-0000000000"


def access_policy(sim: GraphSim, tenant: str) -> dict[str, Any]:
    policies = sim.admin.tenant_state(tenant)["collections"]["identity/conditionalAccess/policies"]
    return next(
        policy
        for policy in policies
        if (policy["conditions"].get("locations") or {}).get("excludeLocations")
        and (policy["grantControls"] or {}).get("authenticationStrength")
    )


def test_a_policy_naming_a_location_and_a_strength_waits_for_both_then_names_the_targets(
    sim: GraphSim, make_client: MakeClient, demo_tenant: str, customer_tenant: str, no_throttle: None
) -> None:
    source, target = make_client(demo_tenant), make_client(customer_tenant)
    policy = access_policy(sim, demo_tenant)
    captured = capture_policy(source, "conditionalAccessPolicies", policy["id"])
    (location_id,) = policy["conditions"]["locations"]["excludeLocations"]
    location = capture_policy(source, "namedLocations", location_id)
    strength_id = policy["grantControls"]["authenticationStrength"]["id"]
    sim.admin.clear_log()

    item = SourceItem("conditionalAccessPolicies", policy["id"], policy["displayName"], "v", "sha")
    read_only = make_client(customer_tenant)
    read_only.config = dataclasses.replace(read_only.config, read_only=True)
    (planned,) = plan_items(
        read_only, build_id_map(source, read_only), [item], lambda _: captured.payload
    ).planned
    assert planned.action is Action.SKIP
    assert f"Named location '{location.display_name}' in conditions.locations.excludeLocations" in str(
        planned.reason
    )
    with pytest.raises(RestoreWouldWiden) as refused:
        write_item(
            target, item.policy_type, captured.payload, target_id=None, ids=build_id_map(source, target)
        )
    custom = not strength_id.startswith(BUILT_IN)
    strengths = sim.admin.tenant_state(demo_tenant)["collections"]["policies/authenticationStrengthPolicies"]
    strength_name = next(s["displayName"] for s in strengths if s["id"] == strength_id)
    missing = (f"named location {location.display_name}",)
    assert refused.value.exclusions == missing + (
        (f"authentication strength {strength_name}",) if custom else ()
    )
    assert not [e for e in sim.admin.log(tenant=customer_tenant, kind="graph") if e["method"] != "GET"]

    ids = build_id_map(source, target)
    written_location = write_item(
        target, "namedLocations", location.payload, target_id=None, ids=ids
    ).target_id
    written_strength = strength_id
    if custom:
        strength = capture_policy(source, "authenticationStrengthPolicies", strength_id)
        written_strength = write_item(
            target, "authenticationStrengthPolicies", strength.payload, target_id=None, ids=ids
        ).target_id
    result = write_item(
        target, item.policy_type, captured.payload, target_id=None, ids=build_id_map(source, target)
    )

    written = target.get(f"{CA}/policies/{result.target_id}", version="v1.0")
    assert written["conditions"]["locations"]["excludeLocations"] == [written_location]
    assert written["grantControls"]["authenticationStrength"]["id"] == written_strength
    assert written_location != location_id and (written_strength == strength_id) == strength_id.startswith(
        BUILT_IN
    )
