"""Restore end to end through the API on the devhost: a read-only preview (graphsim's request log
proves it), a live restore of a drifted policy with its audit trail and safety backup (which undoes
it), conflicts and their override, subsets, retry of failed items, every refusal, and a cross-tenant
restore from a seeded tenant into an empty one.

Each test works on policies of its own in tenants of this module (a seeded one and an empty one),
so neither the other e2e tests nor the order of these ones matter.
"""

from __future__ import annotations

import itertools
import secrets
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import pytest
import requests

from local.apptesting import CONFIGURATIONS, OPERATOR_A, App
from local.graphsim.testing import GraphSim
from local.stack import GRAPHSIM_CREDENTIAL_REF
from shared.auth.memberships import MembershipStore
from shared.auth.roles import Role
from shared.runs import RunTables, finish, mark_running, start_or_reuse
from shared.storage import names
from shared.tenants import TenantRegistry
from tests.e2e import trail

ADMIN = "ada@msp.example"
OPERATOR = "otto@msp.example"
CROSS_ADMIN = "carl@msp.example"
"""Admin of the empty tenant, reader of the seeded one and of demo tenant A: may roll their baselines out."""
TARGET_ONLY_ADMIN = "dora@msp.example"
"""Admin of the empty tenant without any role on the seeded one."""
CROSS_TYPES = [
    "configurationPolicies",
    "groupPolicyConfigurations",
    "deviceManagementScripts",
    "roleScopeTags",
    "assignmentFilters",
    "notificationMessageTemplates",
    "deviceCompliancePolicies",
    "deviceConfigurations",
    "reusablePolicySettings",
]
"""A baseline: policies and what they refer to (scope tags, filters, templates, reusable settings)."""
_names = itertools.count(1)


@dataclass(frozen=True)
class Tenants:
    seeded: str
    empty: str


def _register(app: App, tenant_id: str, name: str) -> None:
    for sim_app in app.graphsim.apps:
        app.graphsim.admin.consent(tenant_id, sim_app.client_id, sim_app.roles)
    TenantRegistry(app.storage).add(tenant_id, name, "public", GRAPHSIM_CREDENTIAL_REF)


@pytest.fixture(scope="module")
def tenants(app: App) -> Tenants:
    admin = app.graphsim.admin
    seeded = admin.create_tenant(name="Restore source", seed={"objects": 40, "seed": 11})
    empty = admin.create_tenant(name="Restore empty target", seed="defaults")
    _register(app, seeded, "Restore source")
    _register(app, empty, "Restore empty target")
    memberships = MembershipStore(app.storage, TenantRegistry(app.storage))
    for principal, tenant, role in (
        (ADMIN, seeded, Role.ADMIN),
        (OPERATOR, seeded, Role.OPERATOR),
        (CROSS_ADMIN, empty, Role.ADMIN),
        (CROSS_ADMIN, seeded, Role.READER),
        (CROSS_ADMIN, app.tenant_a, Role.READER),
        (TARGET_ONLY_ADMIN, empty, Role.ADMIN),
    ):
        memberships.grant(app.principal_key(principal), tenant, role, "e2e")
    return Tenants(seeded, empty)


@pytest.fixture
def graph(clean_graph: GraphSim) -> Iterator[GraphSim]:
    yield clean_graph


# Helpers: the API as a caller uses it.


def _wait(app: App, started: Any, principal: str, timeout: float = 120) -> dict[str, Any]:
    assert started.status_code == 202, started.text
    ended = app.wait_until_ended(started.headers["Location"], principal, timeout=timeout)
    assert ended.status_code == 200, ended.text
    run: dict[str, Any] = ended.json()
    return run


def _items(app: App, tenant: str, run_id: str, principal: str = ADMIN) -> dict[str, dict[str, Any]]:
    answer = app.get(f"api/tenants/{tenant}/runs/{run_id}/items", principal, params={"pageSize": "1000"})
    assert answer.status_code == 200, answer.text
    return {item["itemId"]: item for item in answer.json()["items"]}


