"""The gate every tenant-scoped route uses: 401 / 400 / 403 as problem+json, denials audited."""

from __future__ import annotations

import asyncio
import inspect
import json
from collections.abc import Callable
from pathlib import Path

import azure.functions as func
import pytest

from local.tokens import DevSigningKey, demo_object_id, ensure_dev_signing_key, mint_token
from shared.audit import AuditLog, AuditOutcome
from shared.auth.authorize import Authorizer, TenantAccess
from shared.auth.errors import Forbidden, InsufficientRole
from shared.auth.gate import RequestGuard, authenticated_route, tenant_route
from shared.auth.jwks import JwksCache, jwks_fetcher
from shared.auth.memberships import MembershipStore
from shared.auth.principal import Principal, PrincipalKind
from shared.auth.roles import Role
from shared.auth.tokens import TokenValidator
from shared.config.settings import DEV_AUDIENCE, DEV_ISSUER, AuthSettings
from shared.http.problems import PROBLEM_CONTENT_TYPE
from shared.storage import StorageAccount
from shared.tenants import TenantRegistry

TENANT_A = "8f1c2d3e-4b5a-4c6d-8e7f-9a0b1c2d3e4f"
TENANT_B = "1a2b3c4d-5e6f-4a8b-9c0d-1e2f3a4b5c6d"
UNREGISTERED = "0f0f0f0f-0f0f-4f0f-8f0f-0f0f0f0f0f0f"


class World:
    """Two registered tenants; alice reads A, olivia operates A; both have nothing in B."""

    def __init__(self, storage: StorageAccount, auth_dir: Path) -> None:
        self.key: DevSigningKey = ensure_dev_signing_key(auth_dir)
        url = (auth_dir / "jwks.json").as_uri()
        validator = TokenValidator(
            AuthSettings((DEV_AUDIENCE,), (DEV_ISSUER,), url, 60, True), JwksCache(jwks_fetcher(url))
        )
        self.registry = TenantRegistry(storage)
        self.memberships = MembershipStore(storage, self.registry)
        self.audit = AuditLog(storage)
        self.authorizer = Authorizer(self.memberships, self.audit)
        self.guard = RequestGuard(validator, self.authorizer, self.registry)
        self.registry.add(TENANT_A, "Contoso", "public", "msp-app")
        self.registry.add(TENANT_B, "Fabrikam", "public", "msp-app")
        self.memberships.grant(f"user:{demo_object_id('alice')}", TENANT_A, Role.READER, "test")
        self.memberships.grant(f"user:{demo_object_id('olivia')}", TENANT_A, Role.OPERATOR, "test")

    def token(self, name: str, **kwargs: object) -> str:
        return mint_token(self.key, principal_name=name, **kwargs)  # type: ignore[arg-type]

    def request(self, tenant_id: str, token: str | None = None, method: str = "GET") -> func.HttpRequest:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return func.HttpRequest(
            method=method,
            url=f"http://localhost/api/tenants/{tenant_id}/runs",
            headers=headers,
            route_params={"tenantId": tenant_id},
            body=b"",
        )


@pytest.fixture
def world(storage: StorageAccount, tmp_path: Path) -> World:
    return World(storage, tmp_path / "dev-auth")


def gated(world: World, role: Role, action: str = "runs.list") -> Callable[..., func.HttpResponse]:
    @tenant_route(role, action=action, guard=lambda: world.guard)
    def handler(req: func.HttpRequest, access: TenantAccess) -> func.HttpResponse:
        body = {"tenant": access.tenant_id, "principal": access.principal.key, "role": str(access.role)}
        return func.HttpResponse(json.dumps(body), status_code=200)

    return handler


def problem(response: func.HttpResponse) -> dict[str, object]:
    assert response.mimetype == PROBLEM_CONTENT_TYPE
    body: dict[str, object] = json.loads(response.get_body())
    assert body["status"] == response.status_code
    assert str(body["type"]).endswith(str(body["code"]))
    return body


def denials(world: World, tenant_id: str) -> list[tuple[str, str, str]]:
    return [
        (e.actor, e.outcome, str(e.details["code"]))
        for e in world.audit.query(tenant_id, action="auth.denied").items
    ]


def test_member_with_the_role_passes_and_the_handler_gets_the_access(world: World) -> None:
    handler = gated(world, Role.READER)
    response = handler(world.request(TENANT_A, world.token("alice")))
    assert response.status_code == 200
    assert json.loads(response.get_body()) == {
        "tenant": TENANT_A,
        "principal": f"user:{demo_object_id('alice')}",
        "role": "reader",
    }
    assert denials(world, TENANT_A) == []


def test_isolation_a_role_in_a_gives_403_in_b_and_is_audited_there(world: World) -> None:
    handler = gated(world, Role.READER)
    response = handler(world.request(TENANT_B, world.token("olivia")))
    assert response.status_code == 403
    assert problem(response)["code"] == "auth.forbidden"
    olivia = f"user:{demo_object_id('olivia')}"
    assert denials(world, TENANT_B) == [(olivia, AuditOutcome.DENIED, "auth.forbidden")]


def test_unregistered_tenant_is_403_like_any_tenant_without_a_role(world: World) -> None:
    response = gated(world, Role.READER)(world.request(UNREGISTERED, world.token("alice")))
    assert response.status_code == 403
    assert problem(response)["code"] == "auth.forbidden"
    alice = f"user:{demo_object_id('alice')}"
    assert denials(world, UNREGISTERED) == [(alice, AuditOutcome.DENIED, "auth.forbidden")]


