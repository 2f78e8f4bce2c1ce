"""Tenant isolation through HTTP on the devhost: 401 before anything, 403 across tenants (also for a
run of B asked for under A), 404 only for what does not exist in an allowed tenant, denials audited."""

from __future__ import annotations

from typing import Any

import jwt
import pytest
import requests
from cryptography.hazmat.primitives.asymmetric import rsa

from local.apptesting import OPERATOR_A, OPERATOR_B, READER_A, App
from local.tokens import DevSigningKey, mint_token
from tests.e2e import trail

UNKNOWN_RUN = "999999999999999999-0123456789ab"


@pytest.fixture(scope="module")
def run_of_b(app: App) -> dict[str, Any]:
    """A finished capture run of tenant B, started by B's operator."""
    policy_id = app.new_policy(app.tenant_b)
    started = app.post(app.capture_path(app.tenant_b, policy_id), OPERATOR_B)
    assert started.status_code == 202, started.text
    app.wait_until_ended(started.headers["Location"], OPERATOR_B)
    return dict(started.json())


def _problem(answer: requests.Response, status: int, code: str) -> None:
    assert answer.status_code == status, answer.text
    assert answer.headers["Content-Type"].startswith("application/problem+json")
    assert answer.json()["code"] == code


def test_tenants_lists_only_the_callers_tenants_with_the_role(app: App) -> None:
    mine = app.get("api/tenants", OPERATOR_A).json()["items"]
    assert [(t["tenantId"], t["role"]) for t in mine] == [(app.tenant_a, "operator")]
    assert [t["role"] for t in app.get("api/tenants", READER_A).json()["items"]] == ["reader"]


def test_a_role_only_in_a_is_403_for_every_route_of_b(app: App, run_of_b: dict[str, Any]) -> None:
    b, run_id, since = app.tenant_b, run_of_b["id"], trail.now()
    for path in (
        f"api/tenants/{b}/runs",
        f"api/tenants/{b}/runs/{run_id}",
        f"api/tenants/{b}/runs/{run_id}/items",
        f"api/tenants/{b}/runs/{run_id}/status",
        f"api/tenants/{b}/audit",
        f"api/tenants/{b}/policies/deviceConfigurations/{run_of_b['source']['policyId']}/versions",
    ):
        _problem(app.get(path, OPERATOR_A), 403, "auth.forbidden")
    _problem(app.post(app.capture_path(b, app.new_policy(b)), OPERATOR_A), 403, "auth.forbidden")
    attempted = ["runs.list", "runs.view", "runs.items", "runs.status", "audit.list", "policy.versions.list",
                 "policy.capture_snapshot"]
    alice = app.principal_key(OPERATOR_A)
    assert trail.denials(app, b, OPERATOR_B, since) == [(alice, a, "auth.forbidden") for a in attempted]


def test_a_run_of_b_asked_for_under_a_is_403_and_an_unknown_run_404(
    app: App, run_of_b: dict[str, Any]
) -> None:
    a, run_id, since = app.tenant_a, run_of_b["id"], trail.now()
    for suffix in ("", "/items", "/status"):
        _problem(app.get(f"api/tenants/{a}/runs/{run_id}{suffix}", OPERATOR_A), 403, "auth.forbidden")
        _problem(app.get(f"api/tenants/{a}/runs/{UNKNOWN_RUN}{suffix}", OPERATOR_A), 404, "run.not_found")
    # Audited in B's trail, where the run is; the 404s and A's own trail hold nothing.
    alice = app.principal_key(OPERATOR_A)
    assert trail.denials(app, app.tenant_b, OPERATOR_B, since) == [
        (alice, action, "auth.forbidden") for action in ("runs.view", "runs.items", "runs.status")
    ]
    assert trail.denials(app, a, READER_A, since) == []


def test_denied_attempts_are_in_the_owners_audit_trail(app: App, run_of_b: dict[str, Any]) -> None:
    app.get(f"api/tenants/{app.tenant_b}/runs", OPERATOR_A)
    app.get(f"api/tenants/{app.tenant_a}/runs/{run_of_b['id']}", OPERATOR_A)
    trail = app.get(f"api/tenants/{app.tenant_b}/audit", OPERATOR_B, params={"action": "auth.denied"})
    events = trail.json()["items"]
    actors = {event["actor"] for event in events}
    attempted = {event["details"]["attempted"] for event in events}
    assert app.principal_key(OPERATOR_A) in actors
    assert {"runs.list", "runs.view"} <= attempted


