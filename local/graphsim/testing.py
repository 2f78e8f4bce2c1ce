"""Run graphsim as a subprocess and hand tests a small typed handle to it.

A subprocess (not a thread) keeps the simulator off the GIL of the code under test, and tests
talk to it exactly as production code talks to Graph: HTTPS, a CA file, MSAL.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

import requests

from local.graphsim.admin_client import AdminClient
from local.processes import stop_process_group

REPO_ROOT = Path(__file__).resolve().parents[2]
GRAPH_SCOPE = "https://graph.microsoft.com/.default"


class GraphSimStartError(RuntimeError):
    """graphsim did not become ready; the message carries the end of its output."""


@dataclass(frozen=True)
class SimTenant:
    id: str
    name: str
    objects: int | None


@dataclass(frozen=True)
class SimIdentity:
    """The MSP's managed identity and the endpoint the platform would put in the app's environment."""

    endpoint: str
    header: str
    client_id: str
    object_id: str
    tenant_id: str
    issuer: str

    def environment(self) -> dict[str, str]:
        """`IDENTITY_ENDPOINT` and `IDENTITY_HEADER`, as App Service and Azure Functions set them."""
        return {"IDENTITY_ENDPOINT": self.endpoint, "IDENTITY_HEADER": self.header}


@dataclass(frozen=True)
class SimApp:
    """An app from the start profile, with its credential as written to credentials.json."""

    name: str
    client_id: str
    roles: tuple[str, ...]
    tenants: tuple[str, ...]
    client_secret: str | None = None
    certificate_file: str | None = None
    private_key_file: str | None = None
    thumbprint: str | None = None
    federated_identity: str | None = None
    """Client ID of the managed identity whose tokens the app trusts (a federated credential)."""

    def msal_credential(self) -> str | dict[str, str]:
        """What MSAL's `client_credential` takes for this app."""
        if self.client_secret is not None:
            return self.client_secret
        assert self.private_key_file is not None and self.certificate_file is not None
        return {
            "private_key": Path(self.private_key_file).read_text(),
            "public_certificate": Path(self.certificate_file).read_text(),
        }


class GraphSim:
    """A running graphsim: where it answers, whom it knows, and an admin client."""

    def __init__(self, state_dir: Path) -> None:
        credentials = json.loads((state_dir / "credentials.json").read_text())
        self.state_dir = state_dir
        self.base_url: str = credentials["base_url"]
        self.ca_file: str = credentials["ca_file"]
        self.tenants = [SimTenant(t["id"], t["name"], t["objects"]) for t in credentials["tenants"]]
        self.apps = [
            SimApp(
                name=a["name"],
                client_id=a["client_id"],
                roles=tuple(a["roles"]),
                tenants=tuple(a["tenants"]),
                client_secret=a.get("client_secret"),
                certificate_file=a.get("certificate_file"),
                private_key_file=a.get("private_key_file"),
                thumbprint=a.get("thumbprint"),
                federated_identity=a.get("federated_identity"),
            )
            for a in credentials["apps"]
        ]
        self.identity = SimIdentity(**credentials["identity"])
        self.key_vault_url: str = credentials["key_vault"]["url"]
        admin = credentials["admin"]
        self._admin_session = self.session()
        self.admin = AdminClient(admin["url"], admin["header"], admin["key"], self._admin_session)

    @property
    def secret_app(self) -> SimApp:
        return next(app for app in self.apps if app.client_secret is not None)

    @property
    def certificate_app(self) -> SimApp:
        return next(app for app in self.apps if app.certificate_file is not None)

    @property
    def federated_app(self) -> SimApp:
        return next(app for app in self.apps if app.federated_identity is not None)

    def session(self) -> requests.Session:
        """A session that trusts graphsim's CA and ignores REQUESTS_CA_BUNDLE; the caller closes it."""
        session = requests.Session()
        session.trust_env = False
        session.verify = self.ca_file
        return session

    def authority(self, tenant_id: str) -> str:
        """MSAL's `authority` for a tenant (use with `instance_discovery=False`)."""
        return f"{self.base_url}/{tenant_id}"

    def graph_url(self, path: str, version: str = "beta") -> str:
        return f"{self.base_url}/{version}/{path.lstrip('/')}"

    def token(self, tenant_id: str, client_id: str | None = None, client_secret: str | None = None) -> str:
        """An access token by a plain client-secret request (the start profile's secret app by default)."""
        app = self.secret_app
        response = self._admin_session.post(
            f"{self.base_url}/{tenant_id}/oauth2/v2.0/token",
            data={
                "grant_type": "client_credentials",
                "scope": GRAPH_SCOPE,
                "client_id": client_id or app.client_id,
                "client_secret": client_secret or app.client_secret,
            },
            timeout=30,
        )
        body = response.json()
        if response.status_code != 200:
            raise GraphSimStartError(f"Token request failed: {body.get('error_description')}")
        return str(body["access_token"])

    def close(self) -> None:
        self._admin_session.close()


