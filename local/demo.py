"""`make demo`: start the local stack, show it working, stop everything, exit 0 (non-zero if a step fails).

Today it shows the app's health answer and a durable orchestration. The product app has no
orchestrator yet, so the orchestration runs on the devhost's own sample app (tests/devhost/sample_app),
on the same Azurite; each later capability adds its step here.
"""

from __future__ import annotations

import json
import logging
import sys
import tempfile
import time

import requests

from local.azurite import AzuriteError
from local.devhost.testing import DevhostProcess, DevhostStartError, start_devhost
from local.stack import REPO_ROOT, Stack, StackError, exit_on_sigterm

SAMPLE_APP = REPO_ROOT / "tests" / "devhost" / "sample_app"


class DemoStepFailed(Exception):
    """A demo step did not see what it should; the message says what it saw."""


def show_health(stack: Stack) -> None:
    assert stack.devhost is not None
    answer = requests.get(stack.devhost.url("api/health"), timeout=30)
    print(f"GET /api/health -> {answer.status_code}\n{_pretty(answer.text)}")
    if answer.status_code != 200:
        raise DemoStepFailed(f"health answered {answer.status_code}")


def show_orchestration(sample: DevhostProcess) -> None:
    """Start through an HTTP starter (the real DurableOrchestrationClient), then poll the status URL
    the way Logic Apps does: until the answer is not 202."""
    key = {"x-functions-key": sample.keys.function_default}
    started = requests.post(sample.url("api/start/hello_sequence"), headers=key, timeout=30)
    print(f"POST /api/start/hello_sequence -> {started.status_code}, Location: status URL")
    if started.status_code != 202:
        raise DemoStepFailed(f"the starter answered {started.status_code}: {started.text[:200]}")
    location = started.headers["Location"]
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        status = requests.get(location, timeout=30)
        if status.status_code != 202:
            break
        time.sleep(0.2)
    body = status.json()
    print(f"status URL -> {status.status_code} {body['runtimeStatus']}: output {body.get('output')}")
    if status.status_code != 200 or body["runtimeStatus"] != "Completed":
        raise DemoStepFailed(f"the orchestration ended {body['runtimeStatus']} ({status.status_code})")


def _pretty(text: str) -> str:
    try:
        return json.dumps(json.loads(text), indent=2)
    except ValueError:
        return text


def main() -> int:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    exit_on_sigterm()
    try:
        with Stack(port=0, timers=False) as stack, tempfile.TemporaryDirectory() as out:
            print("\n".join(["Stack started:", *stack.describe(), ""]))
            show_health(stack)
            assert stack.azurite is not None and stack.azurite.endpoints is not None
            sample = start_devhost(
                SAMPLE_APP,
                stack.state_dir / "demo-sample",
                stack.azurite.endpoints.connection_string,
                settings={"SAMPLE_OUT_DIR": out},
            )
            with sample:
                show_orchestration(sample)
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
