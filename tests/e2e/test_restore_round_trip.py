"""Round trip through the API on the devhost: back up a demo tenant, preview and run a live restore of
that whole backup set into an empty tenant, back the target up, and compare the two backup sets type
by type (docs/architecture.md#restore; tests/restore/engine/test_round_trip.py proves the same at
the library level). Every restorable type is in the source, and every one is compared.

The source is a fresh tenant seeded like the demo profile's first one, so the other e2e tests cannot
change what is compared. The target holds Intune's defaults and the source's groups, apps (without
their assignments) and Apple token under the same names and new IDs (restore creates none of them),
but one group the source assigns to: items that exclude it must be planned as skip, and only those
(capture-only types aside). The tenant-wide settings and the apps' assignments are written into the
target's own objects (updates); everything else is created, the references policies name (reusable
settings, named locations, authentication strengths and contexts, roles) before the policies.
Contents are compared with references turned into names in each tenant's own space, so the check
does not lean on the remapping under test.
"""

from __future__ import annotations

import itertools
from collections import Counter
from typing import Any

import pytest

from local.apptesting import App
from local.graphsim.testing import GraphSim
from local.stack import GRAPHSIM_CREDENTIAL_REF
from shared.auth.memberships import MembershipStore
from shared.auth.roles import Role
from shared.intune.catalog import BY_NAME, TYPES
from shared.storage import canonical_json, payload_store
from shared.tenants import TenantRegistry
from tests.restore.roundtrip import (
    REFERENCE_VALUE,
    excludes,
    expected_in_target,
    in_names,
    reference_names,
    referenced_group,
    seed_references,
    without_server_defaults,
)

SOURCE_OPERATOR = "sol@msp.example"
"""Operator of the round trip's source tenant: backs it up."""
TARGET_ADMIN = "tara@msp.example"
"""Admin of the round trip's target tenant and reader of its source: restores one into the other."""
DEMO_SEED = {"objects": 150, "seed": 1}
"""What graphsim's demo profile seeds into its first tenant."""
_tenants = itertools.count(1)


def _register(app: App, tenant_id: str, name: str) -> None:
    for sim_app in app.graphsim.apps:
        app.graphsim.admin.consent(tenant_id, sim_app.client_id, sim_app.roles)
    TenantRegistry(app.storage).add(tenant_id, name, "public", GRAPHSIM_CREDENTIAL_REF)


def _run(app: App, started: Any, principal: str) -> dict[str, Any]:
    assert started.status_code == 202, started.text
    ended = app.wait_until_ended(started.headers["Location"], principal, timeout=300)
    assert ended.status_code == 200, ended.text
    run: dict[str, Any] = ended.json()
    return run