def _policy(app: App, tenant: str, length: int = 8) -> str:
    return app.new_policy(
        tenant, displayName=f"Restore e2e {next(_names)} {secrets.token_hex(3)}", passwordMinimumLength=length
    )


def _snapshot(app: App, tenant: str, policy_id: str) -> dict[str, str]:
    """Capture one policy; the version a preview can name as its source."""
    run = _wait(app, app.post(app.capture_path(tenant, policy_id), ADMIN), ADMIN)
    assert run["status"] == "succeeded", run
    item = _items(app, tenant, run["id"])[f"deviceConfigurations:{policy_id}"]
    return {"type": "deviceConfigurations", "policyId": policy_id, "versionId": item["versionId"]}


def _drift(app: App, tenant: str, policy_id: str, length: int) -> None:
    app.graphsim.admin.patch_object(tenant, CONFIGURATIONS, policy_id, {"passwordMinimumLength": length})


def _length(app: App, tenant: str, policy_id: str) -> int:
    state = app.graphsim.admin.tenant_state(tenant)["collections"][CONFIGURATIONS]
    return int(next(o for o in state if o["id"] == policy_id)["passwordMinimumLength"])


def _start(app: App, tenant: str, principal: str, body: dict[str, Any]) -> Any:
    return app.post(f"api/tenants/{tenant}/restores", principal, json=body)


def _preview(
    app: App, tenant: str, source: dict[str, Any], principal: str = OPERATOR, **extra: Any
) -> dict[str, Any]:
    run = _wait(
        app, _start(app, tenant, principal, {"mode": "preview", "source": source, **extra}), principal
    )
    assert run["status"] in ("succeeded", "partially_succeeded"), run
    return run


def _live(app: App, tenant: str, preview_id: str, principal: str = ADMIN, **extra: Any) -> dict[str, Any]:
    body = {"mode": "live", "previewRunId": preview_id, "confirm": True, **extra}
    return _wait(app, _start(app, tenant, principal, body), principal)


def _assert_progress_reported(run: dict[str, Any], items: dict[str, dict[str, Any]]) -> None:
    """The run's figures end equal to its item outcomes, and the per-part figures behind `processed`
    (written only while the run is active) add up to them: progress was reported as chunks ended."""
    counters = run["counters"]
    assert counters["total"] == counters["processed"] == len(items), run
    assert sum(run["summary"]["processedByPart"].values()) == len(items), run


def _item_id(policy_id: str) -> str:
    return f"deviceConfigurations:{policy_id}"


# Tests


def test_a_preview_makes_no_write_and_plans_each_item_with_an_action_and_a_diff(
    app: App, graph: GraphSim, tenants: Tenants
) -> None:
    drifted, same, deleted = (_policy(app, tenants.seeded) for _ in range(3))
    versions = [_snapshot(app, tenants.seeded, p) for p in (drifted, same, deleted)]
    _drift(app, tenants.seeded, drifted, 4)
    graph.admin.delete_object(tenants.seeded, CONFIGURATIONS, deleted)
    graph.admin.clear_log()

    run = _preview(app, tenants.seeded, {"versions": versions})

    log = graph.admin.log(tenant=tenants.seeded)
    assert any(entry["in_batch"] for entry in log), "the preview reads through $batch"
    graph_requests = [entry for entry in log if entry["kind"] == "graph"]
    assert graph_requests and {entry["method"] for entry in graph_requests} == {"GET"}
    assert {entry["path"] for entry in log if entry["kind"] == "batch"} <= {"/beta/$batch", "/v1.0/$batch"}
    items = _items(app, tenants.seeded, run["id"])
    assert set(items) == {_item_id(p) for p in (drifted, same, deleted)}
    update, unchanged, create = items[_item_id(drifted)], items[_item_id(same)], items[_item_id(deleted)]
    assert (update["action"], unchanged["action"], create["action"]) == ("update", "unchanged", "create")
    assert update["details"]["targetId"] == drifted and len(update["details"]["targetSha256"]) == 64
    assert update["details"]["diff"]["changes"] == [
        {"op": "changed", "path": "passwordMinimumLength", "before": 4, "after": 8}
    ]
    assert unchanged["details"]["diff"]["changes"] == []
    assert create["details"]["targetId"] is None and create["details"]["diff"]["changes"]
    assert run["summary"]["actions"] == {"update": 1, "unchanged": 1, "create": 1}
    staged = app.storage.container(names.MANIFESTS_CONTAINER).list_blobs(
        name_starts_with=f"restores/{tenants.seeded}/{run['id']}/"
    )
    assert [blob.name for blob in staged] == [f"restores/{tenants.seeded}/{run['id']}/plan.json"]
    assert _length(app, tenants.seeded, drifted) == 4


