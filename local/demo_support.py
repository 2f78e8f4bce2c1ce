"""What every `make demo` step works with: the `Demo` (the started stack's API as the demo user, the
simulator's admin, what earlier steps found), the failure a step raises, and the few ways the demo
prints long Graph values.

Kept apart from the steps so each group of steps (backups in `local.demo`, restores in
`local.demo_restore`) is a module of its own.
"""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass, field
from typing import Any

import requests

from local.apptesting import OPERATOR_A
from local.graphsim.admin_client import AdminClient
from local.live_progress import LiveProgress, RunTimedOut
from local.stack import REPO_ROOT, Stack
from local.tokens import ensure_dev_signing_key, mint_token
from shared.config.settings import DEV_AUTH_FOLDER

RESTORE_TIMEOUT_SECONDS = 90
DIFF_LINES = 12


class DemoStepFailed(Exception):
    """A demo step did not see what it should; the message says what it saw."""


@dataclass(frozen=True)
class DemoTenant:
    tenant_id: str
    name: str


@dataclass(frozen=True)
class ChangedPolicy:
    policy_type: str
    policy_id: str
    name: str
    before: dict[str, Any] = field(default_factory=dict)
    """The raw object in the simulator before the change: what a restore brings back."""
    setting_id: str = ""
    """The setting definition whose value was changed."""

    @property
    def item_id(self) -> str:
        """Its item ID in a restore run."""
        return f"{self.policy_type}:{self.policy_id}"


@dataclass
class Demo:
    """The demo's view of a started stack (its API as the demo operator, the simulator's admin) and what
    the steps found so far."""

    stack: Stack
    headers: dict[str, str]
    tenants: list[DemoTenant]
    session: requests.Session = field(default_factory=requests.Session)
    backups: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    """Per tenant ID, its backup runs as they ended, oldest first."""
    changed: ChangedPolicy | None = None
    runs: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Restore runs as they ended, by role in the demo (`preview`, `live`, `baseline preview`, ...)."""

    @classmethod
    def on(cls, stack: Stack) -> Demo:
        if stack.devhost is None or stack.graphsim is None or stack.azurite is None:
            raise DemoStepFailed("the demo needs the devhost, the Graph simulator and Azurite")
        key = ensure_dev_signing_key(stack.state_dir / DEV_AUTH_FOLDER)
        headers = {"Authorization": f"Bearer {mint_token(key, principal_name=OPERATOR_A)}"}
        tenants = [DemoTenant(t.id, t.name) for t in stack.graphsim.tenants]
        return cls(stack, headers, tenants)

    @property
    def graph_admin(self) -> AdminClient:
        assert self.stack.graphsim is not None
        return self.stack.graphsim.admin

    def call(self, method: str, path: str, expect: int, **kwargs: Any) -> requests.Response:
        assert self.stack.devhost is not None
        url = path if path.startswith("http") else self.stack.devhost.url(path)
        answer = self.session.request(method, url, headers=self.headers, timeout=30, **kwargs)
        if answer.status_code != expect:
            raise DemoStepFailed(f"{method} {path} answered {answer.status_code}: {answer.text[:300]}")
        return answer

    def admin_command(self, *args: str) -> str:
        """`python -m local.admin ...` against the stack's API, as a platform admin would run it."""
        assert self.stack.devhost is not None
        options = ["--api", self.stack.devhost.base_url, "--state-dir", str(self.stack.state_dir)]
        done = subprocess.run(
            [sys.executable, "-m", "local.admin", *options, *args], cwd=REPO_ROOT, capture_output=True,
            text=True, check=False,
        )
        if done.returncode != 0:
            raise DemoStepFailed(f"local.admin {args[0]} failed: {done.stderr.strip()}")
        return done.stdout.strip()

    def name_of(self, tenant_id: str) -> str:
        return next(t.name for t in self.tenants if t.tenant_id == tenant_id)

    @property
    def policy(self) -> ChangedPolicy:
        if self.changed is None:
            raise DemoStepFailed("no policy was changed")
        return self.changed

    def restore(self, tenant: DemoTenant, body: dict[str, Any], label: str) -> dict[str, Any]:
        """Start a restore run in `tenant`, follow it live to its end, keep it under `label`."""
        answer = self.call("POST", f"api/tenants/{tenant.tenant_id}/restores", 202, json=body)
        print(f"POST /api/tenants/{{{tenant.name}}}/restores mode={body['mode']} -> 202, "
              f"run {answer.json()['id']}")
        try:
            (run,) = LiveProgress(self.session, self.headers, count_items=True).follow(
                [(label, answer.headers["Location"], answer.json())], RESTORE_TIMEOUT_SECONDS
            )
        except RunTimedOut as error:
            raise DemoStepFailed(str(error)) from error
        self.runs[label] = run
        return run

    def items(self, tenant: DemoTenant, run: dict[str, Any]) -> dict[str, dict[str, Any]]:
        """The run's items by item ID."""
        path = f"api/tenants/{tenant.tenant_id}/runs/{run['id']}/items"
        listed = self.call("GET", path, 200, params={"pageSize": "1000"}).json()["items"]
        return {item["itemId"]: item for item in listed}


def version_in(demo: Demo, run: dict[str, Any], policy: ChangedPolicy) -> str:
    """The policy's version ID in a backup run."""
    path = f"api/tenants/{run['tenantId']}/backups/{run['id']}"
    items = demo.call("GET", path, 200, params={"includeItems": "true"}).json()["items"]
    return str(next(i["versionId"] for i in items[policy.policy_type] if i["policyId"] == policy.policy_id))


def flippable(setting: dict[str, Any]) -> bool:
    """A choice setting whose value ends in 0 or 1: the demo changes a policy by flipping it."""
    value = setting.get("settingInstance", {}).get("choiceSettingValue", {}).get("value")
    return isinstance(value, str) and value[-1:] in ("0", "1")


def short(value: Any, width: int = 48) -> str:
    """Long setting IDs and values differ at their end: keep that."""
    text = value if isinstance(value, str) and not value.startswith("'") else repr(value)
    return text if len(text) <= width else "..." + text[-(width - 3):]