def _paged(app: App, path: str, principal: str, **params: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    token: str | None = None
    while True:
        query = {"pageSize": "1000", **params, **({"continuationToken": token} if token else {})}
        answer = app.get(path, principal, params=query)
        assert answer.status_code == 200, answer.text
        body = answer.json()
        items.extend(body["items"])
        token = body["continuationToken"]
        if not token:
            return items


def _backup(app: App, tenant: str, principal: str) -> tuple[str, dict[str, list[tuple[str, Any]]]]:
    """A backup of the tenant through the API: its ID and, per type, (policy ID, content) of each item."""
    run = _run(app, app.post(f"api/tenants/{tenant}/backups", principal), principal)
    failed = _paged(app, f"api/tenants/{tenant}/runs/{run['id']}/items", principal, outcome="failed")
    assert run["status"] == "succeeded", (run, [(i["itemId"], i["error"]) for i in failed])
    held = app.get(f"api/tenants/{tenant}/backups/{run['id']}", principal, params={"includeItems": "true"})
    assert held.status_code == 200, held.text
    store = payload_store(app.storage, tenant)
    return str(run["id"]), {
        name: [(item["policyId"], store.get_json(item["contentSha256"])) for item in items]
        for name, items in held.json()["items"].items()
    }


@pytest.mark.slow
def test_a_demo_tenant_backed_up_and_restored_into_an_empty_one_backs_up_the_same(
    app: App, clean_graph: GraphSim
) -> None:
    sim, admin = clean_graph, clean_graph.admin
    number = next(_tenants)
    source = admin.create_tenant(name=f"Round trip source {number}", seed=DEMO_SEED)
    target = admin.create_tenant(name=f"Round trip target {number}", seed="defaults")
    _register(app, source, f"Round trip source {number}")
    _register(app, target, f"Round trip target {number}")
    memberships = MembershipStore(app.storage, TenantRegistry(app.storage))
    for principal, tenant, role in (
        (SOURCE_OPERATOR, source, Role.OPERATOR),
        (TARGET_ADMIN, source, Role.READER),
        (TARGET_ADMIN, target, Role.ADMIN),
    ):
        memberships.grant(app.principal_key(principal), tenant, role, "e2e")

    backup_id, backed_up = _backup(app, source, SOURCE_OPERATOR)
    restorable = {entry.name for entry in TYPES if entry.restorable}
    contents = {
        (name, policy_id): content
        for name, items in backed_up.items()
        if name in restorable
        for policy_id, content in items
    }
    missing_group = referenced_group((name, content) for (name, _), content in contents.items())
    seed_references(sim, source, target, missing_group)

    preview = _run(
        app,
        app.post(
            f"api/tenants/{target}/restores",
            TARGET_ADMIN,
            json={"mode": "preview", "source": {"backupId": backup_id, "tenantId": source}},
        ),
        TARGET_ADMIN,
    )
    assert preview["status"] == "succeeded", preview
    planned = {
        i["itemId"]: i for i in _paged(app, f"api/tenants/{target}/runs/{preview['id']}/items", TARGET_ADMIN)
    }
    by_key = {f"{name}:{policy_id}": (name, policy_id) for name, policy_id in contents}
    assert set(by_key) <= set(planned)
    skipped = {key: item["reason"] for key, item in planned.items() if item["action"] == "skip"}
    capture_only = {
        key: BY_NAME[item["type"]].not_restorable_reason for key, item in planned.items() if key not in by_key
    }
    assert all(reason is not None for reason in capture_only.values()), capture_only
    widening = {
        key
        for key, (name, policy_id) in by_key.items()
        if excludes(contents[(name, policy_id)], missing_group)
    }
    assert widening, "some policy excludes the group the target lacks"
    assert skipped == capture_only | {key: skipped.get(key) for key in widening}, skipped
    missing_name = reference_names(sim, source)[missing_group].removeprefix("group:")
    assert all(
        "is excluded" in str(skipped[key]) and missing_name in str(skipped[key]) for key in widening
    ), {k: skipped[k] for k in widening}
    into_existing = {key for key, (name, _) in by_key.items() if BY_NAME[name].target_must_exist}
    creates = {key for key, item in planned.items() if item["action"] == "create"}
    updates = {key for key, item in planned.items() if item["action"] == "update"}
    unchanged = {key for key, item in planned.items() if item["action"] == "unchanged"}
    assert creates == set(by_key) - widening - into_existing, {
        k: v["action"] for k, v in planned.items() if k not in creates
    }
    assert updates | unchanged == into_existing - widening and updates, (
        "settings and apps go into the target's own"
    )

    live = _run(
        app,
        app.post(
            f"api/tenants/{target}/restores",
            TARGET_ADMIN,
            json={"mode": "live", "previewRunId": preview["id"], "confirm": True},
        ),
        TARGET_ADMIN,
    )
    outcomes = {
        i["itemId"]: i for i in _paged(app, f"api/tenants/{target}/runs/{live['id']}/items", TARGET_ADMIN)
    }
    assert live["status"] == "succeeded", live
    assert {key for key, item in outcomes.items() if item["outcome"] == "succeeded"} == creates | updates
    assert all(outcomes[key]["action"] == "create" for key in creates)
    assert all(outcomes[key]["action"] == "update" for key in updates)
    assert {key for key, item in outcomes.items() if item["outcome"] == "skipped"} == set(skipped) | unchanged
    assert set(outcomes) == set(planned)
    noted = 0
    for key in creates | updates:
        name, policy_id = by_key[key]
        assigned = [a["target"].get("groupId") for a in contents[(name, policy_id)].get("assignments") or []]
        if missing_group in assigned:
            notes = outcomes[key]["details"]["notes"]
            assert any(missing_name in note and "not restored" in note for note in notes), (key, notes)
            noted += 1
    assert noted, "some written policy assigned the group the target lacks"
    audit = _paged(app, f"api/tenants/{target}/audit", TARGET_ADMIN, action="restore.write")
    written = Counter(event["details"]["itemId"] for event in audit if event["runId"] == live["id"])
    assert written == Counter(creates | updates), (written - Counter(creates | updates),)

    _, restored = _backup(app, target, TARGET_ADMIN)
    source_names, target_names = reference_names(sim, source), reference_names(sim, target)
    assert {name for name, _ in contents} == restorable, "the source holds every restorable type"
    compared = set()
    for name in sorted(restorable):
        want = Counter(
            canonical_json(in_names(expected_in_target(content, missing_group), source_names))
            for (typed, policy_id), content in contents.items()
            if typed == name and f"{name}:{policy_id}" not in widening
        )
        source_keys = {key for (typed, _), content in contents.items() if typed == name for key in content}
        have = Counter(
            canonical_json(in_names(without_server_defaults(content, source_keys), target_names))
            for _, content in restored.get(name, [])
        )
        assert have == want, (name, sorted(have - want)[:1], sorted(want - have)[:1])
        if want:
            compared.add(name)
    assert compared == restorable
    _references_point_at_the_targets_copies(restored, target_names)


def _references_point_at_the_targets_copies(
    restored: dict[str, list[tuple[str, Any]]], target_names: dict[str, str]
) -> None:
    """Said outright, though the comparison above implies it: a settings catalog policy that names a
    reusable setting names the target's copy, and a conditional access policy that names a location
    and an authentication strength names the target's, by ID."""
    reusable = [
        value["value"]
        for _, policy in restored["configurationPolicies"]
        for setting in policy["settings"]
        for value in setting["settingInstance"].get("simpleSettingCollectionValue") or []
        if value["@odata.type"] == REFERENCE_VALUE
    ]
    assert reusable and all(target_names[value].startswith("reusable:") for value in reusable)
    named = [
        policy
        for _, policy in restored["conditionalAccessPolicies"]
        if (policy["conditions"].get("locations") or {}).get("excludeLocations")
        and policy["grantControls"].get("authenticationStrength")
    ]
    assert named, "the source has a CA policy naming a location and a strength"
    for policy in named:
        assert all(
            target_names[i].startswith("location:")
            for i in policy["conditions"]["locations"]["excludeLocations"]
        )
        assert target_names[policy["grantControls"]["authenticationStrength"]["id"]].startswith("strength:")
