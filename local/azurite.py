"""Start and stop Azurite (Tables, Blobs, Queues) from the repo's node_modules.

Each launch gets its own data folder, free ports chosen by Azurite itself and a
freshly generated account key, so no storage key is ever written into the repo.
"""

from __future__ import annotations

import base64
import os
import re
import secrets
import shutil
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from local.processes import stop_process_group

REPO_ROOT = Path(__file__).resolve().parent.parent
AZURITE_JS = REPO_ROOT / "node_modules" / "azurite" / "dist" / "src" / "azurite.js"
ACCOUNT_NAME = "tenantatlas"

_LISTENING = re.compile(r"Azurite (Blob|Queue|Table) service is successfully listening at http://[^:]+:(\d+)")


class AzuriteError(RuntimeError):
    """Azurite could not be started; the message says what to do."""


@dataclass(frozen=True)
class AzuriteEndpoints:
    """Where a running Azurite answers, and the account to use there."""

    host: str
    blob_port: int
    queue_port: int
    table_port: int
    account_name: str
    account_key: str

    @property
    def blob_url(self) -> str:
        return f"http://{self.host}:{self.blob_port}/{self.account_name}"

    @property
    def queue_url(self) -> str:
        return f"http://{self.host}:{self.queue_port}/{self.account_name}"

    @property
    def table_url(self) -> str:
        return f"http://{self.host}:{self.table_port}/{self.account_name}"

    @property
    def connection_string(self) -> str:
        return (
            "DefaultEndpointsProtocol=http;"
            f"AccountName={self.account_name};AccountKey={self.account_key};"
            f"BlobEndpoint={self.blob_url};QueueEndpoint={self.queue_url};TableEndpoint={self.table_url};"
        )


class Azurite:
    """A running Azurite process; use as a context manager or call start()/stop()."""

    def __init__(
        self,
        data_dir: Path | None = None,
        host: str = "127.0.0.1",
        in_memory: bool = False,
        startup_timeout: float = 30.0,
    ) -> None:
        self._own_dir = data_dir is None
        self.data_dir = Path(data_dir) if data_dir else Path(tempfile.mkdtemp(prefix="azurite-"))
        self.host = host
        self.in_memory = in_memory
        self.startup_timeout = startup_timeout
        self._process: subprocess.Popen[str] | None = None
        self.endpoints: AzuriteEndpoints | None = None
        self._output_tail: list[str] = []

    def start(self) -> AzuriteEndpoints:
        if not AZURITE_JS.exists():
            raise AzuriteError(f"Azurite is not installed at {AZURITE_JS}; run `npm ci` in {REPO_ROOT}.")
        node = shutil.which("node")
        if node is None:
            raise AzuriteError("Node.js is not on PATH; install Node 20 or later to run Azurite.")
        self.data_dir.mkdir(parents=True, exist_ok=True)
        key = self._account_key()
        args = [
            node, str(AZURITE_JS),
            "--blobHost", self.host, "--queueHost", self.host, "--tableHost", self.host,
            "--blobPort", "0", "--queuePort", "0", "--tablePort", "0",
            "--disableTelemetry", "--skipApiVersionCheck", "--loose", "--silent",
        ]
        args += ["--inMemoryPersistence"] if self.in_memory else ["--location", str(self.data_dir)]
        env = {**os.environ, "AZURITE_ACCOUNTS": f"{ACCOUNT_NAME}:{key}"}
        self._process = subprocess.Popen(
            args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env, start_new_session=True
        )
        ports = self._wait_for_ports()
        self.endpoints = AzuriteEndpoints(
            self.host, ports["Blob"], ports["Queue"], ports["Table"], ACCOUNT_NAME, key
        )
        threading.Thread(target=self._drain_output, name="azurite-output", daemon=True).start()
        return self.endpoints

    def _account_key(self) -> str:
        """A key per data folder: a restarted Azurite on the same folder keeps working with old clients."""
        key_file = self.data_dir / ".account-key"
        if key_file.exists():
            return key_file.read_text().strip()
        key = base64.b64encode(secrets.token_bytes(64)).decode()
        key_file.write_text(key)
        key_file.chmod(0o600)
        return key

    def _wait_for_ports(self) -> dict[str, int]:
        assert self._process is not None and self._process.stdout is not None
        ports: dict[str, int] = {}
        deadline = time.monotonic() + self.startup_timeout
        while len(ports) < 3:
            if time.monotonic() > deadline:
                self.stop()
                raise AzuriteError(f"Azurite did not start within {self.startup_timeout}s: {self._tail()}")
            line = self._process.stdout.readline()
            if not line:
                code = self._process.wait()
                self._process.stdout.close()
                raise AzuriteError(f"Azurite exited with code {code} before it listened: {self._tail()}")
            self._output_tail = [*self._output_tail, line.rstrip()][-20:]
            match = _LISTENING.search(line)
            if match:
                ports[match.group(1)] = int(match.group(2))
        return ports

    def _drain_output(self) -> None:
        process = self._process
        if process is None or process.stdout is None:
            return
        for line in process.stdout:
            self._output_tail = [*self._output_tail, line.rstrip()][-20:]

    def _tail(self) -> str:
        return " | ".join(self._output_tail) or "(no output)"

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is not None:
            stop_process_group(process)
            if process.stdout is not None:
                process.stdout.close()
        if self._own_dir:
            shutil.rmtree(self.data_dir, ignore_errors=True)

    def __enter__(self) -> AzuriteEndpoints:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
