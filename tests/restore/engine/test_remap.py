"""remap_content without servers: references rewritten into the target, missing ones reported."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

from shared.restore.remap import NO_TEMPLATE, REFERENCE_KINDS, IdMap, remap_content
from shared.restore.remap_types import REFERENCE_VALUE

G = "#microsoft.graph."
SRC_GROUP, DST_GROUP, GONE_GROUP = (f"{n}0000000-0000-0000-0000-000000000000" for n in "123")
SRC_FILTER, DST_FILTER, GONE_FILTER = "f-src", "f-dst", "f-gone"


def ids() -> IdMap:
    return IdMap(
        scope_tags={"0": "0", "5": "7"},
        filters={SRC_FILTER: DST_FILTER},
        notification_templates={"t-src": "t-dst"},
        groups={SRC_GROUP: DST_GROUP},
        group_names={SRC_GROUP: "Pilot", GONE_GROUP: "Pilot users"},
        mobile_apps={"app-src": "app-dst"},
        reusable_settings={"rs-src": "rs-dst"},
        named_locations={"loc-src": "loc-dst"},
        auth_strengths={"str-src": "str-dst"},
        auth_contexts={"c1": "c4"},
        role_definitions={"role-src": "role-dst"},
        names={
            "9": "Lab",
            GONE_FILTER: "FLT - Old",
            "t-gone": "NOTIFY - Old",
            "app-gone": "Teams",
            "rs-gone": "FW - Old addresses",
            "loc-gone": "Branch",
            "str-gone": "Phishing-resistant",
        },
    )


def target(
    group: str | None = None, filter_id: str | None = None, kind: str = "groupAssignmentTarget"
) -> dict[str, Any]:
    found: dict[str, Any] = {"@odata.type": G + kind}
    if group:
        found["groupId"] = group
    if filter_id:
        found |= {
            "deviceAndAppManagementAssignmentFilterId": filter_id,
            "deviceAndAppManagementAssignmentFilterType": "include",
        }
    return {"target": found}


def test_assignments_scope_tags_and_filters_are_rewritten() -> None:
    content = {
        "displayName": "P",
        "roleScopeTagIds": ["0", "5", "9"],
        "assignments": [
            target(SRC_GROUP, SRC_FILTER),
            target(GONE_GROUP),
            target(SRC_GROUP, kind="exclusionGroupAssignmentTarget"),
            target(filter_id=GONE_FILTER, kind="allDevicesAssignmentTarget"),
            target(kind="allLicensedUsersAssignmentTarget"),
        ],
    }
    remapped = remap_content("deviceConfigurations", content, ids())
    assert remapped.content["roleScopeTagIds"] == ["0", "7"]
    assert remapped.content["assignments"] == [
        target(DST_GROUP, DST_FILTER),
        target(DST_GROUP, kind="exclusionGroupAssignmentTarget"),
        target(kind="allLicensedUsersAssignmentTarget"),
    ]
    assert remapped.notes == (
        "Scope tag 'Lab' does not exist in the target; it was left off.",
        "Assignment to group 'Pilot users' not restored: no such group in the target.",
        "Assignment to allDevicesAssignmentTarget not restored: its assignment filter 'FLT - Old' "
        "does not exist in the target.",
    )
    assert remapped.blocked == (), "dropping an included group narrows the policy: it is still written"
    assert content["assignments"][0] == target(SRC_GROUP, SRC_FILTER), "the source content is left alone"


def test_no_scope_tag_left_falls_back_to_default() -> None:
    remapped = remap_content("assignmentFilters", {"roleScopeTags": ["9"]}, ids())
    assert remapped.content["roleScopeTags"] == ["0"]


def test_compliance_templates_are_mapped_and_an_action_without_one_is_dropped() -> None:
    actions = [
        {"actionType": "block", "gracePeriodHours": 0, "notificationTemplateId": NO_TEMPLATE},
        {
            "actionType": "notification",
            "notificationTemplateId": "t-src",
            "notificationMessageCCList": [SRC_GROUP, GONE_GROUP],
        },
        {"actionType": "notification", "notificationTemplateId": "t-gone"},
    ]
    content = {
        "scheduledActionsForRule": [
            {"ruleName": "PasswordRequired", "scheduledActionConfigurations": actions}
        ]
    }
    remapped = remap_content("deviceCompliancePolicies", content, ids())
    kept = remapped.content["scheduledActionsForRule"][0]["scheduledActionConfigurations"]
    assert [item["notificationTemplateId"] for item in kept] == [NO_TEMPLATE, "t-dst"]
    assert kept[1]["notificationMessageCCList"] == [DST_GROUP]
    assert any("'NOTIFY - Old'" in note for note in remapped.notes)
    assert any("'Pilot users'" in note for note in remapped.notes)


def test_an_exclusion_of_a_missing_group_blocks_the_item_instead_of_widening_it() -> None:
    content = {
        "assignments": [
            target(SRC_GROUP),
            target(GONE_GROUP, kind="exclusionGroupAssignmentTarget"),
        ]
    }
    remapped = remap_content("deviceConfigurations", content, ids())
    assert remapped.missing_exclusions == ("Pilot users",)
    assert remapped.blocked == (
        "Group 'Pilot users' is excluded by an assignment but does not exist in the target; without the "
        "exclusion the policy would apply to more users or devices, so the item is not written. "
        "Create what is missing in the target (same display name), then restore again.",
    )
    assert remapped.notes == remapped.blocked, "a preview shows why the item will not be written"
    assert remapped.content["assignments"] == [
        target(DST_GROUP),
        target(GONE_GROUP, kind="exclusionGroupAssignmentTarget"),
    ], "the exclusion is kept unmapped, never dropped"


def test_an_exclusion_whose_filter_is_missing_blocks_the_item() -> None:
    excluded = target(SRC_GROUP, GONE_FILTER, kind="exclusionGroupAssignmentTarget")
    remapped = remap_content("deviceConfigurations", {"assignments": [excluded]}, ids())
    assert remapped.missing_exclusions == ("Pilot",)
    assert len(remapped.blocked) == 1 and "'FLT - Old'" in remapped.blocked[0]
    assert remapped.content["assignments"][0]["target"]["deviceAndAppManagementAssignmentFilterId"] == (
        GONE_FILTER
    )


def test_conditional_access_a_missing_included_group_is_left_off_with_a_note() -> None:
    policy = {
        "conditions": {"users": {"includeGroups": [SRC_GROUP, GONE_GROUP], "excludeGroups": [SRC_GROUP]}}
    }
    remapped = remap_content("conditionalAccessPolicies", policy, ids())
    assert remapped.content["conditions"]["users"] == {
        "includeGroups": [DST_GROUP],
        "excludeGroups": [DST_GROUP],
    }
    assert remapped.notes == (
        "Group 'Pilot users' in conditions.users.includeGroups not restored: no such group in the target.",
    )
    assert remapped.blocked == ()


def test_conditional_access_a_missing_excluded_group_blocks_the_policy() -> None:
    unknown = "40000000-0000-0000-0000-000000000000"
    policy = {
        "conditions": {
            "users": {"includeGroups": [SRC_GROUP], "excludeGroups": [SRC_GROUP, GONE_GROUP, unknown]}
        }
    }
    remapped = remap_content("conditionalAccessPolicies", policy, ids())
    assert remapped.missing_exclusions == ("Pilot users", unknown)
    assert [reason.split(";")[0] for reason in remapped.blocked] == [
        "Group 'Pilot users' is excluded in conditions.users.excludeGroups but does not exist in the target",
        f"Group '{unknown}' is excluded in conditions.users.excludeGroups but does not exist in the target",
    ]
    assert remapped.content["conditions"]["users"]["excludeGroups"] == [DST_GROUP, GONE_GROUP, unknown]


def test_app_configuration_apps() -> None:
    apps = remap_content("mobileAppConfigurations", {"targetedMobileApps": ["app-src", "app-gone"]}, ids())
    assert apps.content["targetedMobileApps"] == ["app-dst"]
    assert "'Teams'" in apps.notes[0]


def test_a_created_reference_extends_the_map() -> None:
    extended = ids().with_created(REFERENCE_KINDS["assignmentFilters"], GONE_FILTER, "f-new")
    remapped = remap_content(
        "deviceConfigurations", {"assignments": [target(SRC_GROUP, GONE_FILTER)]}, extended
    )
    assert remapped.content["assignments"] == [target(DST_GROUP, "f-new")] and remapped.notes == ()


def test_a_map_survives_json_between_activities() -> None:
    original = ids().with_created("groups", GONE_GROUP, "4" + SRC_GROUP[1:])
    again = IdMap.from_dict(json.loads(json.dumps(original.to_dict())))
    assert again == original
    content = {"assignments": [target(GONE_GROUP)], "roleScopeTagIds": ["5"]}
    assert remap_content("deviceConfigurations", content, again) == remap_content(
        "deviceConfigurations", content, original
    )


def test_conditional_access_excluded_users_block_a_cross_tenant_restore() -> None:
    """User IDs are the source tenant's own; an exclusion of them written into another tenant
    would exclude no one there."""
    user = "50000000-0000-0000-0000-000000000000"
    policy = {
        "conditions": {"users": {"includeUsers": ["All"], "excludeUsers": ["GuestsOrExternalUsers", user]}}
    }
    remapped = remap_content("conditionalAccessPolicies", policy, ids())
    assert remapped.missing_exclusions == (f"user {user}",)
    assert [reason.split(";")[0] for reason in remapped.blocked] == [
        f"User '{user}' is excluded in conditions.users.excludeUsers, and users are not mapped between "
        "tenants",
    ]
    assert remapped.content["conditions"] == policy["conditions"]
    assert remap_content("conditionalAccessPolicies", policy, replace(ids(), same=True)).blocked == ()


def access_policy(location: str, strength: str, context: str) -> dict[str, Any]:
    return {
        "conditions": {
            "applications": {"includeAuthenticationContextClassReferences": [context]},
            "locations": {"includeLocations": ["All"], "excludeLocations": ["AllTrusted", location]},
        },
        "grantControls": {"builtInControls": [], "authenticationStrength": {"id": strength}},
    }


def test_conditional_access_locations_strengths_and_contexts_are_remapped_by_name() -> None:
    remapped = remap_content("conditionalAccessPolicies", access_policy("loc-src", "str-src", "c1"), ids())
    assert remapped.blocked == () and remapped.notes == ()
    assert remapped.content["conditions"]["locations"]["excludeLocations"] == ["AllTrusted", "loc-dst"]
    assert remapped.content["grantControls"]["authenticationStrength"] == {"id": "str-dst"}
    assert remapped.content["conditions"]["applications"]["includeAuthenticationContextClassReferences"] == [
        "c4"
    ]


def test_conditional_access_missing_location_strength_or_context_blocks_the_policy() -> None:
    remapped = remap_content("conditionalAccessPolicies", access_policy("loc-gone", "str-gone", "c9"), ids())
    assert remapped.missing_exclusions == (
        "named location Branch",
        "authentication context c9",
        "authentication strength Phishing-resistant",
    )
    assert [reason.split(";")[0] for reason in remapped.blocked] == [
        "Named location 'Branch' in conditions.locations.excludeLocations does not exist in the target",
        "Authentication context 'c9' in conditions.applications.includeAuthenticationContextClassReferences "
        "does not exist in the target",
        "Authentication strength 'Phishing-resistant' in grantControls.authenticationStrength does not exist "
        "in the target",
    ]
    assert remapped.content == access_policy("loc-gone", "str-gone", "c9"), "blocked references stay unmapped"


def test_a_planned_reference_maps_to_a_placeholder_that_names_it() -> None:
    planned = ids().with_planned(
        [
            ("namedLocations", "loc-gone", "Branch"),
            ("namedLocations", "loc-src", "HQ"),
            ("authenticationStrengthPolicies", "str-gone", "Phishing-resistant"),
            ("authenticationContextClassReferences", "c9", "Finance"),
            ("mobileApps", "app-gone", "Teams"),
        ]
    )
    remapped = remap_content(
        "conditionalAccessPolicies", access_policy("loc-gone", "str-gone", "c9"), planned
    )
    assert remapped.blocked == ()
    assert remapped.content["conditions"]["locations"]["excludeLocations"] == [
        "AllTrusted",
        "(restored first: Branch)",
    ]
    assert planned.named_locations["loc-src"] == "loc-dst", "what the target has stays mapped to it"
    assert "app-gone" not in planned.mobile_apps, "apps are never restored, so never planned"


def test_settings_naming_a_reusable_setting_name_the_targets_copy() -> None:
    def policy(reusable: str) -> dict[str, Any]:
        value = {"@odata.type": REFERENCE_VALUE, "value": reusable, "note": None}
        instance = {"settingDefinitionId": "fw_rule_remoteaddresses", "simpleSettingCollectionValue": [value]}
        return {"settings": [{"settingInstance": instance}]}

    for policy_type in ("configurationPolicies", "compliancePolicies"):
        remapped = remap_content(policy_type, policy("rs-src"), ids())
        assert remapped.content == policy("rs-dst") and remapped.blocked == ()
        missing = remap_content(policy_type, policy("rs-gone"), ids())
        assert missing.missing_exclusions == ("reusable setting FW - Old addresses",)
        assert missing.content == policy("rs-gone")


def test_role_assignments_map_role_and_groups_and_refuse_to_lose_all_of_them() -> None:
    assignment = {
        "roleDefinition": {"id": "role-src", "displayName": "Helpdesk"},
        "members": [SRC_GROUP, GONE_GROUP],
        "resourceScopes": [GONE_GROUP],
        "scopeType": "resourceScope",
    }
    remapped = remap_content("roleAssignments", assignment, ids())
    assert remapped.content["roleDefinition"]["id"] == "role-dst"
    assert remapped.content["members"] == [DST_GROUP]
    assert remapped.missing_exclusions == ("scope groups",), "no scope left: its scope would change"
    everything = remap_content(
        "roleAssignments", {**assignment, "scopeType": "allDevices", "resourceScopes": []}, ids()
    )
    assert everything.blocked == () and "'Pilot users'" in everything.notes[0]
    no_role = remap_content(
        "roleAssignments", {**assignment, "roleDefinition": {"id": "x", "displayName": "Gone"}}, ids()
    )
    assert "role Gone" in no_role.missing_exclusions


def test_a_cloud_pc_policy_joined_through_another_tenants_network_is_not_written() -> None:
    policy = {
        "domainJoinConfigurations": [
            {"domainJoinType": "hybridAzureADJoin", "onPremisesConnectionId": "anc-1"}
        ]
    }
    assert remap_content("cloudPcProvisioningPolicies", policy, ids()).missing_exclusions == (
        "network connection anc-1",
    )
    assert remap_content("cloudPcProvisioningPolicies", policy, replace(ids(), same=True)).blocked == ()