def test_live_restores_a_drifted_policy_audits_the_write_and_its_safety_backup_undoes_it(
    app: App, graph: GraphSim, tenants: Tenants
) -> None:
    policy = _policy(app, tenants.seeded, 12)
    version = _snapshot(app, tenants.seeded, policy)
    _drift(app, tenants.seeded, policy, 5)
    preview = _preview(app, tenants.seeded, {"versions": [version]})

    live = _live(app, tenants.seeded, preview["id"])

    assert live["status"] == "succeeded", live
    assert _length(app, tenants.seeded, policy) == 12
    item = _items(app, tenants.seeded, live["id"])[_item_id(policy)]
    assert (item["outcome"], item["action"], item["details"]["targetId"]) == ("succeeded", "update", policy)
    assert live["source"]["previewRunId"] == preview["id"]
    assert live["summary"]["links"]["preview"].endswith(f"/runs/{preview['id']}")
    audit = app.get(f"api/tenants/{tenants.seeded}/audit", ADMIN, params={"action": "restore.write"}).json()[
        "items"
    ]
    writes = [e for e in audit if e["runId"] == live["id"]]
    assert len(writes) == 1
    details = writes[0]["details"]
    assert writes[0]["actor"] == app.principal_key(ADMIN)
    assert details["itemId"] == _item_id(policy) and details["targetId"] == policy
    assert details["action"] == "update"
    assert details["hashBefore"] == item["details"]["hashBefore"] != details["hashAfter"]
    assert details["hashBefore"] == preview_item_hash(app, tenants.seeded, preview["id"], policy)

    safety_id = live["summary"]["safetyBackupId"]
    assert live["summary"]["links"]["safetyBackup"].endswith(f"/backups/{safety_id}")
    safety = app.get(
        f"api/tenants/{tenants.seeded}/backups/{safety_id}", ADMIN, params={"includeItems": "true"}
    ).json()
    assert safety["kind"] == "safety" and safety["referencedBy"] == [live["id"]]
    assert [e["policyId"] for e in safety["items"]["deviceConfigurations"]] == [policy]

    undo_preview = _preview(app, tenants.seeded, {"backupId": safety_id})
    assert _items(app, tenants.seeded, undo_preview["id"])[_item_id(policy)]["action"] == "update"
    undo = _live(app, tenants.seeded, undo_preview["id"])
    assert undo["status"] == "succeeded", undo
    assert _length(app, tenants.seeded, policy) == 5


def preview_item_hash(app: App, tenant: str, preview_id: str, policy_id: str) -> str:
    return str(_items(app, tenant, preview_id)[_item_id(policy_id)]["details"]["targetSha256"])


def test_a_target_changed_after_the_preview_is_a_conflict_unless_overridden(
    app: App, graph: GraphSim, tenants: Tenants
) -> None:
    policy = _policy(app, tenants.seeded, 10)
    version = _snapshot(app, tenants.seeded, policy)
    _drift(app, tenants.seeded, policy, 6)
    preview = _preview(app, tenants.seeded, {"versions": [version]})
    _drift(app, tenants.seeded, policy, 7)

    guarded = _live(app, tenants.seeded, preview["id"])

    assert guarded["status"] == "failed" and guarded["counters"]["conflict"] == 1, guarded
    item = _items(app, tenants.seeded, guarded["id"])[_item_id(policy)]
    assert item["outcome"] == "conflict" and "changed since the preview" in item["reason"]
    assert _length(app, tenants.seeded, policy) == 7

    overridden = _live(app, tenants.seeded, preview["id"], overrideConflicts=True)

    assert overridden["status"] == "succeeded", overridden
    assert _length(app, tenants.seeded, policy) == 10
    item = _items(app, tenants.seeded, overridden["id"])[_item_id(policy)]
    assert item["outcome"] == "succeeded" and "Overrode" in item["details"]["notes"][0]


