"""Every route of the app, hostile input in each place a caller controls: a 4xx problem with a stable
code or a 2xx, never a 5xx, never a stack trace, and nothing stored for a refused request.

The routes are the ones the worker indexed from function_app.py (`tests/e2e/fuzz.py`), so a new
route is fuzzed as soon as it exists. Each request is a valid baseline (an admin of a tenant of its
own, real IDs of a run, backup, policy version, schedule and notification there, a valid body) with
one kind of input made hostile: a path parameter, a query parameter the route reads (or one it does
not), the other headers, the bearer token, or, on routes other than GET, the whole body or one body
field (`tests/e2e/fuzz_corpus.py`). The cases the issue tracker recorded as 500s carry the status they
must now get.

Nothing stored: refused requests are sent a second time once the storage is quiet (the runs that
accepted requests started have ended); the app's tables and blobs and the durable hub's instances
must be the same before and after that second pass, but for the refusals the gate audits.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import jwt
import pytest

from local.apptesting import App
from local.azurite import AzuriteEndpoints
from local.stack import GRAPHSIM_CREDENTIAL_REF
from local.tokens import DevSigningKey, mint_token
from shared.auth.memberships import MembershipStore
from shared.auth.roles import PLATFORM_ADMIN_ROLE, Role
from shared.storage import names
from shared.tenants import TenantRegistry
from tests.e2e import fuzz_corpus as corpus
from tests.e2e.fuzz import (
    UNKNOWN_QUERY_NAME,
    Case,
    Route,
    changes,
    faults,
    routes_of,
    send_all,
    storage_state,
    wait_until_quiet,
)
from tests.polling import wait_until

ADMIN = "fuzz-admin@msp.example"
STRANGER = "fuzz-stranger@msp.example"
"""Holds no role anywhere: a valid token that every tenant route refuses with 403."""
REPO_ROOT = Path(__file__).resolve().parents[2]
HUB_NAME = json.loads((REPO_ROOT / "host.json").read_text())["extensions"]["durableTask"]["hubName"]
BODY_ROUTES = {
    ("POST", "api/tenants/{tenantId}/restores"),
    ("POST", "api/tenants/{tenantId}/runs/{runId}/retry"),
    ("POST", "api/tenants/{tenantId}/schedules"),
    ("PUT", "api/tenants/{tenantId}/schedules/{scheduleId}"),
    ("POST", "api/tenants/{tenantId}/webhooks"),
    ("POST", "api/backups"),
    ("POST", "api/restores"),
}
"""The routes that read a body today; the deep body must be a 400 on each of them."""
PLATFORM_ROUTES = {"api/webhooks", "api/webhooks/{webhookId}", "api/webhooks/{webhookId}/deliveries"}
"""Routes only platform admins pass (and that take query input): the baseline holds the platform role."""
DOCUMENTED_CODES = (REPO_ROOT / "docs" / "api-errors.md").read_text()
WEBHOOK = {"url": "https://hooks.example.invalid/fuzz", "events": ["tenant.unhealthy"]}
"""No such host: a delivery would fail and be retried, and this event is never raised while fuzzing."""
SCHEDULE = {"cron": "0 0 3 * * *", "timeZone": "UTC", "retention": {"keepLast": 3}, "enabled": False}


@dataclass(frozen=True)
class World:
    """The fuzz tenant and the IDs of what exists in it, the baseline of every request."""

    tenant: str
    path: dict[str, str]
    bodies: dict[tuple[str, str], dict[str, Any]]


def _ok(answer: Any, status: int = 200) -> Any:
    assert answer.status_code == status, answer.text[:500]
    return answer.json()


def _ended(app: App, started: Any) -> dict[str, Any]:
    body = _ok(started, 202)
    ended: dict[str, Any] = app.wait_until_ended(body["statusUrl"], ADMIN, timeout=120).json()
    return ended


@pytest.fixture(scope="module")
def world(app: App) -> World:
    sim = app.graphsim.admin
    tenant = sim.create_tenant(name="Fuzz", seed="none")
    for sim_app in app.graphsim.apps:
        sim.consent(tenant, sim_app.client_id, sim_app.roles)
    registry = TenantRegistry(app.storage)
    registry.add(tenant, "Fuzz", "public", GRAPHSIM_CREDENTIAL_REF)
    MembershipStore(app.storage, registry).grant(app.principal_key(ADMIN), tenant, Role.ADMIN, "e2e")

    policy = app.new_policy(tenant)
    _ended(app, app.post(app.capture_path(tenant, policy), ADMIN))
    versions = _ok(app.get(f"api/tenants/{tenant}/policies/deviceConfigurations/{policy}/versions", ADMIN))
    backup = _ended(app, app.post(f"api/tenants/{tenant}/backups", ADMIN))
    schedule = _ok(app.post(f"api/tenants/{tenant}/schedules", ADMIN, json=SCHEDULE), 201)
    notifications = _ok(app.get("api/me/notifications", ADMIN))["items"]
    webhook = _ok(app.post(f"api/tenants/{tenant}/webhooks", ADMIN, json=WEBHOOK), 201)
    fleet = _ok(app.post("api/backups", ADMIN, json={"tenants": [tenant]}), 202)
    wait_until(
        lambda: _ok(app.get(f"api/fleet/runs/{fleet['id']}", ADMIN))["status"] not in ("queued", "running"),
        timeout=120, message="the fuzz world's fleet run to end",
    )
    return World(
        tenant,
        {
            "tenantId": tenant,
            "policyType": "deviceConfigurations",
            "policyId": policy,
            "versionId": versions["items"][0]["id"],
            "runId": backup["id"],
            "backupId": backup["id"],
            "scheduleId": schedule["id"],
            "notificationId": notifications[0]["id"],
            "webhookId": webhook["id"],
            "fleetRunId": fleet["id"],
        },
        {
            ("POST", "api/tenants/{tenantId}/restores"): {
                "mode": "preview",
                "source": {"backupId": backup["id"]},
            },
            ("POST", "api/tenants/{tenantId}/runs/{runId}/retry"): {"confirm": True},
            ("POST", "api/tenants/{tenantId}/schedules"): SCHEDULE,
            ("PUT", "api/tenants/{tenantId}/schedules/{scheduleId}"): SCHEDULE,
            ("POST", "api/tenants/{tenantId}/webhooks"): WEBHOOK,
            ("POST", "api/backups"): {"tenants": [tenant]},
            ("POST", "api/restores"): {
                "mode": "preview",
                "tenants": [tenant],
                "source": {"tenantId": tenant, "backupId": backup["id"]},
            },
        },
    )


def _active_runs(app: App, tenant: str) -> int:
    active = "PartitionKey eq @tenant and (Status eq 'queued' or Status eq 'running')"
    return len(list(app.storage.table(names.RUNS).query_entities(active, parameters={"tenant": tenant})))


def _signed_hostile_tokens(key: DevSigningKey) -> list[str]:
    """Tokens signed with the dev key (or posing as it) that must still be refused with a 401."""
    impostor = DevSigningKey(key.private_key, "not-a-published-kid")

    def raw(claims: dict[str, Any]) -> str:
        payload = json.dumps({**_valid_claims(key), **claims}).encode()
        return jwt.api_jws.encode(payload, key.private_key, algorithm="RS256", headers={"kid": key.kid})

    unsigned = [base64.urlsafe_b64encode(json.dumps(part).encode()).rstrip(b"=").decode() for part in (
        {"alg": "none", "kid": key.kid}, _valid_claims(key))]

    return [
        mint_token(key, principal_name=ADMIN, expires_in=-600),
        mint_token(key, principal_name=ADMIN, not_before_in=900),
        mint_token(key, principal_name=ADMIN, audience="https://graph.microsoft.com"),
        mint_token(key, principal_name=ADMIN, issuer="https://sts.windows.net/evil/"),
        mint_token(impostor, principal_name=ADMIN),
        mint_token(key, principal_name=ADMIN, extra_claims={"oid": None}),
        raw({"exp": float("inf")}),
        raw({"aud": [1, 2]}),
        raw({"iss": 5}),
        raw({"oid": ["x"]}),
        ".".join(unsigned) + ".",
    ]


def _valid_claims(key: DevSigningKey) -> dict[str, Any]:
    return dict(jwt.decode(mint_token(key, principal_name=ADMIN), options={"verify_signature": False}))


def _cases(app: App, world: World, routes: list[Route], gated: set[tuple[str, str]]) -> Iterator[Case]:
    """Every case of every route; routes that delete come last, so the rest sees what they delete."""
    bad_tokens = [*corpus.HOSTILE_TOKEN_SHAPES, *(f"Bearer {t}" for t in _signed_hostile_tokens(app.key))]
    for base in sorted(_baselines(app, world, routes), key=lambda case: case.method == "DELETE"):
        yield from _token_cases(base, bad_tokens, (base.method, base.route.path) in gated)
        yield _replace(base, "token", "no role", headers={**base.headers, **_bearer(app, STRANGER)})
        yield from _path_cases(base, app)
        yield from _query_cases(base)
        yield from _header_cases(base)
        yield from _body_cases(base)
        yield from _field_cases(base, world.bodies.get((base.method, base.route.path)))


def _baselines(app: App, world: World, routes: list[Route]) -> Iterator[Case]:
    """Each route and method with valid input: an admin's token, real IDs, a valid body, `If-Match: *`."""
    for route in routes:
        for method in route.methods:
            body = world.bodies.get((method, route.path))
            yield Case(
                route,
                method,
                "baseline",
                "",
                {name: world.path.get(name, "fuzz-baseline") for name in route.params},
                headers={**_bearer(app, ADMIN, platform=route.path in PLATFORM_ROUTES), "If-Match": "*"},
                body=json.dumps(body).encode() if body is not None else None,
            )


