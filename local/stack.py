"""The local stack: Azurite, the Graph simulator and the devhost serving function_app.py, as child processes.

`make run` and `make demo` use it. State lives under `.state/` (Azurite data, keys, simulator CA), so a
restarted stack resumes its orchestrations. Children run in their own sessions: Ctrl-C reaches only the
parent, which then stops them in reverse order.
"""

from __future__ import annotations

import json
import logging
import signal
import sys
from pathlib import Path
from types import TracebackType

from local.azurite import Azurite
from local.devhost.config import read_settings
from local.devhost.testing import DevhostProcess, start_devhost
from local.graphsim.testing import GraphSim, GraphSimProcess
from local.tokens import ensure_dev_signing_key
from shared.config.settings import DEV_AUTH_FOLDER

REPO_ROOT = Path(__file__).resolve().parent.parent
GRAPHSIM_CREDENTIAL_REF = "graphsim"
"""The credential reference tenants registered against the simulator hold (`local.admin add-tenant`)."""

log = logging.getLogger("stack")


class StackError(RuntimeError):
    """A part of the stack did not start; the message says which and why."""


def graphsim_settings(credentials_file: Path) -> dict[str, str]:
    """App settings that point Graph, login, the managed identity endpoint and Key Vault at the simulator,
    with its federated app as the Graph credential `graphsim`: as deployed, the app holds no secret and
    no certificate; its managed identity's token is the client assertion.

    `IDENTITY_ENDPOINT` and `IDENTITY_HEADER` are what App Service and Azure Functions put in the app's
    environment; azure-identity reads them there.
    """
    credentials = json.loads(credentials_file.read_text())
    app = next(app for app in credentials["apps"] if app.get("federated_identity"))
    identity = credentials["identity"]
    prefix = f"GRAPH_CREDENTIAL__{GRAPHSIM_CREDENTIAL_REF.upper()}__"
    return {
        "TENANTATLAS_GRAPH_BASE_URL": credentials["base_url"],
        "TENANTATLAS_GRAPH_LOGIN_URL": credentials["base_url"],
        "TENANTATLAS_CA_BUNDLE": credentials["ca_file"],
        "TENANTATLAS_KEY_VAULT_URI": credentials["key_vault"]["url"],
        "TENANTATLAS_MANAGED_IDENTITY_CLIENT_ID": identity["client_id"],
        "IDENTITY_ENDPOINT": identity["endpoint"],
        "IDENTITY_HEADER": identity["header"],
        prefix + "CLIENT_ID": app["client_id"],
        prefix + "MANAGED_IDENTITY_CLIENT_ID": app["federated_identity"],
    }


def app_settings(graphsim: GraphSim, state_dir: Path) -> dict[str, str]:
    """local.settings.json (else the committed example), with the stack's state folder (dev signing key
    and JWKS), pointed at the simulator."""
    path = REPO_ROOT / "local.settings.json"
    settings = read_settings(path if path.exists() else REPO_ROOT / "local.settings.example.json")
    settings.pop("AzureWebJobsStorage", None)
    settings["TENANTATLAS_STATE_DIR"] = str(state_dir)
    settings.update(graphsim_settings(graphsim.state_dir / "credentials.json"))
    return settings


class Stack:
    """Start with `start()` or `with Stack(...) as stack:`; `stop()` is safe to call at any point."""

    def __init__(self, state_dir: Path = REPO_ROOT / ".state", port: int = 7071, timers: bool = True) -> None:
        self.state_dir = state_dir
        self.port = port
        self.timers = timers
        self.azurite: Azurite | None = None
        self._graphsim_process: GraphSimProcess | None = None
        self.graphsim: GraphSim | None = None
        self.devhost: DevhostProcess | None = None

    def start(self) -> Stack:
        try:
            self.azurite = Azurite(data_dir=self.state_dir / "azurite")
            storage = self.azurite.start().connection_string
            log.info("Azurite is up (data in %s)", self.azurite.data_dir)
            self._graphsim_process = GraphSimProcess(state_dir=self.state_dir / "graphsim", profile="demo")
            self.graphsim = self._graphsim_process.start()
            ensure_dev_signing_key(self.state_dir / DEV_AUTH_FOLDER)
            self.devhost = start_devhost(
                REPO_ROOT,
                self.state_dir / "devhost",
                storage,
                settings=app_settings(self.graphsim, self.state_dir),
                timers=self.timers,
                port=self.port,
            )
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Reverse order: the devhost first, so nothing calls a stopped Azurite or simulator."""
        if self.devhost is not None:
            code = self.devhost.stop()
            if code != 0:
                log.warning("The devhost exited with %s; see %s", code, self.devhost.log_file)
            self.devhost = None
        if self._graphsim_process is not None:
            self._graphsim_process.stop()
            self._graphsim_process = None
            self.graphsim = None
        if self.azurite is not None:
            self.azurite.stop()
            self.azurite = None

    def describe(self) -> list[str]:
        """The lines `make run` prints: where each part answers (no keys: they stay in their files)."""
        lines = []
        if self.devhost is not None:
            lines += [
                f"Console: {self.devhost.base_url}/",
                f"Function App (devhost): {self.devhost.base_url}/api/",
                f"  keys: {self.devhost.state_dir / 'host-keys.json'}",
                f"  log:  {self.devhost.log_file}",
            ]
        if self.graphsim is not None:
            lines.append(f"Graph simulator: {self.graphsim.base_url}")
        if self.azurite is not None and self.azurite.endpoints is not None:
            lines.append(f"Azurite tables: {self.azurite.endpoints.table_url}")
        return lines

    def __enter__(self) -> Stack:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def exit_on_sigterm() -> None:
    """SIGTERM unwinds like Ctrl-C, so `finally` blocks stop the children."""
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