def test_a_subset_writes_only_the_chosen_items(app: App, graph: GraphSim, tenants: Tenants) -> None:
    chosen, other = _policy(app, tenants.seeded, 9), _policy(app, tenants.seeded, 9)
    versions = [_snapshot(app, tenants.seeded, p) for p in (chosen, other)]
    for policy in (chosen, other):
        _drift(app, tenants.seeded, policy, 3)
    preview = _preview(app, tenants.seeded, {"versions": versions})

    live = _live(app, tenants.seeded, preview["id"], items=[_item_id(chosen)])

    assert live["status"] == "succeeded", live
    assert set(_items(app, tenants.seeded, live["id"])) == {_item_id(chosen)}
    assert (_length(app, tenants.seeded, chosen), _length(app, tenants.seeded, other)) == (9, 3)


def test_retry_writes_only_the_failed_items_of_a_live_restore(
    app: App, graph: GraphSim, tenants: Tenants
) -> None:
    ok, failing = _policy(app, tenants.seeded, 11), _policy(app, tenants.seeded, 11)
    versions = [_snapshot(app, tenants.seeded, p) for p in (ok, failing)]
    for policy in (ok, failing):
        _drift(app, tenants.seeded, policy, 2)
    preview = _preview(app, tenants.seeded, {"versions": versions})
    graph.admin.set_faults(
        rules=[
            {
                "method": "PATCH",
                "path": f"deviceConfigurations/{failing}$",
                "action": "status",
                "status": 400,
                "code": "BadRequest",
                "message": "Simulated validation failure",
            }
        ]
    )

    first = _live(app, tenants.seeded, preview["id"])

    assert first["status"] == "partially_succeeded", first
    outcomes = {k: v["outcome"] for k, v in _items(app, tenants.seeded, first["id"]).items()}
    assert outcomes == {_item_id(ok): "succeeded", _item_id(failing): "failed"}
    assert _length(app, tenants.seeded, failing) == 2
    trail = app.get(f"api/tenants/{tenants.seeded}/audit", ADMIN, params={"action": "restore.write"}).json()
    writes = {(e["details"]["itemId"], e["outcome"]) for e in trail["items"] if e["runId"] == first["id"]}
    assert writes == {(_item_id(ok), "succeeded"), (_item_id(failing), "failed")}
    graph.admin.set_faults(rules=[])
    graph.admin.clear_log()

    retry = _wait(
        app,
        app.post(f"api/tenants/{tenants.seeded}/runs/{first['id']}/retry", ADMIN, json={"confirm": True}),
        ADMIN,
    )

    assert retry["status"] == "succeeded", retry
    assert retry["parameters"]["retryOf"] == first["id"]
    assert set(_items(app, tenants.seeded, retry["id"])) == {_item_id(failing)}
    assert _length(app, tenants.seeded, failing) == 11
    patches = graph.admin.log(tenant=tenants.seeded, method="PATCH")
    assert patches and all(failing in entry["path"] for entry in patches)
    nothing_left = app.post(
        f"api/tenants/{tenants.seeded}/runs/{retry['id']}/retry", ADMIN, json={"confirm": True}
    )
    assert (nothing_left.status_code, nothing_left.json()["code"]) == (409, "restore.nothing_to_retry")


