"""What the engine refuses before any write: capture-only types and service defaults, each with the
catalog's reason; and the natural-key lookup that never offers a default as a match."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from local.graphsim.testing import GraphSim
from shared.graph import GraphClient
from shared.intune import TYPES, object_type
from shared.restore.lookup import find_matches, natural_key
from shared.restore.remap import IdMap
from shared.restore.write import RestoreNotPossible, RestoreWouldWiden, write_item

MakeClient = Callable[[str], GraphClient]
NO_IDS = IdMap(scope_tags={"0": "0"}, filters={}, notification_templates={}, groups={}, group_names={})


@pytest.mark.parametrize("policy_type", sorted(entry.name for entry in TYPES if not entry.restorable))
def test_capture_only_types_are_not_restorable(
    sim: GraphSim, make_client: MakeClient, empty_tenant: str, policy_type: str
) -> None:
    sim.admin.clear_log()
    with pytest.raises(RestoreNotPossible) as refused:
        write_item(make_client(empty_tenant), policy_type, {"displayName": "x"}, target_id=None, ids=NO_IDS)
    assert refused.value.reason == object_type(policy_type).not_restorable_reason
    assert not sim.admin.log(tenant=empty_tenant, kind="graph")


@pytest.mark.parametrize(
    ("policy_type", "content", "source_id"),
    [
        ("deviceEnrollmentConfigurations", {"displayName": "All users", "priority": 0}, None),
        ("deviceEnrollmentConfigurations", {"displayName": "All users", "priority": 3}, "abc_DefaultLimit"),
        ("roleScopeTags", {"displayName": "Default"}, "0"),
        ("roleDefinitions", {"displayName": "Help Desk Operator", "isBuiltIn": True}, None),
    ],
)
def test_service_defaults_are_skipped_with_the_catalog_reason(
    sim: GraphSim,
    make_client: MakeClient,
    empty_tenant: str,
    policy_type: str,
    content: dict,
    source_id: str | None,
) -> None:
    sim.admin.clear_log()
    with pytest.raises(RestoreNotPossible) as refused:
        write_item(
            make_client(empty_tenant), policy_type, content, target_id=None, ids=NO_IDS, source_id=source_id
        )
    skip = object_type(policy_type).skip
    assert skip is not None and refused.value.reason == skip.reason
    assert not sim.admin.log(tenant=empty_tenant, kind="graph")


def test_lookup_matches_by_name_and_never_offers_a_default(
    sim: GraphSim, make_client: MakeClient, demo_tenant: str
) -> None:
    client = make_client(demo_tenant)
    policies = sim.admin.tenant_state(demo_tenant)["collections"]["deviceManagement/configurationPolicies"]
    policy = policies[0]
    assert natural_key("configurationPolicies", policy) == policy["name"]
    same_name = [p["id"] for p in policies if p["name"] == policy["name"]]
    assert sorted(find_matches(client, "configurationPolicies", policy["name"])) == sorted(same_name)
    assert find_matches(client, "configurationPolicies", "no such policy") == []
    defaults = [
        c
        for c in sim.admin.tenant_state(demo_tenant)["collections"][
            "deviceManagement/deviceEnrollmentConfigurations"
        ]
        if c["priority"] == 0
    ]
    assert (
        defaults and find_matches(client, "deviceEnrollmentConfigurations", defaults[0]["displayName"]) == []
    )
    assert find_matches(client, "roleScopeTags", "Default") == []


MISSING_GROUP = "9d1f0000-0000-4000-8000-000000000001"
WIDENING = [
    (
        "deviceConfigurations",
        {
            "@odata.type": "#microsoft.graph.windows10GeneralConfiguration",
            "displayName": "Restricted kiosks",
            "assignments": [
                {"target": {"@odata.type": "#microsoft.graph.allDevicesAssignmentTarget"}},
                {
                    "target": {
                        "@odata.type": "#microsoft.graph.exclusionGroupAssignmentTarget",
                        "groupId": MISSING_GROUP,
                    }
                },
            ],
        },
    ),
    (
        "conditionalAccessPolicies",
        {
            "displayName": "Require MFA except break-glass",
            "state": "enabled",
            "conditions": {
                "users": {"includeUsers": ["All"], "excludeGroups": [MISSING_GROUP]},
                "applications": {"includeApplications": ["All"]},
                "clientAppTypes": ["all"],
            },
            "grantControls": {"operator": "OR", "builtInControls": ["mfa"]},
        },
    ),
]


@pytest.mark.parametrize(("policy_type", "content"), WIDENING, ids=[name for name, _ in WIDENING])
@pytest.mark.parametrize("existing", [False, True], ids=["create", "update"])
def test_an_exclusion_of_a_group_the_target_lacks_is_refused_before_any_write(
    sim: GraphSim, make_client: MakeClient, empty_tenant: str, policy_type: str, content: dict, existing: bool
) -> None:
    """Dropping the exclusion would apply the policy to the excluded users or devices too."""
    ids = IdMap(
        scope_tags={"0": "0"},
        filters={},
        notification_templates={},
        groups={},
        group_names={MISSING_GROUP: "Break-glass accounts"},
    )
    sim.admin.clear_log()
    with pytest.raises(RestoreWouldWiden) as refused:
        write_item(
            make_client(empty_tenant),
            policy_type,
            content,
            target_id="00000000-0000-0000-0000-0000000000aa" if existing else None,
            ids=ids,
        )
    assert isinstance(refused.value, RestoreNotPossible), "the job records it like any item it cannot restore"
    assert refused.value.exclusions == ("Break-glass accounts",)
    assert "'Break-glass accounts'" in refused.value.reason and "not written" in refused.value.reason
    assert not sim.admin.log(tenant=empty_tenant, kind="graph"), "nothing was read or written"
