"""Update path of the newer types, as `test_update.py` does it for the older ones: an object drifts
through Graph, `write_item` with its `target_id` restores the backup content with the type's own
write strategy, and a new capture equals the backup again. Then what cannot be written: a create
of a type that must exist in the target, a nested object whose parent the target lacks, and an
authentication context whose ID the target already uses."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from local.graphsim.testing import GraphSim
from shared.graph import GraphClient
from shared.intune import capture_policy
from shared.intune.model import nested_id
from shared.restore.remap import build_id_map
from shared.restore.write import RestoreNotPossible, write_item

MakeClient = Callable[[str], GraphClient]
DM = "/deviceManagement"
CA = "/identity/conditionalAccess"
G = "#microsoft.graph."
Drift = Callable[[GraphSim, GraphClient, str, str], None]
BLOCK_LATER = [{"scheduledActionConfigurations": [{"actionType": "block", "gracePeriodHours": 240}]}]


def object_ids(sim: GraphSim, tenant: str, collection: str) -> list[str]:
    return [str(obj["id"]) for obj in sim.admin.tenant_state(tenant)["collections"][collection]]


def drift_settings_compliance(sim: GraphSim, client: GraphClient, tenant: str, policy_id: str) -> None:
    item = f"{DM}/compliancePolicies/{policy_id}"
    policy = client.get(item)
    client.put(item, {k: policy[k] for k in ("name", "platforms", "technologies")} | {"settings": []})
    client.post(f"{item}/setScheduledActions", {"scheduledActions": BLOCK_LATER})


def drift_tenant_settings(sim: GraphSim, client: GraphClient, tenant: str, object_id: str) -> None:
    client.patch(DM, {"settings": {"secureByDefault": False, "deviceComplianceCheckinThresholdDays": 45}})


def drift_app_assignments(sim: GraphSim, client: GraphClient, tenant: str, app_id: str) -> None:
    client.post(f"/deviceAppManagement/mobileApps/{app_id}/assign", {"mobileAppAssignments": []})


def drift_enrollment_profile(sim: GraphSim, client: GraphClient, tenant: str, object_id: str) -> None:
    token, profile = object_id.split("_", 1)
    client.patch(
        f"{DM}/depOnboardingSettings/{token}/enrollmentProfiles/{profile}", {"description": "changed"}
    )


def drift_strength(sim: GraphSim, client: GraphClient, tenant: str, strength_id: str) -> None:
    item = f"/policies/authenticationStrengthPolicies/{strength_id}"
    client.patch(item, {"description": "changed"}, version="v1.0")
    client.post(f"{item}/updateAllowedCombinations", {"allowedCombinations": ["sms"]}, version="v1.0")


def drift_location(sim: GraphSim, client: GraphClient, tenant: str, location_id: str) -> None:
    item = f"{CA}/namedLocations/{location_id}"
    client.patch(
        item,
        {"@odata.type": client.get(item, version="v1.0")["@odata.type"], "displayName": "x"},
        version="v1.0",
    )


def drift_role_assignment(sim: GraphSim, client: GraphClient, tenant: str, assignment_id: str) -> None:
    groups = object_ids(sim, tenant, "groups")
    client.patch(f"{DM}/roleAssignments/{assignment_id}", {"members": groups[-1:], "description": "changed"})


def drift_provisioning(sim: GraphSim, client: GraphClient, tenant: str, policy_id: str) -> None:
    item = f"{DM}/virtualEndpoint/provisioningPolicies/{policy_id}"
    client.patch(item, {"windowsSetting": {"locale": "fr-FR"}})
    client.post(f"{item}/assign", {"assignments": []})


def first(collection: str, where: Callable[[dict[str, Any]], bool] = lambda obj: True) -> Callable[..., str]:
    def find(sim: GraphSim, tenant: str) -> str:
        objects = sim.admin.tenant_state(tenant)["collections"][collection]
        return str(next(obj["id"] for obj in objects if where(obj)))

    return find


def first_profile(sim: GraphSim, tenant: str) -> str:
    token = sim.admin.tenant_state(tenant)["collections"]["deviceManagement/depOnboardingSettings"][0]
    return nested_id(token["id"], token["enrollmentProfiles"][0]["id"])


CASES: dict[str, tuple[Callable[[GraphSim, str], str], Drift, str]] = {
    "compliancePolicies": (
        first("deviceManagement/compliancePolicies", lambda o: len(o["settings"]) > 1),
        drift_settings_compliance,
        "POST .*/setScheduledActions",
    ),
    "deviceManagementSettings": (
        first("deviceManagement/settings"),
        drift_tenant_settings,
        "PATCH /deviceManagement$",
    ),
    "mobileAppAssignments": (
        first("deviceAppManagement/mobileApps", lambda o: bool(o["assignments"])),
        drift_app_assignments,
        "POST .*/mobileApps/[^/]+/assign",
    ),
    "appleEnrollmentProfiles": (first_profile, drift_enrollment_profile, "PATCH .*/enrollmentProfiles/"),
    "authenticationStrengthPolicies": (
        first("policies/authenticationStrengthPolicies", lambda o: o["policyType"] == "custom"),
        drift_strength,
        "POST .*/updateAllowedCombinations",
    ),
    "namedLocations": (
        first("identity/conditionalAccess/namedLocations"),
        drift_location,
        "PATCH /v1.0/identity",
    ),
    "roleAssignments": (
        first("deviceManagement/roleAssignments"),
        drift_role_assignment,
        "PATCH .*/roleAssignments/",
    ),
    "cloudPcProvisioningPolicies": (
        first("deviceManagement/virtualEndpoint/provisioningPolicies", lambda o: bool(o["assignments"])),
        drift_provisioning,
        "POST .*/provisioningPolicies/[^/]+/assign",
    ),
}


@pytest.mark.parametrize("policy_type", sorted(CASES))
def test_update_restores_the_backup_content(
    sim: GraphSim, make_client: MakeClient, demo_tenant: str, policy_type: str
) -> None:
    find, drift, expected_request = CASES[policy_type]
    client = make_client(demo_tenant)
    object_id = find(sim, demo_tenant)
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
    assert sim.admin.log(tenant=demo_tenant, method=method, path=path), expected_request
    assert not sim.admin.log(tenant=demo_tenant, method="DELETE")


def test_what_must_exist_in_the_target_is_never_created(
    sim: GraphSim, make_client: MakeClient, demo_tenant: str, empty_tenant: str
) -> None:
    """An app's assignments without the app, and an Apple enrollment profile without an Apple token
    of its name: refused with the reason, and nothing is written."""
    source, target = make_client(demo_tenant), make_client(empty_tenant)
    app = first("deviceAppManagement/mobileApps", lambda o: bool(o["assignments"]))(sim, demo_tenant)
    assignments = capture_policy(source, "mobileAppAssignments", app)
    profile = capture_policy(source, "appleEnrollmentProfiles", first_profile(sim, demo_tenant))
    ids = build_id_map(source, target)
    sim.admin.clear_log()

    with pytest.raises(RestoreNotPossible, match="matched by name and publisher"):
        write_item(target, "mobileAppAssignments", assignments.payload, target_id=None, ids=ids)
    with pytest.raises(RestoreNotPossible, match="no depOnboardingSettings with tokenName 'Contoso ABM'"):
        write_item(target, "appleEnrollmentProfiles", profile.payload, target_id=None, ids=ids)
    assert not [e for e in sim.admin.log(tenant=empty_tenant, kind="graph") if e["method"] != "GET"]


def test_an_authentication_context_takes_the_next_free_id_when_its_own_is_taken(
    sim: GraphSim, make_client: MakeClient, demo_tenant: str, empty_tenant: str
) -> None:
    source, target = make_client(demo_tenant), make_client(empty_tenant)
    context = capture_policy(source, "authenticationContextClassReferences", "c1")
    target.post(
        f"{CA}/authenticationContextClassReferences", {"id": "c1", "displayName": "Other"}, version="v1.0"
    )
    target.post(
        f"{CA}/authenticationContextClassReferences", {"id": "c2", "displayName": "Another"}, version="v1.0"
    )

    result = write_item(
        target,
        "authenticationContextClassReferences",
        context.payload,
        target_id=None,
        ids=build_id_map(source, target),
        source_id="c1",
    )

    assert (result.target_id, result.action) == ("c3", "created")
    assert "Created as c3: c1 is taken in the target." in result.notes
    assert capture_policy(target, "authenticationContextClassReferences", "c3").payload == context.payload
