"""Tenant backup end to end on the devhost: every catalog type complete from graphsim's demo data,
an unchanged second backup adds no snapshot blob, and a type answering 403 fails alone."""

from __future__ import annotations

from typing import Any

from local.apptesting import OPERATOR_A, App
from local.graphsim.testing import GraphSim
from shared.intune.catalog import TYPES
from shared.intune.model import Strategy
from shared.storage import ContentStore, names

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
