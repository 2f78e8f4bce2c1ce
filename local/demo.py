"""`make demo`: start the local stack, capture a policy snapshot through the API, stop everything, exit 0
(non-zero if a step does not see what it should).

It registers a simulator tenant with the admin command, grants the demo operator a role, puts a
policy into the Graph simulator, starts its capture with a dev token, and follows the run from
queued to succeeded; then shows its item, the stored version and the requester's notification.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import time
from typing import Any

import requests

from local.apptesting import OPERATOR_A
from local.azurite import AzuriteError
from local.devhost.testing import DevhostStartError
from local.stack import GRAPHSIM_CREDENTIAL_REF, REPO_ROOT, Stack, StackError, app_settings, exit_on_sigterm
from local.tokens import ensure_dev_signing_key, mint_token
from shared.settings import DEV_AUTH_FOLDER

DEMO_LATENCY_MS = 300
"""Graph answers this slowly in the demo, so the run is seen running, not only queued and done."""


class DemoStepFailed(Exception):
    """A demo step did not see what it should; the message says what it saw."""


class Demo:
    """The demo's view of a started stack: its API as the demo operator, and the simulator's admin."""

    def __init__(self, stack: Stack) -> None:
        if stack.devhost is None or stack.graphsim is None or stack.azurite is None:
            raise DemoStepFailed("the demo needs the devhost, the Graph simulator and Azurite")
        self.stack = stack
        self.devhost = stack.devhost
        self.tenant_id: str = stack.graphsim.tenants[0].id
        self.tenant_name: str = stack.graphsim.tenants[0].name
        self.graph_admin = stack.graphsim.admin
        key = ensure_dev_signing_key(stack.state_dir / DEV_AUTH_FOLDER)
        self.headers = {"Authorization": f"Bearer {mint_token(key, principal_name=OPERATOR_A)}"}

    def call(self, method: str, path: str, expect: int, **kwargs: Any) -> requests.Response:
        url = path if path.startswith("http") else self.devhost.url(path)
        answer = requests.request(method, url, headers=self.headers, timeout=30, **kwargs)
        if answer.status_code != expect:
            raise DemoStepFailed(f"{method} {path} answered {answer.status_code}: {answer.text[:300]}")
        return answer

    def admin_command(self, *args: str) -> str:
        """`python -m local.admin ...` against the stack's storage, as an operator would run it."""
        assert self.stack.azurite is not None and self.stack.azurite.endpoints is not None
        assert self.stack.graphsim is not None
        env = {
            **os.environ,
            **app_settings(self.stack.graphsim, self.stack.state_dir),
            "AzureWebJobsStorage": self.stack.azurite.endpoints.connection_string,
        }
        done = subprocess.run(
            [sys.executable, "-m", "local.admin", *args], cwd=REPO_ROOT, env=env, capture_output=True,
            text=True, check=False,
        )
        if done.returncode != 0:
            raise DemoStepFailed(f"local.admin {args[0]} failed: {done.stderr.strip()}")
        return done.stdout.strip()


def show_health(demo: Demo) -> None:
    answer = demo.call("GET", "api/health", 200)
    print(f"GET /api/health -> 200 {answer.json()['status']}")


def register_tenant(demo: Demo) -> None:
    if demo.tenant_id not in demo.admin_command("list"):
        print(demo.admin_command(
            "add-tenant", "--tenant-id", demo.tenant_id, "--name", demo.tenant_name,
            "--credential-ref", GRAPHSIM_CREDENTIAL_REF,
        ))
    print(demo.admin_command(
        "grant", "--tenant-id", demo.tenant_id, "--user", OPERATOR_A, "--role", "operator"
    ))
    tenants = demo.call("GET", "api/tenants", 200).json()["items"]
    print(f"GET /api/tenants -> {[(t['displayName'], t['role']) for t in tenants]}")


def capture_snapshot(demo: Demo) -> dict[str, Any]:
    """Start the capture, then poll its status URL and print each status the run goes through."""
    policy = demo.graph_admin.put_object(demo.tenant_id, "deviceManagement/deviceConfigurations", {
        "@odata.type": "#microsoft.graph.windows10GeneralConfiguration",
        "displayName": "Demo - Windows password policy",
        "passwordRequired": True,
        "passwordMinimumLength": 12,
    })
    demo.graph_admin.set_latency(base_ms=DEMO_LATENCY_MS)
    path = f"api/tenants/{demo.tenant_id}/policies/deviceConfigurations/{policy['id']}/snapshots"
    started = demo.call("POST", path, 202)
    run = started.json()
    print(f"POST .../policies/deviceConfigurations/{policy['id']}/snapshots -> 202, run {run['id']}")
    print(f"  Location: {started.headers['Location']}")
    seen = [run["status"]]
    deadline = time.monotonic() + 60
    while run["status"] in ("queued", "running"):
        if time.monotonic() > deadline:
            raise DemoStepFailed(f"the run is still {run['status']} after 60 s")
        time.sleep(0.05)
        answer = requests.get(started.headers["Location"], headers=demo.headers, timeout=30)
        run = answer.json()
        if run["status"] != seen[-1]:
            seen.append(run["status"])
    demo.graph_admin.set_latency(base_ms=0)
    print(f"  status URL: {' -> '.join(seen)} (last answer {answer.status_code})")
    if run["status"] != "succeeded":
        raise DemoStepFailed(f"the run ended {run['status']}: {run.get('error')}")
    return dict(run)


def show_results(demo: Demo, run: dict[str, Any]) -> None:
    items = demo.call("GET", f"api/tenants/{demo.tenant_id}/runs/{run['id']}/items", 200).json()["items"]
    item = items[0]
    print(f"item {item['itemId']}: {item['outcome']}, {item['displayName']!r}, version {item['versionId']}")
    source = run["source"]
    versions = f"api/tenants/{demo.tenant_id}/policies/{source['policyType']}/{source['policyId']}/versions"
    version = demo.call("GET", f"{versions}/{item['versionId']}", 200).json()
    print(f"version {version['id']}: sha256 {version['contentSha256'][:16]}..., {version['size']} bytes, "
          f"changed={version['changed']}")
    print(json.dumps(version["content"], indent=2)[:600])
    notes = demo.call("GET", "api/me/notifications", 200, params={"unread": "true"}).json()["items"]
    for note in (n for n in notes if n["runId"] == run["id"]):
        print(f"notification: {note['title']} ({note['event']}) -> {note['link']}")
    if not any(n["runId"] == run["id"] and n["event"] == "succeeded" for n in notes):
        raise DemoStepFailed("no 'succeeded' notification for the run")


def main() -> int:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    exit_on_sigterm()
    try:
        with Stack(port=0, timers=False) as stack:
            print("\n".join(["Stack started:", *stack.describe(), ""]))
            demo = Demo(stack)
            show_health(demo)
            register_tenant(demo)
            show_results(demo, capture_snapshot(demo))
    except (DemoStepFailed, StackError, DevhostStartError, AzuriteError) as error:
        print(f"Demo failed: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("Interrupted; the stack is stopped.")
        return 130
    print("\nDemo finished; everything is stopped.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