def _other_key() -> DevSigningKey:
    return DevSigningKey(rsa.generate_private_key(public_exponent=65537, key_size=2048), "unused")


@pytest.mark.parametrize(
    ("make_header", "code"),
    [
        (lambda app: None, "auth.missing_token"),
        (lambda app: app.token(OPERATOR_A, expires_in=-600), "auth.token_expired"),
        (lambda app: app.token(OPERATOR_A, audience="api://someone-else"), "auth.wrong_audience"),
        (
            lambda app: mint_token(
                DevSigningKey(_other_key().private_key, app.key.kid), principal_name=OPERATOR_A
            ),
            "auth.invalid_token",
        ),
        (lambda app: jwt.encode({"sub": "x"}, "k" * 32, algorithm="HS256"), "auth.invalid_token"),
    ],
    ids=["missing", "expired", "wrong-audience", "badly-signed", "hs256"],
)
def test_bad_tokens_are_401_on_every_kind_of_route(app: App, make_header: Any, code: str) -> None:
    token, since = make_header(app), trail.now()
    headers = {} if token is None else {"Authorization": f"Bearer {token}"}
    for method, path in (
        ("GET", "api/tenants"),
        ("GET", f"api/tenants/{app.tenant_a}/runs"),
        ("GET", "api/me/notifications"),
        ("POST", app.capture_path(app.tenant_a, "some-policy")),
    ):
        answer = requests.request(method, app.devhost.url(path), headers=headers, timeout=30)
        _problem(answer, 401, code)
        assert answer.headers["WWW-Authenticate"].startswith("Bearer")
    # The two tenant-scoped routes audit the refusal in A's trail; the caller is nobody known.
    assert trail.denials(app, app.tenant_a, READER_A, since) == [
        ("anonymous", "runs.list", code), ("anonymous", "policy.capture_snapshot", code)
    ]


def test_a_reader_cannot_start_a_capture_and_an_operator_can(app: App) -> None:
    policy_id, since = app.new_policy(app.tenant_a), trail.now()
    _problem(app.post(app.capture_path(app.tenant_a, policy_id), READER_A), 403, "auth.insufficient_role")
    assert trail.denials(app, app.tenant_a, READER_A, since) == [
        (app.principal_key(READER_A), "policy.capture_snapshot", "auth.insufficient_role")
    ]
    started = app.post(app.capture_path(app.tenant_a, policy_id), OPERATOR_A)
    assert started.status_code == 202, started.text
    app.wait_until_ended(started.headers["Location"], READER_A)


def test_bad_path_and_query_values_are_problems_before_any_write(app: App) -> None:
    runs_before = app.get(f"api/tenants/{app.tenant_a}/runs", OPERATOR_A).json()["items"]
    unknown_type = app.capture_path(app.tenant_a, "x", "notAType")
    _problem(app.post(unknown_type, OPERATOR_A), 404, "policy.unknown_type")
    bad_id = app.capture_path(app.tenant_a, "bad%20id!")
    _problem(app.post(bad_id, OPERATOR_A), 400, "request.invalid_path")
    _problem(app.get("api/tenants/not-a-guid/runs", OPERATOR_A), 400, "tenant.invalid_id")
    runs = f"api/tenants/{app.tenant_a}/runs"
    _problem(app.get(runs, OPERATOR_A, params={"pageSize": "0"}), 400, "request.invalid_query")
    _problem(app.get(runs, OPERATOR_A, params={"status": "nope"}), 400, "request.invalid_query")
    token = {"continuationToken": "garbage"}
    _problem(app.get(runs, OPERATOR_A, params=token), 400, "paging.invalid_continuation_token")
    audit = f"api/tenants/{app.tenant_a}/audit"
    _problem(app.get(audit, OPERATOR_A, params={"since": "yesterday"}), 400, "request.invalid_query")
    assert app.get(runs, OPERATOR_A).json()["items"] == runs_before
