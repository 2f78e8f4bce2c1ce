"""build_id_map against graphsim: both tenants' reference listings (read side by side), matched by
name; a listing that fails fails the map instead of leaving a kind empty."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from local.graphsim.testing import GraphSim
from shared.graph import GraphClient, GraphForbidden
from shared.restore.remap import build_id_map, kinds_for

MakeClient = Callable[[str], GraphClient]
LISTINGS = {
    "/beta/deviceManagement/roleScopeTags",
    "/beta/deviceManagement/assignmentFilters",
    "/beta/deviceManagement/notificationMessageTemplates",
    "/v1.0/groups",
    "/beta/deviceAppManagement/mobileApps",
    "/beta/deviceManagement/reusablePolicySettings",
    "/v1.0/identity/conditionalAccess/namedLocations",
    "/v1.0/policies/authenticationStrengthPolicies",
    "/v1.0/identity/conditionalAccess/authenticationContextClassReferences",
    "/beta/deviceManagement/roleDefinitions",
}


def test_each_tenant_is_listed_once_per_kind_and_groups_match_by_name(
    sim: GraphSim, make_client: MakeClient, demo_tenant: str, customer_tenant: str
) -> None:
    sim.admin.clear_log()
    ids = build_id_map(make_client(demo_tenant), make_client(customer_tenant))

    for tenant in (demo_tenant, customer_tenant):
        entries = sim.admin.log(tenant=tenant, kind="graph")
        assert sorted(e["path"] for e in entries) == sorted(LISTINGS), tenant
        assert {e["method"] for e in entries} == {"GET"}
    source_groups = sim.admin.tenant_state(demo_tenant)["collections"]["groups"]
    target_groups = {
        g["displayName"]: g["id"] for g in sim.admin.tenant_state(customer_tenant)["collections"]["groups"]
    }
    assert dict(ids.groups) == {g["id"]: target_groups[g["displayName"]] for g in source_groups}
    assert not ids.same_tenant()


def test_a_listing_that_fails_fails_the_map(
    sim: GraphSim, make_client: MakeClient, demo_tenant: str, customer_tenant: str
) -> None:
    sim.admin.set_faults(
        rules=[
            {
                "method": "GET",
                "path": "assignmentFilters$",
                "action": "status",
                "status": 403,
                "code": "Forbidden",
                "message": "No access to assignment filters.",
            }
        ]
    )
    with pytest.raises(GraphForbidden):
        build_id_map(make_client(demo_tenant), make_client(customer_tenant))


def test_only_the_kinds_the_items_refer_to_are_listed(
    sim: GraphSim, make_client: MakeClient, demo_tenant: str, customer_tenant: str
) -> None:
    sim.admin.clear_log()
    ids = build_id_map(make_client(demo_tenant), make_client(customer_tenant), ["conditionalAccessPolicies"])

    paths = sorted(e["path"] for e in sim.admin.log(tenant=customer_tenant, kind="graph"))
    assert paths == sorted(
        [
            "/beta/deviceManagement/roleScopeTags",
            "/beta/deviceManagement/assignmentFilters",
            "/v1.0/groups",
            "/v1.0/identity/conditionalAccess/namedLocations",
            "/v1.0/policies/authenticationStrengthPolicies",
            "/v1.0/identity/conditionalAccess/authenticationContextClassReferences",
        ]
    )
    assert not ids.reusable_settings and not ids.mobile_apps
    builtin = "00000000-0000-0000-0000-000000000002"
    assert ids.auth_strengths[builtin] == builtin, "built-in strengths have the same ID and name everywhere"
    assert kinds_for(["mobileAppConfigurations"]) == ("scope_tags", "filters", "groups", "mobile_apps")