class GraphSimProcess:
    """Start graphsim in a subprocess; use as a context manager or call start()/stop()."""

    def __init__(
        self,
        state_dir: Path | None = None,
        profile: str = "demo",
        tenants: int | None = None,
        objects: int | None = None,
        config: Mapping[str, Any] | None = None,
        startup_timeout: float = 120.0,
    ) -> None:
        self._own_dir = state_dir is None
        self.state_dir = Path(state_dir) if state_dir else Path(tempfile.mkdtemp(prefix="graphsim-"))
        self.profile, self.tenants, self.objects, self.config = profile, tenants, objects, config
        self.startup_timeout = startup_timeout
        self.process: subprocess.Popen[bytes] | None = None
        self.sim: GraphSim | None = None

    def start(self) -> GraphSim:
        self.state_dir.mkdir(parents=True, exist_ok=True)
        (self.state_dir / "ready.json").unlink(missing_ok=True)
        args = [
            sys.executable,
            "-m",
            "local.graphsim",
            "--port",
            "0",
            "--state-dir",
            str(self.state_dir),
            "--profile",
            self.profile,
        ]
        if self.tenants is not None:
            args += ["--tenants", str(self.tenants)]
        if self.objects is not None:
            args += ["--objects", str(self.objects)]
        if self.config is not None:
            config_file = self.state_dir / "config.json"
            config_file.write_text(json.dumps(self.config))
            args += ["--config", str(config_file)]
        with open(self.state_dir / "graphsim.log", "wb") as output:
            self.process = subprocess.Popen(
                args, cwd=REPO_ROOT, stdout=output, stderr=subprocess.STDOUT, start_new_session=True
            )
        self._wait_ready()
        self.sim = GraphSim(self.state_dir)
        return self.sim

    def _wait_ready(self) -> None:
        assert self.process is not None
        ready = self.state_dir / "ready.json"
        deadline = time.monotonic() + self.startup_timeout
        while True:
            if ready.exists() and json.loads(ready.read_text()).get("pid") == self.process.pid:
                return
            code = self.process.poll()
            if code is not None:
                raise GraphSimStartError(
                    f"graphsim exited with code {code} before it was ready: {self._tail()}"
                )
            if time.monotonic() > deadline:
                self.stop()
                raise GraphSimStartError(f"graphsim not ready within {self.startup_timeout}s: {self._tail()}")
            time.sleep(0.05)

    def _tail(self) -> str:
        log = self.state_dir / "graphsim.log"
        return log.read_text(errors="replace")[-2000:] if log.exists() else "(no output)"

    def stop(self) -> None:
        if self.sim is not None:
            self.sim.close()
            self.sim = None
        process, self.process = self.process, None
        if process is not None:
            stop_process_group(process)
        if self._own_dir:
            shutil.rmtree(self.state_dir, ignore_errors=True)

    def __enter__(self) -> GraphSim:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