def test_a_create_whose_answer_is_lost_is_written_exactly_once(
    app: App, graph: GraphSim, tenants: Tenants
) -> None:
    policy = _policy(app, tenants.seeded, 13)
    version = _snapshot(app, tenants.seeded, policy)
    name = next(
        o["displayName"]
        for o in graph.admin.tenant_state(tenants.seeded)["collections"][CONFIGURATIONS]
        if o["id"] == policy
    )
    graph.admin.delete_object(tenants.seeded, CONFIGURATIONS, policy)
    preview = _preview(app, tenants.seeded, {"versions": [version]})
    assert _items(app, tenants.seeded, preview["id"])[_item_id(policy)]["action"] == "create"
    graph.admin.set_faults(
        rules=[{"method": "POST", "path": r"/deviceConfigurations$", "action": "apply_then_drop"}]
    )

    live = _live(app, tenants.seeded, preview["id"])

    assert live["status"] == "succeeded", live
    assert graph.admin.log(tenant=tenants.seeded, method="POST", faulted=True)
    held = [
        o
        for o in graph.admin.tenant_state(tenants.seeded)["collections"][CONFIGURATIONS]
        if o["displayName"] == name
    ]
    assert len(held) == 1
    item = _items(app, tenants.seeded, live["id"])[_item_id(policy)]
    assert (item["action"], item["details"]["targetId"]) == ("create", held[0]["id"])


@pytest.mark.slow
def test_a_write_throttled_beyond_the_client_budget_is_waited_out_by_a_durable_timer(
    app: App, graph: GraphSim, tenants: Tenants
) -> None:
    policy = _policy(app, tenants.seeded, 14)
    version = _snapshot(app, tenants.seeded, policy)
    _drift(app, tenants.seeded, policy, 1)
    preview = _preview(app, tenants.seeded, {"versions": [version]})
    rule = {
        "method": "PATCH",
        "path": f"deviceConfigurations/{policy}$",
        "occurrences": [1],
        "action": "status",
        "status": 429,
        "retry_after": "30.5",
    }
    graph.admin.set_faults(rules=[rule])
    log_before = len(app.devhost.log_text())

    live = _live(app, tenants.seeded, preview["id"])

    assert live["status"] == "succeeded", live
    assert _length(app, tenants.seeded, policy) == 14
    assert app.devhost.log_text()[log_before:].count("Executed 'Functions.restore_apply_chunk'") == 2
    assert len(graph.admin.log(tenant=tenants.seeded, method="PATCH", status=429)) == 1


def _refused(answer: Any, status: int, code: str) -> None:
    assert answer.status_code == status, answer.text
    assert answer.headers["Content-Type"].startswith("application/problem+json")
    assert answer.json()["code"] == code, answer.text


