"""Fidelity: IntuneCD 2.6.0, a Graph client no one here wrote, backs up a `demo` tenant from graphsim.

IntuneCD hard-codes `https://graph.microsoft.com` and `https://login.microsoftonline.com`, so it
runs unmodified in its own venv (under `.state/`) with a `sitecustomize` that only rewrites those
two hosts to graphsim's base URL; TLS trust comes from `REQUESTS_CA_BUNDLE`. Nothing else about
its requests is changed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from local.graphsim.testing import REPO_ROOT, GraphSim

VENV = REPO_ROOT / ".state" / "intunecd-venv"
REDIRECT = """
import os
import requests.sessions

_BASE = os.environ["GRAPHSIM_BASE_URL"].rstrip("/")
_HOSTS = ("https://graph.microsoft.com", "https://login.microsoftonline.com")
_request = requests.sessions.Session.request


def _to_graphsim(self, method, url, *args, **kwargs):
    for host in _HOSTS:
        if isinstance(url, str) and url.startswith(host):
            url = _BASE + url[len(host):]
    return _request(self, method, url, *args, **kwargs)


requests.sessions.Session.request = _to_graphsim
"""


def intunecd_venv() -> Path:
    """A venv with the pinned IntuneCD, kept under `.state/` between runs."""
    backup = VENV / "bin" / "IntuneCD-startbackup"
    if not backup.exists():
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
        subprocess.run(
            [str(VENV / "bin" / "pip"), "install", "-q", "--disable-pip-version-check", "intunecd==2.6.0"],
            check=True,
            timeout=600,
        )
    return backup


@pytest.mark.slow
def test_intunecd_backs_up_a_demo_tenant_without_errors(sim: GraphSim, tmp_path: Path) -> None:
    backup = intunecd_venv()
    (tmp_path / "sitecustomize.py").write_text(REDIRECT)
    app = sim.secret_app
    tenant = sim.tenants[0]
    env = {
        **{key: value for key, value in os.environ.items() if not key.startswith(("REQUESTS_", "CURL_"))},
        "PYTHONPATH": str(tmp_path),
        "GRAPHSIM_BASE_URL": sim.base_url,
        "REQUESTS_CA_BUNDLE": sim.ca_file,
        "TENANT_NAME": tenant.id,
        "CLIENT_ID": app.client_id,
        "CLIENT_SECRET": str(app.client_secret),
    }
    target = tmp_path / "backup"
    run = subprocess.run(
        [str(backup), "-m", "1", "-o", "json", "-p", str(target)],
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    output = run.stdout + run.stderr
    assert run.returncode == 0, output[-3000:]
    problems = [line for line in output.splitlines() if "[ERROR]" in line or "Request failed" in line]
    assert problems == [], "\n".join(problems[:20])

    backed_up = {path.relative_to(target).parts[0] for path in target.rglob("*.json")}
    assert {
        "Settings Catalog",
        "Device Configurations",
        "Compliance Policies",
        "Group Policy Configurations",
        "Scripts",
        "Proactive Remediations",
        "App Protection",
        "Enrollment Profiles",
        "Filters",
        "Scope Tags",
        "Conditional Access",
        "Management Intents",
    } <= backed_up
    catalog = [json.loads(path.read_text()) for path in (target / "Settings Catalog").glob("*.json")]
    state = sim.admin.tenant_state(tenant.id)["collections"]
    assert len(catalog) == len(state["deviceManagement/configurationPolicies"])
    # IntuneCD reads `/settings?&top=1000` inside `$batch` and never follows its nextLink, so it
    # keeps the first page of 25: the silent loss of docs/graph-intune.md#settings-catalog-pages-of-25,
    # reproduced faithfully.
    assert [len(policy["settings"]) for policy in catalog] == [
        min(policy["settingCount"], 25) for policy in catalog
    ]
    assert any(policy["settingCount"] > 25 for policy in catalog)
