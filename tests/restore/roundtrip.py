"""Helpers of the restore round trips (the engine's, through `write_item`, and the API's, through
backups and restores on the devhost): a policy's content with reference IDs turned into names in its
own tenant's space, what the target should hold of a source policy, and the seeding of a target.

Names, not IDs, because group, filter, scope tag, template and app IDs differ between tenants, so a
comparison in names does not lean on the remapping under test.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from local.graphsim.testing import GraphSim
from shared.intune import SECRETS_MARKER
from shared.storage import canonical_json

ID_LISTS = (
    "roleScopeTagIds",
    "roleScopeTags",
    "targetedMobileApps",
    "includeGroups",
    "excludeGroups",
    "includeLocations",
    "excludeLocations",
    "includeAuthenticationContextClassReferences",
    "members",
    "resourceScopes",
    "scopeMembers",
)
ID_VALUES = ("groupId", "deviceAndAppManagementAssignmentFilterId", "notificationTemplateId")
ID_OBJECTS = ("authenticationStrength", "roleDefinition")
"""Reference objects (`{"id": ...}`) whose `id` names an object of the tenant."""
REFERENCE_VALUE = "#microsoft.graph.deviceManagementConfigurationReferenceSettingValue"
EXCLUSION = "#microsoft.graph.exclusionGroupAssignmentTarget"
REFERENCE_COLLECTIONS = {
    "groups": "group",
    "deviceManagement/roleScopeTags": "tag",
    "deviceManagement/assignmentFilters": "filter",
    "deviceManagement/notificationMessageTemplates": "template",
    "deviceAppManagement/mobileApps": "app",
    "deviceManagement/reusablePolicySettings": "reusable",
    "deviceManagement/roleDefinitions": "role",
    "identity/conditionalAccess/namedLocations": "location",
    "policies/authenticationStrengthPolicies": "strength",
    "identity/conditionalAccess/authenticationContextClassReferences": "context",
}
APPLE_TOKENS = "deviceManagement/depOnboardingSettings"


def reference_names(sim: GraphSim, tenant_id: str) -> dict[str, str]:
    """Every reference ID of a tenant -> `kind:displayName`, read through the admin API."""
    collections = sim.admin.tenant_state(tenant_id)["collections"]
    names = {"0": "tag:Default"}
    for collection, kind in REFERENCE_COLLECTIONS.items():
        names.update({obj["id"]: f"{kind}:{obj['displayName']}" for obj in collections[collection]})
    return names


def in_names(value: Any, names: dict[str, str], key: str = "") -> Any:
    """The content with reference IDs replaced by names and lists of assignments sorted again."""
    if isinstance(value, dict) and (key in ID_OBJECTS or value.get("@odata.type") == REFERENCE_VALUE):
        field = "id" if key in ID_OBJECTS else "value"
        return {k: names.get(v, v) if k == field else in_names(v, names, k) for k, v in value.items()}
    if isinstance(value, dict):
        return {k: in_names(v, names, k) for k, v in value.items()}
    if isinstance(value, list):
        items = [
            names.get(v, v) if key in ID_LISTS and isinstance(v, str) else in_names(v, names) for v in value
        ]
        return sorted(items, key=canonical_json) if key in ("assignments", *ID_LISTS) else items
    if key in ID_VALUES and isinstance(value, str):
        return names.get(value, value)
    return value


def expected_in_target(content: dict[str, Any], missing_group: str) -> dict[str, Any]:
    """What the target should hold: no assignment to (nor group list naming) the missing group, no
    setting whose secret the backup lacks, no TenantAtlas annotations."""
    expected = {key: value for key, value in content.items() if key != SECRETS_MARKER}
    if isinstance(expected.get("assignments"), list):
        expected["assignments"] = [
            item for item in expected["assignments"] if item["target"].get("groupId") != missing_group
        ]
    if isinstance(expected.get("omaSettings"), list):
        expected["omaSettings"] = [item for item in expected["omaSettings"] if not item.get("isEncrypted")]
    return dict(without_group(expected, missing_group))


def without_group(value: Any, group: str) -> Any:
    if isinstance(value, dict):
        return {key: without_group(item, group) for key, item in value.items()}
    if isinstance(value, list):
        return [without_group(item, group) for item in value if item != group]
    return value


def without_server_defaults(payload: dict[str, Any], source_keys: set[str]) -> dict[str, Any]:
    """The target's object without properties the service fills in with an empty or false default
    on create that the source object never had (e.g. `isGlobalScript: false`)."""
    return {
        key: value
        for key, value in payload.items()
        if key in source_keys or value not in (None, False, "", [], {})
    }


def seed_references(sim: GraphSim, source: str, target: str, missing_group: str) -> None:
    """Groups (but one), apps (without assignments) and the Apple token of the source, under the
    same names and new IDs, as an admin would have them in the customer's tenant: restore creates
    none of them (nor an app's binary), and the Apple enrollment profiles go into the token."""
    collections = sim.admin.tenant_state(source)["collections"]
    for group in collections["groups"]:
        if group["id"] != missing_group:
            sim.admin.put_object(target, "groups", {k: v for k, v in group.items() if k != "id"})
    for app in collections["deviceAppManagement/mobileApps"]:
        sim.admin.put_object(
            target,
            "deviceAppManagement/mobileApps",
            {k: v for k, v in app.items() if k not in ("id", "assignments")},
        )
    for token in collections[APPLE_TOKENS]:
        sim.admin.put_object(
            target, APPLE_TOKENS, {k: v for k, v in token.items() if k not in ("id", "enrollmentProfiles")}
        )


def referenced_group(typed_payloads: Iterable[tuple[str, dict[str, Any]]]) -> str:
    """A group some policy assigns to (the one the target will lack): of those, the one the fewest
    (but if any, at least one) policies exclude, so the refusal is exercised and nearly every policy
    still makes the round trip; never one whose refusals would leave a type with nothing written."""
    policies = list(typed_payloads)
    included = {
        str(item["target"]["groupId"])
        for _, policy in policies
        for item in policy.get("assignments") or []
        if item["target"].get("groupId") and item["target"]["@odata.type"] != EXCLUSION
    }
    included -= sole_role_assignment_groups(policies)
    if not included:
        raise AssertionError("the demo tenant assigns nothing to a group")
    counts = {group: sum(excludes(p, group) for _, p in policies) for group in sorted(included)}
    kept = {group: {name for name, p in policies if not excludes(p, group)} for group in counts}
    every_type = {name for name, _ in policies}
    return min(counts, key=lambda group: (kept[group] != every_type, counts[group] == 0, counts[group]))


def sole_role_assignment_groups(policies: Iterable[tuple[str, dict[str, Any]]]) -> set[str]:
    """Groups that are a role assignment's only admin group or only scope group: without them the
    assignment is refused (not narrowed), which is not the widening this test exercises."""
    sole: set[str] = set()
    for name, content in policies:
        if name != "roleAssignments":
            continue
        admins = content.get("members") or []
        scopes = [*(content.get("resourceScopes") or []), *(content.get("scopeMembers") or [])]
        sole.update(str(groups[0]) for groups in (admins, scopes) if len(set(groups)) == 1)
    return sole


def excludes(content: dict[str, Any], group: str) -> bool:
    """Whether the policy excludes the group (an exclusion assignment, or a CA policy's excludeGroups)."""
    users = (content.get("conditions") or {}).get("users") or {}
    return group in (users.get("excludeGroups") or []) or any(
        item["target"]["@odata.type"] == EXCLUSION and item["target"].get("groupId") == group
        for item in content.get("assignments") or []
    )
