"""Tenant backup end to end on the devhost: every catalog type complete from graphsim's demo data,
an unchanged second backup adds no snapshot blob, a type answering 403 fails alone, and a retry
captures only a backup's failed items."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from typing import Any

import pytest

from local.apptesting import OPERATOR_A, READER_A, App
from local.graphsim.testing import GraphSim
from shared.intune.catalog import BY_NAME, TYPES
from shared.intune.model import Strategy, nested_id
from shared.runs import RunTables, finish, start_or_reuse
from shared.storage import canonical_json, names, payload_store

FORBIDDEN = (
    "Application is not authorized to perform this operation. Application must have one of the "
    "following scopes: DeviceManagementScripts.Read.All"
)


def _backup(app: App) -> dict[str, Any]:
    started = app.post(f"api/tenants/{app.tenant_a}/backups", OPERATOR_A)
    assert started.status_code == 202, started.text
    ended = app.wait_until_ended(started.headers["Location"], OPERATOR_A, timeout=180)
    run: dict[str, Any] = ended.json()
    return run


def _payload_count(app: App) -> int:
    """Payloads of every tenant: rows and blobs."""
    rows = sum(1 for _ in app.storage.table(names.PAYLOADS).list_entities())
    return rows + sum(1 for _ in app.storage.container(names.SNAPSHOTS_CONTAINER).list_blobs())


def test_every_catalog_type_is_backed_up_completely_and_a_second_backup_adds_no_payload(
    app: App, clean_graph: GraphSim
) -> None:
    run = _backup(app)
    assert run["status"] == "succeeded", run
    counters, by_type = run["counters"], run["summary"]["processedByPart"]
    assert sum(by_type.values()) == counters["processed"] == counters["succeeded"] == counters["total"] > 0
    backup = app.get(
        f"api/tenants/{app.tenant_a}/backups/{run['id']}", OPERATOR_A, params={"includeItems": "true"}
    ).json()
    assert by_type == {t: c["succeeded"] for t, c in backup["countsByType"].items() if c["succeeded"]}
    state = clean_graph.admin.tenant_state(app.tenant_a)["collections"]
    store = payload_store(app.storage, app.tenant_a)
    for entry in TYPES:
        collections = entry.typed_collections.values() if entry.typed_collections else [entry.collection]
        held = [o for c in collections for o in state.get(c.lstrip("/"), [])]
        if entry.strategy is Strategy.SINGLETON:
            single = state[entry.collection.lstrip("/")]
            held = single if isinstance(single, list) else [single]
        if entry.parent is not None:
            held = [
                {"id": nested_id(parent["id"], child["id"])}
                for parent in state[entry.parent.collection.lstrip("/")]
                for child in parent.get(entry.parent.navigation) or []
            ]
        expected = {
            str(o.get("id") or entry.name) for o in held if not (entry.skip and entry.skip.applies_to(o))
        }
        stored = {item["policyId"]: item for item in backup["items"].get(entry.name, [])}
        assert set(stored) == expected, entry.name
        assert backup["countsByType"][entry.name]["succeeded"] == len(expected), entry.name
        for item in stored.values():
            payload = store.get_json(item["contentSha256"])
            assert payload.get(entry.display_name, item["displayName"]) == item["displayName"], entry.name
    settings = [store.get_json(i["contentSha256"]) for i in backup["items"].get("configurationPolicies", [])]
    assert settings and all(p["settings"] for p in settings)
    gpos = [store.get_json(i["contentSha256"]) for i in backup["items"]["groupPolicyConfigurations"]]
    assert any(v["presentationValues"] for p in gpos for v in p["definitionValues"])
    compliance = [store.get_json(i["contentSha256"]) for i in backup["items"]["deviceCompliancePolicies"]]
    assert all(p["scheduledActionsForRule"] for p in compliance)
    scripts = [store.get_json(i["contentSha256"]) for i in backup["items"]["deviceManagementScripts"]]
    assert scripts and all(p.get("scriptContent") for p in scripts)

    payloads = _payload_count(app)
    again = _backup(app)
    assert again["status"] == "succeeded"
    assert _payload_count(app) == payloads
    listed = app.get(f"api/tenants/{app.tenant_a}/backups", OPERATOR_A).json()["items"]
    assert [b["id"] for b in listed[:2]] == [again["id"], run["id"]]
    inventory = app.get(
        f"api/tenants/{app.tenant_a}/policies", OPERATOR_A, params={"type": "deviceManagementScripts"}
    ).json()["items"]
    assert {i["id"] for i in inventory} == {i["policyId"] for i in backup["items"]["deviceManagementScripts"]}
    assert not any(i["deletedInGraph"] for i in inventory)


def test_a_type_answering_403_fails_alone_and_the_run_is_partially_succeeded(
    app: App, clean_graph: GraphSim
) -> None:
    clean_graph.admin.set_faults(
        rules=[
            {
                "path": "deviceManagementScripts",
                "action": "status",
                "status": 403,
                "code": "Forbidden",
                "message": FORBIDDEN,
            }
        ]
    )
    run = _backup(app)
    assert run["status"] == "partially_succeeded", run
    backup = app.get(f"api/tenants/{app.tenant_a}/backups/{run['id']}", OPERATOR_A).json()
    assert backup["countsByType"]["deviceManagementScripts"]["failed"] >= 1
    assert backup["countsByType"]["deviceConfigurations"]["succeeded"] > 0
    failed = app.get(
        f"api/tenants/{app.tenant_a}/runs/{run['id']}/items", OPERATOR_A, params={"outcome": "failed"}
    ).json()["items"]
    assert failed and all(item["type"] == "deviceManagementScripts" for item in failed)
    assert all("not authorized" in item["error"] for item in failed)


def test_objects_listed_but_not_readable_fail_and_stay_in_the_inventory_as_not_deleted(
    app: App, clean_graph: GraphSim
) -> None:
    """The listing decides what is gone from Graph, not the capture: a type whose reads answer 403 fails
    its items and leaves its inventory rows as they were, while every other type completes."""
    first = _backup(app)
    assert first["status"] == "succeeded", first
    clean_graph.admin.set_faults(
        rules=[
            {
                "method": "GET",
                "path": r"/deviceManagementScripts/[^/?]+",
                "action": "status",
                "status": 403,
                "code": "Forbidden",
                "message": FORBIDDEN,
            }
        ]
    )
    run = _backup(app)
    assert run["status"] == "partially_succeeded", run
    backup = app.get(f"api/tenants/{app.tenant_a}/backups/{run['id']}", OPERATOR_A).json()
    scripts = backup["countsByType"]["deviceManagementScripts"]
    assert scripts["listed"] == scripts["failed"] > 0 and scripts["succeeded"] == 0
    assert backup["countsByType"]["deviceConfigurations"]["succeeded"] > 0
    assert run["counters"]["failed"] == scripts["failed"]
    inventory = app.get(
        f"api/tenants/{app.tenant_a}/policies", OPERATOR_A, params={"type": "deviceManagementScripts"}
    ).json()["items"]
    assert len(inventory) == scripts["listed"]
    assert not any(item["deletedInGraph"] for item in inventory)


def _settings_policy(count: int) -> dict[str, Any]:
    """A settings catalog policy as Graph returns it with `$expand=settings`, `count` distinct settings."""
    return {
        "name": f"WIN - Baseline - {count} settings",
        "description": "",
        "platforms": "windows10",
        "technologies": "mdm",
        "roleScopeTagIds": ["0"],
        "settings": [
            {
                "id": str(index),
                "settingInstance": {
                    "@odata.type": "#microsoft.graph.deviceManagementConfigurationChoiceSettingInstance",
                    "settingDefinitionId": f"device_vendor_msft_policy_config_backup_setting{index:03d}",
                    "choiceSettingValue": {
                        "value": f"device_vendor_msft_backup_{index:03d}_1",
                        "children": [],
                    },
                },
            }
            for index in range(count)
        ],
        "assignments": [],
    }


@pytest.mark.slow
def test_a_150_setting_policy_and_every_nested_part_are_complete_in_a_tenant_backup(
    app: App, clean_graph: GraphSim
) -> None:
    """All in one run: 150 settings (6 pages on `/settings`), group policy presentation values,
    compliance scheduled actions and every script body the list leaves out, as Graph holds them."""
    created = clean_graph.admin.put_object(app.tenant_a, SETTINGS, _settings_policy(150))
    try:
        assert _settings_pages(clean_graph, app.tenant_a, created["id"]) == 6
        run = _backup(app)
        state = clean_graph.admin.tenant_state(app.tenant_a)["collections"]
    finally:
        clean_graph.admin.delete_object(app.tenant_a, SETTINGS, created["id"])
    assert run["status"] == "succeeded", run
    backup = app.get(
        f"api/tenants/{app.tenant_a}/backups/{run['id']}", OPERATOR_A, params={"includeItems": "true"}
    ).json()
    [item] = [i for i in backup["items"]["configurationPolicies"] if i["policyId"] == created["id"]]
    version = app.get(
        f"api/tenants/{app.tenant_a}/policies/configurationPolicies/{created['id']}/versions/{item['versionId']}",
        OPERATOR_A,
    ).json()
    instances = [s["settingInstance"] for s in version["content"]["settings"]]
    assert len(instances) == 150
    assert sorted(map(canonical_json, instances)) == sorted(
        canonical_json(s["settingInstance"]) for s in created["settings"]
    )

    store = payload_store(app.storage, app.tenant_a)

    def stored(policy_type: str) -> dict[str, dict[str, Any]]:
        return {i["policyId"]: store.get_json(i["contentSha256"]) for i in backup["items"][policy_type]}

    gpos = stored("groupPolicyConfigurations")
    assert len(gpos) == len(state[GPO]) and any(_presentations(g) for g in state[GPO])
    for held in state[GPO]:
        assert _presentations(gpos[held["id"]]) == _presentations(held), held["id"]
    compliance = stored("deviceCompliancePolicies")
    assert len(compliance) == len(state[COMPLIANCE])
    for held in state[COMPLIANCE]:
        assert held["scheduledActionsForRule"]
        assert _actions(compliance[held["id"]]) == _actions(held), held["id"]
    with_bodies = [e for e in TYPES if e.list_omits]
    checked: set[str] = set()
    for entry in with_bodies:
        captured = stored(entry.name)
        for held in state[entry.collection.lstrip("/")]:
            for field in entry.list_omits:
                assert captured[held["id"]].get(field) == held.get(field), (entry.name, field)
                checked |= {entry.name} if held.get(field) else set()
    assert checked == {e.name for e in with_bodies}


SETTINGS = "deviceManagement/configurationPolicies"
GPO = "deviceManagement/groupPolicyConfigurations"
COMPLIANCE = "deviceManagement/deviceCompliancePolicies"


def _settings_pages(sim: GraphSim, tenant_id: str, policy_id: str) -> int:
    """How many pages Graph answers on the policy's own `/settings` path (following nextLink as given)."""
    headers = {"Authorization": f"Bearer {sim.token(tenant_id)}"}
    url: str | None = sim.graph_url(f"{SETTINGS}/{policy_id}/settings")
    pages = 0
    with sim.session() as session:
        while url:
            answer = session.get(url, headers=headers, timeout=30)
            answer.raise_for_status()
            pages += 1
            url = answer.json().get("@odata.nextLink")
    return pages