def _bearer(app: App, principal: str, *, platform: bool = False) -> dict[str, str]:
    claims = {"roles": [PLATFORM_ADMIN_ROLE]} if platform else {}
    return {"Authorization": f"Bearer {app.token(principal, extra_claims=claims)}"}


def _replace(base: Case, kind: str, label: str, **changed: Any) -> Case:
    return dataclasses.replace(base, kind=kind, label=label, **changed)


def _token_cases(base: Case, tokens: list[str | bytes], gated: bool) -> Iterator[Case]:
    """Every malformed or refused token is a 401 on a gated route (the recorded ones `auth.invalid_token`)."""
    recorded = {f"Bearer {corpus.KID_IS_A_NUMBER}", corpus.NOT_UTF8}
    for index, value in enumerate(tokens):
        expect = ((401, "auth.invalid_token" if value in recorded else None)) if gated else None
        headers = {**base.headers, "Authorization": value}
        yield _replace(base, "token", f"#{index} {value[:50]!r}", headers=headers, expect=expect)
    headers = {k: v for k, v in base.headers.items() if k != "Authorization"}
    expect_missing = (401, "auth.missing_token") if gated else None
    yield _replace(base, "token", "none", headers=headers, expect=expect_missing)


def _path_cases(base: Case, app: App) -> Iterator[Case]:
    for name in base.route.params:
        baseline = str(base.path[name])
        values: list[corpus.Hostile] = [*corpus.PATH_VALUES, baseline.upper(), baseline + " "]
        if name == "tenantId":
            values.append(app.tenant_a)
        for value in values:
            yield _replace(base, "path", f"{name}={value!r:.60}", path={**base.path, name: value})


