"""`python -m local.graphsim`: loopback only, state folder contract, config file, profiles."""

from __future__ import annotations

import json
import stat
import subprocess
import sys
from pathlib import Path

import msal

from local.graphsim.testing import GRAPH_SCOPE, REPO_ROOT, GraphSimProcess


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "local.graphsim", *args],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_refuses_a_non_loopback_host(tmp_path: Path) -> None:
    result = run_cli("--host", "192.0.2.10", "--state-dir", str(tmp_path))
    assert result.returncode == 2
    assert "not a loopback address" in result.stderr
    assert not (tmp_path / "ready.json").exists()


def test_refuses_a_bad_config_file(tmp_path: Path) -> None:
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"throttle": {"scale": "fast"}}))
    result = run_cli("--config", str(config), "--state-dir", str(tmp_path))
    assert result.returncode == 2
    assert "'throttle.scale' must be a number" in result.stderr


def test_empty_profile_state_folder_and_config_file(tmp_path: Path) -> None:
    config = {"latency": {"base_ms": 1}, "throttle": {"retry_after": "decimal"}}
    with GraphSimProcess(tmp_path, profile="empty", tenants=2, config=config) as sim:
        ready = json.loads((tmp_path / "ready.json").read_text())
        assert ready["base_url"] == sim.base_url and ready["base_url"].startswith("https://127.0.0.1:")
        credentials_mode = stat.S_IMODE((tmp_path / "credentials.json").stat().st_mode)
        assert credentials_mode == 0o600
        assert sim.certificate_app.private_key_file is not None
        assert stat.S_IMODE(Path(sim.certificate_app.private_key_file).stat().st_mode) == 0o600
        assert [t.objects for t in sim.tenants] == [None, None]
        assert sim.admin.call("GET", "/config")["throttle"]["retry_after"] == "decimal"
        with sim.session() as http:
            app = msal.ConfidentialClientApplication(
                sim.secret_app.client_id,
                client_credential=sim.secret_app.msal_credential(),
                authority=sim.authority(sim.tenants[1].id),
                instance_discovery=False,
                http_client=http,
            )
            assert "access_token" in app.acquire_token_for_client([GRAPH_SCOPE])
    assert not (tmp_path / "ready.json").exists()
    secret = sim.secret_app.client_secret
    assert secret is not None and secret not in (tmp_path / "graphsim.log").read_text()


def test_tenant_and_app_ids_are_deterministic(tmp_path: Path) -> None:
    ids = []
    for run in ("a", "b"):
        with GraphSimProcess(tmp_path / run, profile="empty", tenants=1) as sim:
            ids.append(
                ([t.id for t in sim.tenants], [a.client_id for a in sim.apps], sim.secret_app.client_secret)
            )
    assert ids[0][:2] == ids[1][:2]
    assert ids[0][2] != ids[1][2], "secrets are fresh on every start"