def test_reader_cannot_start_an_operator_can(world: World) -> None:
    start = gated(world, Role.OPERATOR, action="runs.start")
    refused = start(world.request(TENANT_A, world.token("alice"), "POST"))
    assert refused.status_code == 403
    body = problem(refused)
    assert body["code"] == "auth.insufficient_role"
    assert body["required_role"] == "operator"
    allowed = start(world.request(TENANT_A, world.token("olivia"), "POST"))
    assert allowed.status_code == 200
    [entry] = world.audit.query(TENANT_A, action="auth.denied").items
    assert entry.details["attempted"] == "runs.start"
    assert entry.details["method"] == "POST"


@pytest.mark.parametrize(
    ("token_kwargs", "code"),
    [
        (None, "auth.missing_token"),
        ({"expires_in": -600}, "auth.token_expired"),
        ({"audience": "api://someone-else"}, "auth.wrong_audience"),
    ],
)
def test_unauthenticated_is_401_with_www_authenticate_and_audited_on_registered_tenants(
    world: World, token_kwargs: dict[str, object] | None, code: str
) -> None:
    token = None if token_kwargs is None else world.token("alice", **token_kwargs)
    response = gated(world, Role.READER)(world.request(TENANT_A, token))
    assert response.status_code == 401
    assert problem(response)["code"] == code
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert denials(world, TENANT_A) == [("anonymous", AuditOutcome.DENIED, code)]
    response = gated(world, Role.READER)(world.request(UNREGISTERED, token))
    assert response.status_code == 401
    assert problem(response)["code"] == code
    assert denials(world, UNREGISTERED) == [], "anonymous callers cannot create audit partitions"


def test_badly_signed_token_is_401_and_never_echoed(world: World) -> None:
    token = world.token("alice")
    header, payload, signature = token.split(".")
    forged = f"{header}.{payload}.{signature[::-1]}"
    response = gated(world, Role.READER)(world.request(TENANT_A, forged))
    assert response.status_code == 401
    assert problem(response)["code"] == "auth.invalid_token"
    assert payload not in response.get_body().decode()


def test_malformed_tenant_id_is_400_after_authentication(world: World) -> None:
    handler = gated(world, Role.READER)
    anonymous = handler(world.request("not-a-guid"))
    assert anonymous.status_code == 401
    assert problem(anonymous)["code"] == "auth.missing_token"
    response = handler(world.request("not-a-guid", world.token("alice")))
    assert response.status_code == 400
    assert problem(response)["code"] == "tenant.invalid_id"


def test_problems_raised_by_the_handler_become_answers(world: World) -> None:
    @tenant_route(Role.READER, action="runs.view", guard=lambda: world.guard)
    def view(req: func.HttpRequest, access: TenantAccess) -> func.HttpResponse:
        raise InsufficientRole("not for you")

    response = view(world.request(TENANT_A, world.token("alice")))
    assert response.status_code == 403
    assert problem(response)["code"] == "auth.insufficient_role"
    assert denials(world, TENANT_A) == [], "the gate audits its own refusals, not the handler's"


def test_async_handlers_with_bindings_keep_their_binding_signature(world: World) -> None:
    @tenant_route(Role.OPERATOR, action="runs.start", guard=lambda: world.guard)
    async def start(req: func.HttpRequest, client: str, access: TenantAccess) -> func.HttpResponse:
        return func.HttpResponse(f"{client}:{access.role}", status_code=202)

    assert list(inspect.signature(start).parameters) == ["req", "client"]
    assert "access" not in start.__annotations__
    response = asyncio.run(start(req=world.request(TENANT_A, world.token("olivia")), client="durable"))
    assert (response.status_code, response.get_body()) == (202, b"durable:operator")
    refused = asyncio.run(start(req=world.request(TENANT_A, world.token("alice")), client="durable"))
    assert refused.status_code == 403
    assert problem(refused)["code"] == "auth.insufficient_role"
    alice = f"user:{demo_object_id('alice')}"
    assert denials(world, TENANT_A) == [(alice, AuditOutcome.DENIED, "auth.insufficient_role")]


def test_authenticated_route_gives_the_principal(world: World) -> None:
    @authenticated_route(guard=lambda: world.guard)
    def me(req: func.HttpRequest, principal: Principal) -> func.HttpResponse:
        return func.HttpResponse(principal.key)

    answer = me(world.request(TENANT_A, world.token("alice")))
    assert answer.get_body() == f"user:{demo_object_id('alice')}".encode()
    anonymous = me(world.request(TENANT_A))
    assert anonymous.status_code == 401
    assert problem(anonymous)["code"] == "auth.missing_token"
    assert denials(world, TENANT_A) == [], "a route of no tenant audits in no tenant's trail"


def test_gating_a_handler_without_the_parameter_fails_at_import_time(world: World) -> None:
    with pytest.raises(TypeError, match="access"):
        tenant_route(Role.READER, action="x", guard=lambda: world.guard)(lambda req: None)


def test_authorize_directly(world: World) -> None:
    alice = Principal(PrincipalKind.USER, demo_object_id("alice"), None)
    assert world.authorizer.authorize(alice, TENANT_A.upper(), Role.READER).role is Role.READER
    with pytest.raises(Forbidden):
        world.authorizer.authorize(alice, TENANT_B, Role.READER, action="audit.read")
    assert denials(world, TENANT_B) == [(alice.key, AuditOutcome.DENIED, "auth.forbidden")]