def _query_cases(base: Case) -> Iterator[Case]:
    for name in (*base.route.query_names, UNKNOWN_QUERY_NAME):
        for value in corpus.QUERY_VALUES:
            expect = None
            if value == corpus.UNICODE_DIGIT and name == "pageSize":
                expect = (400, "request.invalid_query")
            if value == corpus.OVERFLOWING_TIME and name in ("since", "until"):
                expect = (400, "request.invalid_query")
            yield _replace(base, "query", f"{name}={value!r:.60}", query=((name, value),), expect=expect)


def _header_cases(base: Case) -> Iterator[Case]:
    for value in corpus.HEADER_VALUES:
        headers = {**base.headers, **dict.fromkeys(corpus.FUZZED_HEADERS, value)}
        yield _replace(base, "header", f"{value!r:.60}", headers=headers)
    for host in corpus.HOST_VALUES:
        yield _replace(base, "header", f"Host: {host!r:.60}", headers={**base.headers, "Host": host})


def _body_cases(base: Case) -> Iterator[Case]:
    """Every route but GET ones, which never read a body, gets every hostile body."""
    if base.method == "GET":
        return
    reads_body = (base.method, base.route.path) in BODY_ROUTES
    for index, body in enumerate(corpus.BODIES):
        expect = None
        if reads_body and body == corpus.DEEP_BODY:
            expect = (400, "request.body_too_deep")
        if reads_body and body == corpus.LARGE_BODY:
            expect = (413, "request.body_too_large")
        label = f"#{index} {body[:40]!r} ({len(body)} bytes)"
        yield _replace(base, "body", label, body=body, expect=expect)


