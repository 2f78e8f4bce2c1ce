"""Update path: an object drifts in the tenant, `write_item` with its `target_id` restores the backup
content, and a new capture equals the backup again. Each drift is made through Graph itself (or the
admin API as a portal edit) so the restore has to undo it with the type's own write strategy."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from local.graphsim.testing import GraphSim
from shared.graph import GraphClient
from shared.intune import capture_policy
from shared.restore.remap import build_id_map
from shared.restore.write import write_item

MakeClient = Callable[[str], GraphClient]
DM = "/deviceManagement"
G = "#microsoft.graph."
Drift = Callable[[GraphSim, GraphClient, str, str], None]


def first_id(sim: GraphSim, tenant: str, collection: str, where: Callable[[dict[str, Any]], bool]) -> str:
    objects = sim.admin.tenant_state(tenant)["collections"][collection]
    return str(next(obj["id"] for obj in objects if where(obj)))


def drift_settings(sim: GraphSim, client: GraphClient, tenant: str, policy_id: str) -> None:
    stored = first_id(
        sim, tenant, "deviceManagement/configurationPolicies", lambda obj: obj["id"] == policy_id
    )
    state = sim.admin.tenant_state(tenant)["collections"]["deviceManagement/configurationPolicies"]
    settings = next(obj for obj in state if obj["id"] == stored)["settings"]
    sim.admin.patch_object(
        tenant,
        "deviceManagement/configurationPolicies",
        policy_id,
        {"name": "renamed in the portal", "settings": settings[:2], "roleScopeTagIds": ["0"]},
    )


def drift_group_policy(sim: GraphSim, client: GraphClient, tenant: str, config_id: str) -> None:
    """One value deleted, one value's `enabled` flipped, one definition added."""
    item = f"{DM}/groupPolicyConfigurations/{config_id}"
    values = client.get_all(f"{item}/definitionValues", params={"$expand": "definition"})
    used = {value["definition"]["id"] for value in values}
    spare = next(d for d in client.get_all(f"{DM}/groupPolicyDefinitions") if d["id"] not in used)
    client.post(
        f"{item}/updateDefinitionValues",
        {
            "added": [
                {"enabled": False, "definition@odata.bind": f"{DM}/groupPolicyDefinitions('{spare['id']}')"}
            ],
            "updated": [{"id": values[1]["id"], "enabled": not values[1]["enabled"]}],
            "deletedIds": [values[0]["id"]],
        },
    )


def drift_compliance(sim: GraphSim, client: GraphClient, tenant: str, policy_id: str) -> None:
    item = f"{DM}/deviceCompliancePolicies/{policy_id}"
    client.patch(item, {"@odata.type": client.get(item)["@odata.type"], "description": "changed"})
    rules = [
        {
            "ruleName": "PasswordRequired",
            "scheduledActionConfigurations": [{"actionType": "block", "gracePeriodHours": 240}],
        }
    ]
    client.post(f"{item}/scheduleActionsForRules", {"deviceComplianceScheduledActionForRules": rules})


def drift_template(sim: GraphSim, client: GraphClient, tenant: str, template_id: str) -> None:
    nav = f"{DM}/notificationMessageTemplates/{template_id}/localizedNotificationMessages"
    english = next(m for m in client.get_all(nav) if m["locale"] == "en-us")
    client.patch(f"{nav}/{english['id']}", {"subject": "changed"})
    client.post(
        nav, {"locale": "nl-nl", "subject": "Niet conform", "messageTemplate": "x", "isDefault": False}
    )


def drift_intent(sim: GraphSim, client: GraphClient, tenant: str, intent_id: str) -> None:
    item = f"{DM}/intents/{intent_id}"
    settings = client.get_all(f"{item}/settings")
    changed = {**settings[0], "valueJson": '"changed"'}
    client.post(f"{item}/updateSettings", {"settings": [changed]})
    client.patch(item, {"displayName": "renamed"})


def drift_autopilot(sim: GraphSim, client: GraphClient, tenant: str, profile_id: str) -> None:
    group = first_id(sim, tenant, "groups", lambda obj: True)
    nav = f"{DM}/windowsAutopilotDeploymentProfiles/{profile_id}/assignments"
    for assignment in client.get_all(nav)[:1]:
        client.delete(f"{nav}/{assignment['id']}")
    client.post(nav, {"target": {"@odata.type": G + "exclusionGroupAssignmentTarget", "groupId": group}})


def drift_enrollment(sim: GraphSim, client: GraphClient, tenant: str, config_id: str) -> None:
    client.post(f"{DM}/deviceEnrollmentConfigurations/{config_id}/setPriority", {"priority": 99})
    client.patch(
        f"{DM}/deviceEnrollmentConfigurations/{config_id}",
        {
            "@odata.type": client.get(f"{DM}/deviceEnrollmentConfigurations/{config_id}")["@odata.type"],
            "description": "x",
        },
    )


