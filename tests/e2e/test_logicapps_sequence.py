"""The Logic Apps workflow in integrations/logicapps backs up each tenant with an HTTP action; this drives
the HTTP sequence that action performs against the running app: the request its inputs describe (URI
and method read from workflow.json), then its asynchronous pattern: on 202 wait `Retry-After` seconds and
GET `Location`, until the answer is no 202; retry 408, 429 and 5xx as its default retry policy does; stop
on any other 4xx, which fails the action (and the workflow records the failure).

The caller is an application token, as the Logic App's managed identity would present."""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests

from local.apptesting import App
from local.tokens import demo_app_id
from shared.auth.memberships import MembershipStore
from shared.auth.roles import Role
from shared.tenants import TenantRegistry
from tests.e2e.own_tenant import register_own_tenant

LOGIC_APPS = Path(__file__).resolve().parents[2] / "integrations" / "logicapps"
WORKFLOW = LOGIC_APPS / "backup-tenants" / "workflow.json"
LOGIC_APP = "Nightly backup Logic App"
RETRIED = {408, 429, 500, 502, 503, 504}
RETRIES = 4
_EXPRESSION = re.compile(r"@\{(parameters|items)\('([^']+)'\)\}")


@dataclass
class ActionResult:
    """The action's last answer and how it got there: each poll's wait and the `Retry-After` asked for."""

    status: int
    body: Any
    polls: int = 0
    waits: list[tuple[float, float]] = field(default_factory=list)
    """(seconds waited, seconds the previous answer's Retry-After asked for) per poll."""

    @property
    def succeeded(self) -> bool:
        return 200 <= self.status < 300


class HttpAction:
    """The Logic Apps HTTP action with its asynchronous pattern on (the default)."""

    def __init__(self, token: str, timeout: float = 300) -> None:
        self._headers = {"Authorization": f"Bearer {token}"}
        self._timeout = timeout

    def run(self, method: str, uri: str) -> ActionResult:
        deadline = time.monotonic() + self._timeout
        answer = self._send(method, uri)
        result = ActionResult(answer.status_code, None)
        while answer.status_code == 202 and "Location" in answer.headers:
            asked = float(answer.headers.get("Retry-After", "0"))
            started = time.monotonic()
            time.sleep(asked)
            if time.monotonic() > deadline:
                raise TimeoutError(f"still 202 after {self._timeout}s")
            answer = self._send("GET", answer.headers["Location"])
            result.polls += 1
            result.waits.append((time.monotonic() - started, asked))
        result.status, result.body = answer.status_code, answer.json() if answer.content else None
        return result

    def _send(self, method: str, uri: str) -> requests.Response:
        for attempt in range(RETRIES + 1):
            answer = requests.request(method, uri, headers=self._headers, timeout=30)
            if answer.status_code not in RETRIED or attempt == RETRIES:
                return answer
            time.sleep(2**attempt)
        raise AssertionError("unreachable")


def _backup_action() -> dict[str, Any]:
    workflow = json.loads(WORKFLOW.read_text(encoding="utf-8"))
    loop = workflow["definition"]["actions"]["For_each_tenant"]
    action: dict[str, Any] = loop["actions"]["Back_up_tenant"]
    assert action["type"] == "Http"
    assert "DisableAsyncPattern" not in action.get("operationOptions", ""), "the action must poll Location"
    assert loop["foreach"] == "@parameters('TenantAtlas.Tenants')"
    return action


def _evaluate(template: str, parameters: dict[str, str], item: str) -> str:
    """The two expressions the action's inputs use: a workflow parameter and the loop's current item."""

    def value(match: re.Match[str]) -> str:
        return parameters[match.group(2)] if match.group(1) == "parameters" else item

    evaluated = _EXPRESSION.sub(value, template)
    assert "@" not in evaluated, f"an expression this test does not know: {template}"
    return evaluated


@pytest.fixture(scope="module")
def logic_app_token(app: App) -> str:
    return app.token(LOGIC_APP, is_app=True)


def _own_tenant(app: App, name: str) -> str:
    tenant = register_own_tenant(app, name, {})
    MembershipStore(app.storage, TenantRegistry(app.storage)).grant(
        f"app:{demo_app_id(LOGIC_APP)}", tenant, Role.OPERATOR, "e2e"
    )
    return tenant


def _run_action(app: App, token: str, tenant: str) -> ActionResult:
    action = _backup_action()["inputs"]
    parameters = {"TenantAtlas.ApiBaseUrl": app.devhost.url("api").rstrip("/")}
    uri = _evaluate(action["uri"], parameters, tenant)
    assert uri.endswith(f"/tenants/{tenant}/backups?failOnError=true")
    return HttpAction(token).run(action["method"], uri)


def test_the_workflow_backup_action_follows_location_to_a_succeeded_run(
    app: App, logic_app_token: str
) -> None:
    tenant = _own_tenant(app, "Logic Apps healthy")
    result = _run_action(app, logic_app_token, tenant)
    assert result.succeeded and result.status == 200, result.body
    assert result.body["status"] == "succeeded"
    assert result.body["tenantId"] == tenant and result.body["counters"]["failed"] == 0
    assert result.polls >= 1
    assert all(waited >= asked > 0 for waited, asked in result.waits), result.waits


def test_a_failing_backup_ends_the_action_on_a_4xx_with_the_run(app: App, logic_app_token: str) -> None:
    tenant = _own_tenant(app, "Logic Apps consent revoked")
    for sim_app in app.graphsim.apps:
        app.graphsim.admin.revoke(tenant, sim_app.client_id)
    result = _run_action(app, logic_app_token, tenant)
    assert result.status == 422, result.body
    assert not result.succeeded
    assert result.body["code"] == "run.failed"
    assert result.body["run"]["status"] == "failed" and result.body["run"]["tenantId"] == tenant


def test_a_tenant_the_logic_app_has_no_role_on_stops_the_action_at_once(
    app: App, logic_app_token: str
) -> None:
    result = _run_action(app, logic_app_token, app.tenant_b)
    assert (result.status, result.polls) == (403, 0)
    assert result.body["code"] == "auth.forbidden"