def test_each_refusal_is_a_clear_4xx_with_a_stable_code(app: App, graph: GraphSim, tenants: Tenants) -> None:
    seeded = tenants.seeded
    version = _snapshot(app, seeded, _policy(app, seeded))
    preview = _preview(app, seeded, {"versions": [version]})
    live = {"mode": "live", "previewRunId": preview["id"], "confirm": True}
    since = trail.now()

    _refused(_start(app, seeded, OPERATOR, live), 403, "auth.insufficient_role")
    _refused(_start(app, seeded, ADMIN, {**live, "confirm": False}), 422, "restore.not_confirmed")
    _refused(
        _start(app, seeded, ADMIN, {k: v for k, v in live.items() if k != "confirm"}),
        422,
        "restore.not_confirmed",
    )
    _refused(
        _start(app, seeded, ADMIN, {**live, "previewRunId": "000000000000000000-abcdefabcdef"}),
        404,
        "restore.preview_not_found",
    )
    _refused(
        _start(app, seeded, ADMIN, {**live, "items": ["deviceConfigurations:not-planned"]}),
        422,
        "restore.items_not_in_preview",
    )
    _refused(_start(app, seeded, ADMIN, {"mode": "sideways"}), 400, "restore.invalid_request")
    _refused(_start(app, seeded, ADMIN, {**live, "overrideConflicts": "yes"}), 400, "restore.invalid_request")
    _refused(_start(app, seeded, OPERATOR, {"mode": "preview", "source": {}}), 400, "restore.invalid_request")
    bad_json = requests.post(
        app.devhost.url(f"api/tenants/{seeded}/restores"),
        data=b"{not json",
        headers={**app.headers(ADMIN), "Content-Type": "application/json"},
        timeout=30,
    )
    _refused(bad_json, 400, "restore.invalid_request")
    _refused(
        _start(
            app,
            seeded,
            OPERATOR,
            {"mode": "preview", "source": {"backupId": "000000000000000000-abcdefabcdef"}},
        ),
        404,
        "backup.not_found",
    )

    other_tenant_preview = _preview(
        app, tenants.empty, {"versions": [version], "tenantId": seeded}, principal=CROSS_ADMIN
    )
    _refused(
        _start(app, seeded, ADMIN, {**live, "previewRunId": other_tenant_preview["id"]}),
        404,
        "restore.preview_not_found",
    )

    _refused(
        _start(app, tenants.empty, TARGET_ONLY_ADMIN, {**live, "previewRunId": other_tenant_preview["id"]}),
        403,
        "auth.forbidden",
    )

    tables = RunTables.from_account(app.storage)
    queued, _ = start_or_reuse(tables, seeded, "restore.preview", [secrets.token_hex(4)], "e2e", source={})
    _refused(
        _start(app, seeded, ADMIN, {**live, "previewRunId": queued.run_id}),
        409,
        "restore.preview_not_finished",
    )
    failed, _ = start_or_reuse(tables, seeded, "restore.preview", [secrets.token_hex(4)], "e2e", source={})
    mark_running(tables, seeded, failed.run_id)
    finish(tables, seeded, failed.run_id, error="planning failed")
    _refused(
        _start(app, seeded, ADMIN, {**live, "previewRunId": failed.run_id}), 409, "restore.preview_failed"
    )
    capture = _wait(app, app.post(app.capture_path(seeded, version["policyId"]), ADMIN), ADMIN)
    _refused(
        _start(app, seeded, ADMIN, {**live, "previewRunId": capture["id"]}), 409, "restore.not_a_preview"
    )
    _refused(
        app.post(f"api/tenants/{seeded}/runs/{capture['id']}/retry", ADMIN, json={"confirm": True}),
        409,
        "restore.not_retryable",
    )
    _refused(
        app.post(f"api/tenants/{seeded}/runs/{preview['id']}/retry", OPERATOR, json={"confirm": True}),
        403,
        "auth.insufficient_role",
    )

    cross = {"mode": "preview", "source": {"versions": [version], "tenantId": seeded}}
    _refused(_start(app, tenants.empty, TARGET_ONLY_ADMIN, cross), 403, "auth.forbidden")
    _refused(_start(app, seeded, OPERATOR_A, cross), 403, "auth.forbidden")
    # The 403s are audited in the seeded tenant's trail, the cross-tenant ones too (its data was asked for).
    otto, dora = app.principal_key(OPERATOR), app.principal_key(TARGET_ONLY_ADMIN)
    assert trail.denials(app, seeded, ADMIN, since) == [
        (otto, "restore.live", "auth.insufficient_role"),
        (dora, "restore.source", "auth.forbidden"),
        (otto, "restore.retry", "auth.insufficient_role"),
        (dora, "restore.source", "auth.forbidden"),
        (app.principal_key(OPERATOR_A), "restore.request", "auth.forbidden"),
    ]
    assert trail.denials(app, tenants.empty, CROSS_ADMIN, since) == []