def drift_app_protection(sim: GraphSim, client: GraphClient, tenant: str, policy_id: str) -> None:
    policy = client.get(f"/deviceAppManagement/managedAppPolicies/{policy_id}")
    typed = {
        G + "iosManagedAppProtection": "iosManagedAppProtections",
        G + "androidManagedAppProtection": "androidManagedAppProtections",
        G + "targetedManagedAppConfiguration": "targetedManagedAppConfigurations",
    }[policy["@odata.type"]]
    item = f"/deviceAppManagement/{typed}/{policy_id}"
    client.patch(item, {"displayName": "renamed"})
    identifier = {"@odata.type": G + "iosMobileAppIdentifier", "bundleId": "com.example.other"}
    client.post(f"{item}/targetApps", {"apps": [{"mobileAppIdentifier": identifier}]})
    client.post(f"{item}/assign", {"assignments": []})


CASES: dict[str, tuple[str, Callable[[dict[str, Any]], bool], Drift, str]] = {
    "configurationPolicies": (
        "deviceManagement/configurationPolicies",
        lambda o: len(o["settings"]) > 2,
        drift_settings,
        "PUT",
    ),
    "groupPolicyConfigurations": (
        "deviceManagement/groupPolicyConfigurations",
        lambda o: len(o["definitionValues"]) >= 2,
        drift_group_policy,
        "POST .*/updateDefinitionValues",
    ),
    "deviceCompliancePolicies": (
        "deviceManagement/deviceCompliancePolicies",
        lambda o: len(o["scheduledActionsForRule"][0]["scheduledActionConfigurations"]) > 1,
        drift_compliance,
        "POST .*/scheduleActionsForRules",
    ),
    "notificationMessageTemplates": (
        "deviceManagement/notificationMessageTemplates",
        lambda o: True,
        drift_template,
        "DELETE .*/localizedNotificationMessages/",
    ),
    "intents": ("deviceManagement/intents", lambda o: True, drift_intent, "POST .*/updateSettings"),
    "windowsAutopilotDeploymentProfiles": (
        "deviceManagement/windowsAutopilotDeploymentProfiles",
        lambda o: bool(o["assignments"]),
        drift_autopilot,
        "POST .*/assignments$",
    ),
    "deviceEnrollmentConfigurations": (
        "deviceManagement/deviceEnrollmentConfigurations",
        lambda o: o["priority"] != 0,
        drift_enrollment,
        "POST .*/setPriority",
    ),
    "managedAppPolicies": (
        "deviceAppManagement/iosManagedAppProtections",
        lambda o: bool(o["assignments"]),
        drift_app_protection,
        "POST .*/iosManagedAppProtections/[^/]+/assign",
    ),
}


@pytest.mark.parametrize("policy_type", sorted(CASES))
def test_update_restores_the_backup_content(
    sim: GraphSim, make_client: MakeClient, demo_tenant: str, policy_type: str
) -> None:
    collection, where, drift, expected_request = CASES[policy_type]
    client = make_client(demo_tenant)
    object_id = first_id(sim, demo_tenant, collection, where)
    backup = capture_policy(client, policy_type, object_id)
    drift(sim, client, demo_tenant, object_id)
    assert capture_policy(client, policy_type, object_id).payload != backup.payload
    sim.admin.clear_log()

    result = write_item(
        client,
        policy_type,
        backup.payload,
        target_id=object_id,
        ids=build_id_map(client, client),
        source_id=object_id,
    )

    assert (result.target_id, result.action) == (object_id, "updated")
    assert capture_policy(client, policy_type, object_id).payload == backup.payload
    method, _, path = expected_request.partition(" ")
    assert sim.admin.log(tenant=demo_tenant, method=method, path=path or object_id), expected_request
    assert not sim.admin.log(tenant=demo_tenant, method="DELETE", path=f"{object_id}$")


def test_settings_catalog_update_is_one_put_of_the_whole_policy(
    sim: GraphSim, make_client: MakeClient, demo_tenant: str
) -> None:
    client = make_client(demo_tenant)
    policy_id = first_id(
        sim, demo_tenant, "deviceManagement/configurationPolicies", lambda o: len(o["settings"]) > 2
    )
    backup = capture_policy(client, "configurationPolicies", policy_id)
    drift_settings(sim, client, demo_tenant, policy_id)
    sim.admin.clear_log()
    write_item(
        client, "configurationPolicies", backup.payload, target_id=policy_id, ids=build_id_map(client, client)
    )
    writes = [entry for entry in sim.admin.log(tenant=demo_tenant) if entry["method"] != "GET"]
    assert [(entry["method"], entry["path"].rsplit("/", 1)[-1]) for entry in writes] == [
        ("PUT", policy_id),
        ("POST", "assign"),
    ]
