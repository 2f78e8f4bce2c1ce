"""Tenant backup end to end on the devhost: every catalog type complete from graphsim's demo data,
an unchanged second backup adds no snapshot blob, and a type answering 403 fails alone."""

from __future__ import annotations

from collections import Counter
from typing import Any

from local.apptesting import OPERATOR_A, App
from local.graphsim.testing import GraphSim
from shared.intune.catalog import TYPES
from shared.intune.model import Strategy
from shared.storage import ContentStore, canonical_json, names

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


def _blob_count(app: App) -> int:
    return sum(1 for _ in app.storage.container(names.SNAPSHOTS_CONTAINER).list_blobs())


def test_every_catalog_type_is_backed_up_completely_and_a_second_backup_adds_no_blob(
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
    store = ContentStore(app.storage.container(names.SNAPSHOTS_CONTAINER))
    for entry in TYPES:
        collections = entry.typed_collections.values() if entry.typed_collections else [entry.collection]
        held = [o for c in collections for o in state.get(c.lstrip("/"), [])]
        if entry.strategy is Strategy.SINGLETON:
            single = state[entry.collection.lstrip("/")]
            held = single if isinstance(single, list) else [single]
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

    blobs = _blob_count(app)
    again = _backup(app)
    assert again["status"] == "succeeded"
    assert _blob_count(app) == blobs
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

    store = ContentStore(app.storage.container(names.SNAPSHOTS_CONTAINER))

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