@pytest.mark.slow
def test_a_baseline_rolls_out_from_a_demo_tenant_into_an_empty_one(
    app: App, graph: GraphSim, tenants: Tenants
) -> None:
    backup = _wait(app, app.post(f"api/tenants/{app.tenant_a}/backups", OPERATOR_A), OPERATOR_A, timeout=180)
    assert backup["status"] == "succeeded", backup
    source = {"backupId": backup["id"], "tenantId": app.tenant_a}
    before = graph.admin.tenant_state(tenants.empty)["collections"]
    graph.admin.clear_log()

    preview = _preview(app, tenants.empty, source, principal=CROSS_ADMIN, types=CROSS_TYPES)

    assert not [e for e in graph.admin.log() if e["kind"] == "graph" and e["method"] != "GET"]
    planned = _items(app, tenants.empty, preview["id"], CROSS_ADMIN)
    assert {i["type"] for i in planned.values()} == set(CROSS_TYPES)
    creates = {k for k, v in planned.items() if v["action"] == "create"}
    widening = {k for k, v in planned.items() if v["action"] == "skip"}
    assert creates and creates | widening == set(planned), {k: v["action"] for k, v in planned.items()}
    assert all("is excluded" in planned[k]["reason"] for k in widening)
    held = app.get(f"api/tenants/{app.tenant_a}/backups/{backup['id']}", OPERATOR_A).json()
    assert preview["id"] in held["referencedBy"]
    _assert_progress_reported(preview, planned)

    live = _live(app, tenants.empty, preview["id"], principal=CROSS_ADMIN)

    outcomes = _items(app, tenants.empty, live["id"], CROSS_ADMIN)
    assert {
        k for k, v in outcomes.items() if v["outcome"] == "succeeded" and v["action"] == "create"
    } == creates
    assert {k for k, v in outcomes.items() if v["outcome"] == "skipped"} == widening
    assert live["status"] == "succeeded", live
    _assert_progress_reported(live, outcomes)
    assert any("no such group in the target" in n for v in outcomes.values() for n in v["details"]["notes"])
    after = graph.admin.tenant_state(tenants.empty)["collections"]
    source_state = graph.admin.tenant_state(app.tenant_a)["collections"]
    for name in CROSS_TYPES:
        collection = f"deviceManagement/{name}"
        key = "name" if name == "configurationPolicies" else "displayName"
        added = Counter(o.get(key) for o in after.get(collection, [])) - Counter(
            o.get(key) for o in before.get(collection, [])
        )
        expected = Counter(v["displayName"] for k, v in planned.items() if v["type"] == name and k in creates)
        assert added == expected, name
        assert set(expected) <= {o.get(key) for o in source_state.get(collection, [])}, name
    assert any(
        count > 1
        for count in Counter(
            (v["type"], v["displayName"]) for k, v in planned.items() if k in creates
        ).values()
    )


def _newest_run(app: App, tenant: str) -> str | None:
    runs = app.get(f"api/tenants/{tenant}/runs", ADMIN, params={"pageSize": "1"}).json()["items"]
    return str(runs[0]["id"]) if runs else None