def _presentations(gpo: dict[str, Any]) -> dict[str, tuple[bool, list[bytes]]]:
    """Per ADMX definition: enabled and its presentation values (type, value, presentation ID)."""
    return {
        value["definition"]["id"]: (
            value["enabled"],
            sorted(
                canonical_json(
                    {k: v for k, v in p.items() if k in ("@odata.type", "value", "values")}
                    | {"presentation": p["presentation"]["id"]}
                )
                for p in value["presentationValues"]
            ),
        )
        for value in gpo["definitionValues"]
    }


def _actions(policy: dict[str, Any]) -> Counter[tuple[Any, ...]]:
    return Counter(
        (rule["ruleName"], a["actionType"], a["gracePeriodHours"], a.get("notificationTemplateId"))
        for rule in policy["scheduledActionsForRule"]
        for a in rule["scheduledActionConfigurations"]
    )


def _forbidden(path: str) -> dict[str, Any]:
    return {"method": "GET", "path": path, "action": "status", "status": 403, "code": "Forbidden",
            "message": FORBIDDEN}


def _items(app: App, run_id: str, **params: str) -> list[dict[str, Any]]:
    answer = app.get(
        f"api/tenants/{app.tenant_a}/runs/{run_id}/items", OPERATOR_A, params={"pageSize": "1000", **params}
    )
    assert answer.status_code == 200, answer.text
    items: list[dict[str, Any]] = answer.json()["items"]
    return items