def _field_cases(base: Case, body: dict[str, Any] | None) -> Iterator[Case]:
    """Each field of the route's body (nested ones too) replaced; a route without a known body gets
    the common field names all at once."""
    if base.method == "GET":
        return
    for value in corpus.FIELD_VALUES:
        label = f"{json.dumps(value)[:40]}"
        if body is None:
            hostile = dict.fromkeys(corpus.GENERIC_FIELDS, value)
            yield _replace(base, "field", f"* = {label}", body=json.dumps(hostile).encode())
            continue
        for where in _field_paths(body):
            yield _replace(base, "field", f"{'.'.join(where)} = {label}", body=_with(body, where, value))
        yield _replace(base, "field", f"unknown = {label}", body=_with(body, ("unknown",), value))


def _field_paths(body: dict[str, Any], prefix: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    for key, value in body.items():
        yield (*prefix, key)
        if isinstance(value, dict):
            yield from _field_paths(value, (*prefix, key))


def _with(body: dict[str, Any], where: tuple[str, ...], value: Any) -> bytes:
    copy = json.loads(json.dumps(body))
    target = copy
    for key in where[:-1]:
        target = target[key]
    target[where[-1]] = value
    return json.dumps(copy).encode()


@pytest.mark.slow
def test_hostile_input_on_every_route_is_a_4xx_problem_or_a_2xx_and_stores_nothing(
    app: App, world: World, azurite: AzuriteEndpoints
) -> None:
    started = time.monotonic()
    routes = routes_of(app.devhost)
    assert len(routes) >= 25, [str(route) for route in routes]
    probes = send_all(_replace(base, "token", "none", headers={}) for base in _baselines(app, world, routes))
    gated = {(case.method, case.route.path) for case, answer in probes if answer.status == 401}
    assert {(m, p) for m, p in BODY_ROUTES} <= gated

    cases = list(_cases(app, world, routes, gated))
    answers = send_all(cases)
    sent = time.monotonic()
    failures = [f"{case}: {fault}" for case, answer in answers for fault in faults(case, answer)]

    per_kind = Counter(case.kind for case in cases)
    elapsed = sent - started
    statuses = Counter(answer.status for _, answer in answers)
    codes = Counter(code for _, answer in answers if (code := answer.problem_code()))
    undocumented = sorted(code for code in codes if f"`{code}`" not in DOCUMENTED_CODES)
    print(f"\nfuzz: {len(routes)} routes, {len(cases)} requests in {elapsed:.0f} s {dict(per_kind)}")
    print(f"fuzz: statuses {dict(sorted(statuses.items()))}")
    print(f"fuzz: problem codes {dict(codes.most_common())}")

    refused = [case for case, answer in answers if 400 <= answer.status < 500 and case.method != "GET"]
    state = partial(storage_state, app.storage, azurite.connection_string, HUB_NAME)
    before = wait_until_quiet(state, lambda: _active_runs(app, world.tenant) > 0)
    quiet = time.monotonic()
    again = send_all(refused)
    after = state()
    print(f"fuzz: quiet after {quiet - sent:.0f} s; {len(refused)} refused requests sent again in "
          f"{time.monotonic() - quiet:.0f} s")

    assert not failures, f"{len(failures)} faults:\n" + "\n".join(failures[:60])
    assert not undocumented, f"problem codes missing from docs/api-errors.md: {undocumented}"
    assert [str(case) for case, answer in again if answer.accepted] == []
    stored = changes(before, after)
    assert stored == [], f"{len(stored)} changes:\n" + "\n".join(stored[:40])
    coverage = Counter((case.method, case.route.path, case.kind) for case in cases)
    assert {key: count for key, count in coverage.items() if count < 20} == {}