def test_malformed_requests_are_a_4xx_problem_and_write_nothing(
    app: App, graph: GraphSim, tenants: Tenants
) -> None:
    """Wrong JSON types, huge lists, unknown types and malformed IDs: never a 500, never a run."""
    seeded = tenants.seeded
    version = _snapshot(app, seeded, _policy(app, seeded))
    preview = _preview(app, seeded, {"versions": [version]})
    live = {"mode": "live", "previewRunId": preview["id"], "confirm": True}
    ended = _live(app, seeded, preview["id"], items=[version["type"] + ":" + version["policyId"]])
    invalid, backup_missing = (400, "restore.invalid_request"), (404, "backup.not_found")
    cases: list[tuple[str, Any, tuple[int, str]]] = [
        ("body a list", [], invalid),
        ("body null", None, invalid),
        ("body a string", "preview", invalid),
        ("mode a number", {"mode": 1}, invalid),
        ("source a list", {"mode": "preview", "source": [version]}, invalid),
        ("backupId a number", {"mode": "preview", "source": {"backupId": 5}}, invalid),
        (
            "backupId and versions",
            {"mode": "preview", "source": {"backupId": "b", "versions": [version]}},
            invalid,
        ),
        (
            "backupId with key characters",
            {"mode": "preview", "source": {"backupId": "a/b#c?d\\e"}},
            backup_missing,
        ),
        ("backupId huge", {"mode": "preview", "source": {"backupId": "b" * 5000}}, backup_missing),
        ("versions a string", {"mode": "preview", "source": {"versions": "v"}}, invalid),
        ("versions empty", {"mode": "preview", "source": {"versions": []}}, invalid),
        ("versions too many", {"mode": "preview", "source": {"versions": [version] * 501}}, invalid),
        (
            "version of unknown type",
            {"mode": "preview", "source": {"versions": [{**version, "type": "x"}]}},
            invalid,
        ),
        (
            "version ID a number",
            {"mode": "preview", "source": {"versions": [{**version, "versionId": 7}]}},
            invalid,
        ),
        (
            "version ID malformed",
            {"mode": "preview", "source": {"versions": [{**version, "versionId": "../" * 50}]}},
            (404, "version.not_found"),
        ),
        (
            "source tenant a number",
            {"mode": "preview", "source": {"versions": [version], "tenantId": 7}},
            invalid,
        ),
        ("types a string", {"mode": "preview", "source": {"versions": [version]}, "types": "x"}, invalid),
        ("types unknown", {"mode": "preview", "source": {"versions": [version]}, "types": ["nope"]}, invalid),
        (
            "types many",
            {"mode": "preview", "source": {"versions": [version]}, "types": [version["type"]] * 10_000},
            invalid,
        ),
        (
            "body over 1 MiB",
            {"mode": "preview", "source": {"versions": [version]}, "types": [version["type"]] * 50_000},
            (413, "request.body_too_large"),
        ),
        ("body nested deep", {"mode": "preview", "source": _nested(100)}, (400, "request.body_too_deep")),
        ("previewRunId a number", {**live, "previewRunId": 7}, invalid),
        (
            "previewRunId malformed",
            {**live, "previewRunId": "a/b#c?" * 300},
            (404, "restore.preview_not_found"),
        ),
        ("items a string", {**live, "items": "x"}, invalid),
        ("items empty", {**live, "items": []}, invalid),
        ("items of numbers", {**live, "items": [1, 2]}, invalid),
        ("items too many", {**live, "items": [f"deviceConfigurations:{i}" for i in range(401)]}, invalid),
        ("item ID huge", {**live, "items": ["deviceConfigurations:" + "p" * 100_000]}, invalid),
        ("overrideConflicts a string", {**live, "overrideConflicts": "true"}, invalid),
        ("confirm a string", {**live, "confirm": "true"}, (422, "restore.not_confirmed")),
    ]
    runs_before, audit_before = _newest_run(app, seeded), _requested_events(app, seeded)
    for name, body, (status, code) in cases:
        answer = app.post(f"api/tenants/{seeded}/restores", ADMIN, json=body)
        assert (answer.status_code, _code(answer)) == (status, code), (name, answer.text[:300])
        assert answer.headers["Content-Type"].startswith("application/problem+json"), name

    valid_preview = {"mode": "preview", "source": {"versions": [version]}}
    restores = f"api/tenants/{seeded}/restores"
    late_flag = app.post(restores, ADMIN, json=valid_preview, params={"failOnError": "ja"})
    assert (late_flag.status_code, _code(late_flag)) == (400, "request.invalid_query")

    retry_cases: list[tuple[str, str, Any, tuple[int, str]]] = [
        ("body a list", ended["id"], [], invalid),
        ("body nested deep", ended["id"], _nested(100), (400, "request.body_too_deep")),
        ("confirm missing", ended["id"], {}, (422, "restore.not_confirmed")),
        ("run ID malformed", "a#b?c" * 100, {"confirm": True}, (404, "run.not_found")),
        ("run ID unknown", "000000000000000000-abcdefabcdef", {"confirm": True}, (404, "run.not_found")),
    ]
    for name, run_id, body, (status, code) in retry_cases:
        answer = app.post(f"api/tenants/{seeded}/runs/{quote(run_id, safe='')}/retry", ADMIN, json=body)
        assert (answer.status_code, _code(answer)) == (status, code), (name, answer.text[:300])

    assert (_newest_run(app, seeded), _requested_events(app, seeded)) == (runs_before, audit_before)


def _nested(depth: int) -> list[Any]:
    nested: list[Any] = []
    for _ in range(depth):
        nested = [nested]
    return nested


def _requested_events(app: App, tenant: str) -> int:
    events = app.get(f"api/tenants/{tenant}/audit", ADMIN, params={"pageSize": "200"}).json()["items"]
    return sum(1 for e in events if str(e["action"]).endswith(".requested"))


def _code(answer: Any) -> str | None:
    try:
        return str(answer.json().get("code"))
    except ValueError:
        return None