def test_a_retry_captures_only_the_failed_items_of_a_backup_and_marks_nothing_deleted(
    app: App, clean_graph: GraphSim
) -> None:
    """Two scripts whose reads answer 403 and a type whose listing answers 403 fail a backup; with the
    faults gone, a retry lists those two types only and reads only the failed objects (one deleted
    since is skipped), writes a partial set of kind `retry`, and marks none of the scripts it did not
    retry deleted although its listing holds only the failed ones."""
    scripts = BY_NAME["deviceManagementScripts"].collection.lstrip("/")
    health_scripts = BY_NAME["deviceHealthScripts"].collection.lstrip("/")
    doomed = clean_graph.admin.put_object(
        app.tenant_a, scripts, {"displayName": "Retry - doomed script", "scriptContent": "ZWNobyBoaQ=="}
    )["id"]
    state = clean_graph.admin.tenant_state(app.tenant_a)["collections"]
    victim = next(str(o["id"]) for o in state[scripts] if o["id"] != doomed)
    others = {str(o["id"]) for o in state[scripts]} - {doomed, victim}
    health = {str(o["id"]) for o in state[health_scripts]}
    assert others and health
    clean_graph.admin.set_faults(
        rules=[
            _forbidden(rf"/deviceManagementScripts/({doomed}|{victim})"),
            _forbidden(r"/deviceHealthScripts$"),
        ]
    )
    first = _backup(app)
    assert first["status"] == "partially_succeeded", first
    failed = {item["itemId"] for item in _items(app, first["id"], outcome="failed")}
    assert failed == {
        f"deviceManagementScripts:{doomed}", f"deviceManagementScripts:{victim}", "deviceHealthScripts:*"
    }

    clean_graph.admin.set_faults(rules=[])
    clean_graph.admin.delete_object(app.tenant_a, scripts, doomed)
    sent_at = datetime.now(UTC)
    started = app.post(f"api/tenants/{app.tenant_a}/runs/{first['id']}/retry", OPERATOR_A)
    assert started.status_code == 202, started.text
    body = started.json()
    assert (body["type"], body["parameters"]) == ("backup.tenant", {"retryOf": first["id"]})
    again = app.post(f"api/tenants/{app.tenant_a}/runs/{first['id']}/retry", OPERATOR_A)
    assert (again.status_code, again.json()["id"], again.json()["reused"]) == (202, body["id"], True)
    retry = app.wait_until_ended(started.headers["Location"], OPERATOR_A, timeout=180).json()

    assert retry["status"] == "succeeded", retry
    assert retry["summary"]["links"]["retryOf"].endswith(f"/runs/{first['id']}")
    outcomes = {item["itemId"]: item["outcome"] for item in _items(app, retry["id"])}
    assert outcomes == {
        f"deviceManagementScripts:{victim}": "succeeded",
        f"deviceManagementScripts:{doomed}": "skipped",
        **{f"deviceHealthScripts:{i}": "succeeded" for i in health},
    }
    # Graph was asked for the two types' listings and their objects to capture, nothing else.
    reads = {
        entry["path"]
        for entry in clean_graph.admin.log(
            since=sent_at.isoformat(), tenant=app.tenant_a, kind="graph", method="GET", limit=10_000
        )
    }
    assert {f"/beta/{scripts}", f"/beta/{health_scripts}", f"/beta/{scripts}/{victim}"} <= reads
    assert all(p.startswith((f"/beta/{scripts}", f"/beta/{health_scripts}")) for p in reads), reads
    assert {p for p in reads if p.startswith(f"/beta/{scripts}/")} <= {
        f"/beta/{scripts}/{victim}", f"/beta/{scripts}/{victim}/assignments"
    }

    backup = app.get(f"api/tenants/{app.tenant_a}/backups/{retry['id']}", OPERATOR_A).json()
    assert (backup["kind"], backup["retryOf"]) == ("retry", first["id"])
    listed = {t: c["listed"] for t, c in backup["countsByType"].items() if c["listed"]}
    assert listed == {"deviceManagementScripts": 1, "deviceHealthScripts": len(health)}
    inventory = app.get(
        f"api/tenants/{app.tenant_a}/policies", OPERATOR_A, params={"type": "deviceManagementScripts"}
    ).json()["items"]
    by_id = {row["id"]: row for row in inventory}
    assert by_id.keys() >= others | {victim} and not any(row["deletedInGraph"] for row in inventory)
    assert by_id[victim]["lastSeenRunId"] == retry["id"]
    assert {by_id[i]["lastSeenRunId"] for i in others} == {first["id"]}
    healthy = app.get(
        f"api/tenants/{app.tenant_a}/policies", OPERATOR_A, params={"type": "deviceHealthScripts"}
    ).json()["items"]
    assert {row["id"] for row in healthy} >= health

    nothing = app.post(f"api/tenants/{app.tenant_a}/runs/{retry['id']}/retry", OPERATOR_A)
    assert (nothing.status_code, nothing.json()["code"]) == (409, "backup.nothing_to_retry")
    reader = app.post(f"api/tenants/{app.tenant_a}/runs/{first['id']}/retry", READER_A)
    assert (reader.status_code, reader.json()["code"]) == (403, "auth.insufficient_role")
    tables = RunTables.from_account(app.storage)
    made_up = {"scheduleId": "made-up", "slot": "e2e"}
    queued, _ = start_or_reuse(tables, app.tenant_a, "backup.scheduled", ["s", "e2e"], "e2e", source=made_up)
    busy = app.post(f"api/tenants/{app.tenant_a}/runs/{queued.run_id}/retry", OPERATOR_A)
    assert (busy.status_code, busy.json()["code"]) == (409, "backup.run_not_finished")
    finish(tables, app.tenant_a, queued.run_id, error="a run made up by the test")
    audit = app.get(
        f"api/tenants/{app.tenant_a}/audit", OPERATOR_A,
        params={"action": "backup.tenant.requested", "since": sent_at.isoformat()},
    ).json()["items"]
    assert {e["details"]["retryOf"] for e in audit if e["runId"] == retry["id"]} == {first["id"]}
