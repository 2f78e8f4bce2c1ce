"""Run a devhost as a child process for tests, the stack and benchmarks: start, wait for ready, stop, kill -9.

The child gets its settings through a settings file in its state folder, so tests never touch the
repository's local.settings.json and every devhost has its own keys, ready.json and log.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

import requests

from local.devhost.keys import HostKeys, read_keys
from local.devhost.server import READY_FILE
from local.processes import kill_process_group, stop_process_group

REPO_ROOT = Path(__file__).resolve().parents[2]


class DevhostStartError(RuntimeError):
    """The devhost exited or did not get ready in time; the message ends with its log tail."""


@dataclass
class DevhostProcess:
    """A running devhost child; `base_url` and `keys` come from its ready.json."""

    process: subprocess.Popen[bytes]
    state_dir: Path
    base_url: str = ""
    keys: HostKeys = field(default_factory=lambda: HostKeys("", "", ""))

    @property
    def log_file(self) -> Path:
        return self.state_dir / "devhost.log"

    def log_text(self) -> str:
        return self.log_file.read_text(errors="replace") if self.log_file.exists() else ""

    def url(self, path: str) -> str:
        return f"{self.base_url}/{path.lstrip('/')}"

    def wait_ready(self, timeout: float) -> None:
        ready = self.state_dir / READY_FILE
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise DevhostStartError(f"devhost exited with {self.process.returncode}: {self._tail()}")
            if ready.exists():
                try:
                    info = json.loads(ready.read_text())
                except (FileNotFoundError, json.JSONDecodeError):
                    continue  # a restarted devhost is replacing the file its killed predecessor left
                if info.get("pid") == self.process.pid:
                    self.base_url = info["baseUrl"]
                    self.keys = read_keys(Path(info["keysFile"]))
                    return
            time.sleep(0.05)
        self.kill()
        raise DevhostStartError(f"devhost was not ready within {timeout}s: {self._tail()}")

    def _tail(self) -> str:
        return "\n".join(self.log_text().splitlines()[-30:])

    def stop(self, timeout: float = 30.0) -> int:
        """SIGTERM and wait, as Ctrl-C would; a devhost that hangs is killed and the return code says so."""
        return stop_process_group(self.process, timeout)

    def kill(self) -> None:
        """kill -9 the devhost, for crash tests (an Azurite it started runs in its own session)."""
        kill_process_group(self.process)

    def __enter__(self) -> DevhostProcess:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def start_devhost(
    app_dir: Path,
    state_dir: Path,
    storage_connection: str,
    *,
    app_module: str = "function_app",
    settings: dict[str, str] | None = None,
    timers: bool = False,
    port: int = 0,
    ready_timeout: float = 60.0,
) -> DevhostProcess:
    """Start `python -m local.devhost` on a free port (by default) and wait until it answers."""
    state_dir.mkdir(parents=True, exist_ok=True)
    settings_file = state_dir / "settings.json"
    values = {
        "FUNCTIONS_WORKER_RUNTIME": "python",
        "AzureWebJobsStorage": storage_connection,
        **(settings or {}),
    }
    settings_file.write_text(json.dumps({"IsEncrypted": False, "Values": values}))
    settings_file.chmod(0o600)
    args = [
        sys.executable,
        "-m",
        "local.devhost",
        "--app-dir",
        str(app_dir),
        "--app-module",
        app_module,
        "--port",
        str(port),
        "--state-dir",
        str(state_dir),
        "--settings",
        str(settings_file),
    ]
    if not timers:
        args.append("--no-timers")
    env = {k: v for k, v in os.environ.items() if k != "AzureWebJobsStorage"}
    with (state_dir / "devhost.log").open("ab") as log:
        process = subprocess.Popen(
            args, cwd=REPO_ROOT, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True
        )
    devhost = DevhostProcess(process, state_dir)
    devhost.wait_ready(ready_timeout)
    return devhost


def poll_status(location: str, timeout: float = 60.0, interval: float = 0.1) -> requests.Response:
    """Poll a status URL as Logic Apps does, until the answer is not 202 (faster than its Retry-After)."""
    deadline = time.monotonic() + timeout
    while True:
        answer = requests.get(location, timeout=30)
        if answer.status_code != 202 or time.monotonic() > deadline:
            return answer
        time.sleep(interval)
