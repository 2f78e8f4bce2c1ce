"""`tenantatlas`, through its installed console script (.venv/bin/tenantatlas) against the running app:
signed in with the local dev token, as after `make run`. `backup --all --wait` shows each tenant's
progress and exits 0 when every backup succeeded; a failed backup exits 1; refusals exit with their
documented codes; a live restore is not sent unless the operator types the tenant's name.
Marked slow: each test starts backups or restores, and the module registers tenants of its own."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from cli.exit_codes import ExitCode
from local.apptesting import App
from shared.auth.roles import Role
from tests.e2e.own_tenant import register_own_tenant

TENANTATLAS = Path(sys.executable).parent / "tenantatlas"
OPERATOR = "cli-operator@msp.example"
UNLUCKY = "cli-unlucky@msp.example"
SEED = {"objects": 12, "seed": 3}


class Cli:
    """The console script with a settings folder of its own, signed in as one demo principal."""

    def __init__(self, app: App, home: Path, principal: str) -> None:
        self.app = app
        self.env = {**os.environ, "TENANTATLAS_CLI_HOME": str(home)}
        self.env.pop("TENANTATLAS_TOKEN", None)
        state_dir = app.devhost.state_dir.parent
        signed_in = self(
            "--api", app.devhost.url("api"), "login", "--dev", principal, "--state-dir", str(state_dir)
        )
        assert signed_in.returncode == 0, signed_in.stderr

    def __call__(self, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(TENANTATLAS), *args], env=self.env, input=stdin, capture_output=True, text=True,
            timeout=300, check=False,
        )


@pytest.fixture(scope="module")
def operator_tenants(app: App) -> dict[str, str]:
    return {
        name: register_own_tenant(app, name, {OPERATOR: Role.OPERATOR}, SEED)
        for name in ("CLI Contoso", "CLI Fabrikam")
    }


@pytest.fixture(scope="module")
def operator(app: App, operator_tenants: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Cli:
    return Cli(app, tmp_path_factory.mktemp("cli-operator"), OPERATOR)


def test_the_console_script_is_installed() -> None:
    assert TENANTATLAS.is_file(), "run `make setup`: it installs the project's console script"


@pytest.mark.slow
def test_backup_all_wait_shows_each_tenants_progress_and_exits_0(
    operator: Cli, operator_tenants: dict[str, str]
) -> None:
    done = operator("backup", "--all", "--wait", "--interval", "0.3")
    assert done.returncode == ExitCode.OK, done.stdout + done.stderr
    for name in operator_tenants:
        progress = [line for line in done.stderr.splitlines() if line.startswith(f"{name}: ")]
        assert len(progress) >= 2, done.stderr
        assert progress[-1].startswith(f"{name}: succeeded ")
        assert any(f"{name} " in line and "succeeded" in line for line in done.stdout.splitlines())


@pytest.mark.slow
def test_json_output_lists_the_tenants_and_their_runs(
    operator: Cli, operator_tenants: dict[str, str]
) -> None:
    listed = operator("-o", "json", "tenants")
    assert listed.returncode == 0, listed.stderr
    assert {t["tenantId"] for t in json.loads(listed.stdout)} == set(operator_tenants.values())
    runs = operator("-o", "json", "runs", "CLI Contoso", "--type", "backup.tenant")
    assert runs.returncode == 0, runs.stderr
    assert all(run["tenantId"] == operator_tenants["CLI Contoso"] for run in json.loads(runs.stdout))


@pytest.mark.slow
def test_a_failed_backup_exits_1(app: App, tmp_path: Path) -> None:
    tenant = register_own_tenant(app, "CLI Revoked", {UNLUCKY: Role.OPERATOR}, SEED)
    for sim_app in app.graphsim.apps:
        app.graphsim.admin.revoke(tenant, sim_app.client_id)
    done = Cli(app, tmp_path, UNLUCKY)("backup", "CLI Revoked", "--wait", "--interval", "0.3")
    assert done.returncode == ExitCode.RUN_FAILED, done.stdout + done.stderr
    assert "CLI Revoked: failed" in done.stderr


@pytest.mark.slow
def test_refusals_exit_with_their_codes(app: App, operator: Cli, tmp_path: Path) -> None:
    assert operator("backup", "No Such Tenant").returncode == ExitCode.NOT_FOUND
    assert operator("backup").returncode == ExitCode.USAGE
    assert operator("runs", app.tenant_a).returncode == ExitCode.NOT_FOUND
    signed_out = subprocess.run(
        [str(TENANTATLAS), "tenants"], env={**operator.env, "TENANTATLAS_CLI_HOME": str(tmp_path)},
        capture_output=True, text=True, timeout=60, check=False,
    )
    assert signed_out.returncode == ExitCode.NOT_SIGNED_IN
    assert "tenantatlas login" in signed_out.stderr


@pytest.mark.slow
def test_a_live_restore_is_not_sent_without_the_tenants_name(
    app: App, operator: Cli, operator_tenants: dict[str, str]
) -> None:
    tenant = operator_tenants["CLI Fabrikam"]
    started = operator("-o", "json", "backup", "CLI Fabrikam", "--wait", "--interval", "0.3")
    assert started.returncode == 0, started.stderr
    (backup,) = json.loads(started.stdout)
    preview = operator("-o", "json", "restore", "preview", "CLI Fabrikam", "--backup", backup["run"]["id"])
    assert preview.returncode == 0, preview.stderr
    preview_run = json.loads(preview.stdout)["run"]
    assert preview_run["type"] == "restore.preview" and preview_run["status"] == "succeeded"
    refused = operator("restore", "live", "CLI Fabrikam", "--preview", preview_run["id"], stdin="Contoso\n")
    assert refused.returncode == ExitCode.ABORTED, refused.stdout + refused.stderr
    assert "Plan:" in refused.stderr and "nothing was written" in refused.stderr
    live_runs = app.get(f"api/tenants/{tenant}/runs", OPERATOR, params={"type": "restore.live"}).json()
    assert live_runs["items"] == []
