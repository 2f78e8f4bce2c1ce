"""Onboarding through HTTP on the devhost: a platform admin registers a tenant by domain, hands out the
consent link and verifies it before consent, with too few permissions and after full consent; grants
and revokes roles; a tenant admin stays inside their tenant; every change is in the audit trail with
the actor's name; bad input is a clear 4xx and stores nothing."""

from __future__ import annotations

import secrets
import uuid
from typing import Any

import pytest
import requests

from local.apptesting import App
from local.graphsim.testing import GraphSim
from local.stack import GRAPHSIM_CREDENTIAL_REF
from local.tokens import demo_object_id
from shared.onboarding.permissions import CAPABILITIES

PLATFORM_ADMIN = "pat@msp.example"


class Caller:
    """A caller of the app with a dev token, optionally with app roles or groups in it."""

    def __init__(self, app: App, name: str, **claims: Any) -> None:
        self.app, self.name = app, name
        self.key = f"user:{demo_object_id(name)}"
        self._headers = {"Authorization": f"Bearer {app.token(name, extra_claims=claims)}"}

    def call(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        url = self.app.devhost.url(f"api/{path}")
        return requests.request(method, url, headers=self._headers, timeout=60, **kwargs)


def someone(label: str) -> str:
    return f"{label}-{secrets.token_hex(3)}@msp.example"


@pytest.fixture(scope="module")
def platform(app: App) -> Caller:
    return Caller(app, PLATFORM_ADMIN, roles=["msp.admin"])


def problem(answer: requests.Response, status: int, code: str) -> dict[str, Any]:
    assert answer.status_code == status, answer.text
    assert answer.headers["Content-Type"].startswith("application/problem+json")
    body: dict[str, Any] = answer.json()
    assert body["code"] == code, body
    return body


def trail(caller: Caller, tenant: str, action: str) -> list[dict[str, Any]]:
    answer = caller.call("GET", f"tenants/{tenant}/audit", params={"action": action, "pageSize": "100"})
    assert answer.status_code == 200, answer.text
    return list(reversed(answer.json()["items"]))


def test_onboarding_a_tenant_by_domain_from_consent_missing_to_healthy(app: App, platform: Caller) -> None:
    sim: GraphSim = app.graphsim
    name = f"Onboarded {secrets.token_hex(3)}"
    tenant_id = sim.admin.create_tenant(name)
    domain = next(t["domain"] for t in sim.admin.call("GET", "/tenants") if t["id"] == tenant_id)

    added = platform.call(
        "POST",
        "tenants",
        json={"tenant": domain, "displayName": name, "credentialRef": GRAPHSIM_CREDENTIAL_REF},
    )
    assert added.status_code == 201, added.text
    assert added.json()["tenantId"] == tenant_id, (
        "the domain was resolved through Entra's OpenID configuration"
    )
    assert added.json()["health"]["status"] == "unverified"
    assert added.headers["Location"].endswith(f"/api/tenants/{tenant_id}")
    consent = platform.call("GET", f"tenants/{tenant_id}/consent").json()
    assert consent["consentUrl"] == (
        f"{sim.base_url}/{tenant_id}/adminconsent?client_id={sim.federated_app.client_id}"
    )
    assert consent["credential"] == "federated"

    before = platform.call("POST", f"tenants/{tenant_id}/verify").json()["health"]
    assert before["status"] == "consent_missing"
    assert "AADSTS700016" in before["detail"]
    operator = Caller(app, someone("olga"))
    platform.call("PUT", f"tenants/{tenant_id}/members/{operator.key}", json={"role": "operator"})
    refused = problem(operator.call("POST", f"tenants/{tenant_id}/backups"), 409, "tenant.not_ready")
    assert refused["health"]["status"] == "consent_missing", "a backup fails fast with the recorded reason"

    granted = sorted(r.permission for r in CAPABILITIES["backup"])  # the admin consents to reading only
    sim.admin.consent(tenant_id, sim.federated_app.client_id, granted)
    partial = platform.call("POST", f"tenants/{tenant_id}/verify").json()["health"]
    assert partial["status"] == "permissions_missing"
    restore_needs = {r.permission for r in CAPABILITIES["restore"]}
    assert restore_needs - set(granted) <= set(partial["missingPermissions"])
    assert partial["capabilities"] == {"backup": True, "restore": False, "scripts": False, "apps": False}
    assert operator.call("POST", f"tenants/{tenant_id}/backups").status_code == 202, "backing up is possible"

    with sim.session() as browser:  # the customer's Global Administrator follows the link
        assert browser.get(consent["consentUrl"], timeout=30).status_code == 200
    healthy = platform.call("POST", f"tenants/{tenant_id}/verify").json()["health"]
    assert healthy["status"] == "healthy"
    assert healthy["missingPermissions"] == []
    assert operator.call("POST", f"tenants/{tenant_id}/backups").status_code == 202

    verified = trail(platform_reader(app, platform, tenant_id), tenant_id, "tenant.verified")
    assert [(e["details"]["before"], e["details"]["after"]) for e in verified] == [
        ("unverified", "consent_missing"),
        ("consent_missing", "permissions_missing"),
        ("permissions_missing", "healthy"),
    ]
    assert {e["details"]["actorName"] for e in verified} == {PLATFORM_ADMIN}
    (registered,) = trail(platform_reader(app, platform, tenant_id), tenant_id, "tenant.registered")
    assert registered["actor"] == platform.key
    assert registered["details"]["after"]["displayName"] == name


def platform_reader(app: App, platform: Caller, tenant_id: str) -> Caller:
    """The platform admin grants themselves reader on the tenant to read its trail (audited too)."""
    platform.call("PUT", f"tenants/{tenant_id}/members/{platform.key}", json={"role": "reader"})
    return platform


def test_a_platform_admin_grants_an_operator_who_can_back_up_until_revoked(
    app: App, platform: Caller
) -> None:
    operator = Caller(app, someone("otto"))
    tenant = app.tenant_a

    granted = platform.call("PUT", f"tenants/{tenant}/members/{operator.key}", json={"role": "operator"})
    assert granted.json()["role"] == "operator"
    started = operator.call("POST", f"tenants/{tenant}/backups")
    assert started.status_code == 202, started.text
    app.wait_until_ended(started.headers["Location"], operator.name)
    assert platform.call("DELETE", f"tenants/{tenant}/members/{operator.key}").status_code == 204
    problem(operator.call("POST", f"tenants/{tenant}/backups"), 403, "auth.forbidden")

    reader = platform_reader(app, platform, tenant)
    grants = [
        e
        for e in trail(reader, tenant, "membership.granted")
        if e["details"]["after"]["principal"] == operator.key
    ]
    revokes = [
        e
        for e in trail(reader, tenant, "membership.revoked")
        if e["details"]["before"]["principal"] == operator.key
    ]
    assert [(e["actor"], e["details"]["actorName"], e["details"]["after"]["role"]) for e in grants] == [
        (platform.key, PLATFORM_ADMIN, "operator")
    ]
    assert [(e["details"]["actorName"], e["details"]["before"]["role"]) for e in revokes] == [
        (PLATFORM_ADMIN, "operator")
    ]


def test_a_tenant_admin_of_a_cannot_reach_b(app: App, platform: Caller) -> None:
    admin_a = Caller(app, someone("ada"))
    platform.call("PUT", f"tenants/{app.tenant_a}/members/{admin_a.key}", json={"role": "admin"})
    newcomer = f"user:{uuid.uuid4()}"

    assert (
        admin_a.call("PUT", f"tenants/{app.tenant_a}/members/{newcomer}", json={"role": "reader"}).status_code
        == 200
    )
    problem(
        admin_a.call("PUT", f"tenants/{app.tenant_b}/members/{newcomer}", json={"role": "reader"}),
        403,
        "auth.forbidden",
    )
    problem(admin_a.call("GET", f"tenants/{app.tenant_b}/members"), 403, "auth.forbidden")
    problem(admin_a.call("GET", f"tenants/{app.tenant_b}"), 403, "auth.forbidden")
    problem(
        admin_a.call("PATCH", f"tenants/{app.tenant_a}", json={"displayName": "x"}),
        403,
        "auth.platform_admin_required",
    )
    listed = admin_a.call("GET", "tenants").json()
    assert [(t["tenantId"], t["role"]) for t in listed["items"]] == [(app.tenant_a, "admin")]
    members_of_a = {
        m["principal"] for m in admin_a.call("GET", f"tenants/{app.tenant_a}/members").json()["items"]
    }
    assert {admin_a.key, newcomer} <= members_of_a
    b_members = {
        m["principal"] for m in platform.call("GET", f"tenants/{app.tenant_b}/members").json()["items"]
    }
    assert newcomer not in b_members


def test_an_entra_group_mapped_to_a_role_and_an_overage_claim(app: App, platform: Caller) -> None:
    group = str(uuid.uuid4())
    mapped = platform.call("PUT", f"tenants/{app.tenant_a}/group-roles/{group}", json={"role": "operator"})
    assert mapped.status_code == 200, mapped.text
    member = Caller(app, someone("gus"), groups=[group, str(uuid.uuid4())])
    overage = Caller(app, someone("ovo"), _claim_names={"groups": "src1"}, _claim_sources={"src1": {}})

    assert [(t["tenantId"], t["role"]) for t in member.call("GET", "tenants").json()["items"]] == [
        (app.tenant_a, "operator")
    ]
    assert member.call("GET", f"tenants/{app.tenant_a}/runs").status_code == 200
    body = problem(overage.call("GET", f"tenants/{app.tenant_a}/runs"), 403, "auth.groups_overage")
    assert "overage" in body["detail"]
    assert platform.call("DELETE", f"tenants/{app.tenant_a}/group-roles/{group}").status_code == 204
    problem(member.call("GET", f"tenants/{app.tenant_a}/runs"), 403, "auth.forbidden")


def test_bad_input_to_every_onboarding_route_is_a_clear_4xx_and_stores_nothing(
    app: App, platform: Caller
) -> None:
    a, ref = app.tenant_a, GRAPHSIM_CREDENTIAL_REF
    nobody = Caller(app, someone("nina"))
    good = {"tenant": str(uuid.uuid4()), "displayName": "Never stored", "credentialRef": ref}
    tenants_before = {t["tenantId"] for t in platform.call("GET", "tenants").json()["items"]}
    members_before = platform.call("GET", f"tenants/{a}/members").json()["items"]
    groups_before = platform.call("GET", f"tenants/{a}/group-roles").json()["items"]

    cases: list[tuple[requests.Response, int, str]] = [
        (platform.call("POST", "tenants", data=b"not json"), 400, "onboarding.invalid_request"),
        (platform.call("POST", "tenants", json=[good]), 400, "onboarding.invalid_request"),
        (platform.call("POST", "tenants", json={**good, "secret": "x"}), 400, "onboarding.invalid_request"),
        (
            platform.call("POST", "tenants", json={"displayName": "x", "credentialRef": ref}),
            400,
            "onboarding.invalid_request",
        ),
        (
            platform.call("POST", "tenants", json={**good, "displayName": 7}),
            400,
            "onboarding.invalid_request",
        ),
        (
            platform.call("POST", "tenants", json={**good, "tenant": "not a tenant!"}),
            400,
            "tenant.invalid_id",
        ),
        (
            platform.call("POST", "tenants", json={**good, "tenant": "nobody.onmicrosoft.com"}),
            422,
            "tenant.domain_not_found",
        ),
        (platform.call("POST", "tenants", json={**good, "cloud": "mars"}), 400, "tenant.invalid"),
        (
            platform.call("POST", "tenants", json={**good, "credentialRef": "Not_A_Ref"}),
            400,
            "tenant.invalid",
        ),
        (
            platform.call("POST", "tenants", json={**good, "credentialRef": "unknown-ref"}),
            400,
            "tenant.unknown_credential",
        ),
        (platform.call("POST", "tenants", json={**good, "displayName": "x" * 300}), 400, "tenant.invalid"),
        (platform.call("POST", "tenants", json={**good, "tenant": a}), 409, "tenant.exists"),
        (nobody.call("POST", "tenants", json=good), 403, "auth.platform_admin_required"),
        (platform.call("PATCH", f"tenants/{a}", json={}), 400, "onboarding.invalid_request"),
        (
            platform.call("PATCH", f"tenants/{a}", json={"status": "paused"}),
            400,
            "onboarding.invalid_request",
        ),
        (
            platform.call("PATCH", f"tenants/{a}", json={"displayName": " "}),
            400,
            "onboarding.invalid_request",
        ),
        (platform.call("PATCH", "tenants/not-a-guid", json={"displayName": "x"}), 400, "tenant.invalid_id"),
        (
            platform.call("PATCH", f"tenants/{uuid.uuid4()}", json={"displayName": "x"}),
            404,
            "tenant.not_found",
        ),
        (platform.call("DELETE", f"tenants/{a}"), 409, "tenant.not_disabled"),
        (platform.call("DELETE", f"tenants/{uuid.uuid4()}"), 404, "tenant.not_found"),
        (
            platform.call("GET", f"tenants/{a}/consent", params={"redirectUri": "http://x"}),
            400,
            "tenant.invalid",
        ),
        (platform.call("POST", "tenants/nope/verify"), 400, "tenant.invalid_id"),
        (
            platform.call("PUT", f"tenants/{a}/members/someone", json={"role": "reader"}),
            400,
            "membership.invalid_principal",
        ),
        (
            platform.call("PUT", f"tenants/{a}/members/user:{uuid.uuid4()}", json={"role": "owner"}),
            400,
            "onboarding.invalid_request",
        ),
        (
            platform.call("PUT", f"tenants/{a}/members/user:{uuid.uuid4()}", json={"role": "reader", "x": 1}),
            400,
            "onboarding.invalid_request",
        ),
        (
            platform.call("PUT", f"tenants/{a}/members/user:{uuid.uuid4()}", data=b"{"),
            400,
            "onboarding.invalid_request",
        ),
        (
            platform.call(
                "PUT", f"tenants/{uuid.uuid4()}/members/user:{uuid.uuid4()}", json={"role": "reader"}
            ),
            404,
            "tenant.not_found",
        ),
        (platform.call("DELETE", f"tenants/{a}/members/user:{uuid.uuid4()}"), 404, "membership.not_found"),
        (platform.call("GET", f"tenants/{a}/members/app:{uuid.uuid4()}"), 404, "membership.not_found"),
        (
            platform.call("PUT", f"tenants/{a}/group-roles/not-a-group", json={"role": "reader"}),
            400,
            "group_role.invalid_group",
        ),
        (
            platform.call("PUT", f"tenants/{a}/group-roles/{uuid.uuid4()}", json={"role": 3}),
            400,
            "onboarding.invalid_request",
        ),
        (platform.call("DELETE", f"tenants/{a}/group-roles/{uuid.uuid4()}"), 404, "group_role.not_found"),
        (
            nobody.call("PUT", f"tenants/{a}/members/{nobody.key}", json={"role": "admin"}),
            403,
            "auth.forbidden",
        ),
        (nobody.call("POST", f"tenants/{a}/verify"), 403, "auth.forbidden"),
    ]
    for answer, status, code in cases:
        problem(answer, status, code)

    assert {t["tenantId"] for t in platform.call("GET", "tenants").json()["items"]} == tenants_before
    assert platform.call("GET", f"tenants/{a}/members").json()["items"] == members_before
    assert platform.call("GET", f"tenants/{a}/group-roles").json()["items"] == groups_before
    assert platform.call("GET", f"tenants/{a}").json()["displayName"] == app.graphsim.tenants[0].name


def test_off_boarding_needs_disabling_first_and_says_what_is_kept(app: App, platform: Caller) -> None:
    tenant_id = app.graphsim.admin.create_tenant(f"Leaving {secrets.token_hex(3)}")
    platform.call(
        "POST", "tenants", json={"tenant": tenant_id, "displayName": "Leaving", "credentialRef": "graphsim"}
    )
    member = Caller(app, someone("lee"))
    platform.call("PUT", f"tenants/{tenant_id}/members/{member.key}", json={"role": "reader"})

    problem(platform.call("DELETE", f"tenants/{tenant_id}"), 409, "tenant.not_disabled")
    disabled = platform.call(
        "PATCH", f"tenants/{tenant_id}", json={"status": "disabled", "displayName": "Left"}
    )
    assert (disabled.json()["status"], disabled.json()["displayName"]) == ("disabled", "Left")
    removed = platform.call("DELETE", f"tenants/{tenant_id}")

    assert removed.status_code == 200, removed.text
    assert "kept until retention removes them" in removed.json()["note"]
    assert tenant_id not in {t["tenantId"] for t in platform.call("GET", "tenants").json()["items"]}
    problem(member.call("GET", f"tenants/{tenant_id}/runs"), 403, "auth.forbidden")
