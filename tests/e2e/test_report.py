"""The as-built report of a backup on the devhost: every policy of the backup by its display name,
every settings catalog setting by the display name of its Graph definition, assignments by group
name, in Markdown and HTML; and `tenantatlas export` writes it."""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

import pytest

from cli.exit_codes import ExitCode
from local.apptesting import OPERATOR_A, READER_A, App
from local.graphsim.intune.families.settings_catalog import setting_definitions
from tests.e2e.test_cli import Cli


def _backup(app: App) -> dict[str, Any]:
    started = app.post(f"api/tenants/{app.tenant_a}/backups", OPERATOR_A)
    assert started.status_code == 202, started.text
    run: dict[str, Any] = app.wait_until_ended(started.headers["Location"], OPERATOR_A, timeout=180).json()
    assert run["status"] == "succeeded", run
    return run


def _content(app: App, policy_type: str, entry: dict[str, Any]) -> dict[str, Any]:
    policy = f"{policy_type}/{entry['policyId']}"
    answer = app.get(f"api/tenants/{app.tenant_a}/policies/{policy}/versions/{entry['versionId']}", READER_A)
    assert answer.status_code == 200, answer.text
    content: dict[str, Any] = answer.json()["content"]
    return content


def test_the_report_names_every_policy_and_setting_by_display_name(app: App) -> None:
    run = _backup(app)
    path = f"api/tenants/{app.tenant_a}/backups/{run['id']}"
    items = app.get(path, READER_A, params={"includeItems": "true"}).json()["items"]
    markdown = app.get(f"api/tenants/{app.tenant_a}/backups/{run['id']}/report", READER_A)
    assert markdown.status_code == 200, markdown.text
    assert markdown.headers["Content-Type"].startswith("text/markdown")
    page = app.get(f"api/tenants/{app.tenant_a}/backups/{run['id']}/report/html", READER_A)
    assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
    text, document = markdown.text, html.unescape(page.text)

    policies = [(policy_type, entry) for policy_type, entries in items.items() for entry in entries]
    assert len(policies) > 20
    for policy_type, entry in policies:
        assert entry["displayName"] in document, (policy_type, entry["displayName"])
        assert entry["policyId"] in text
    catalog = items["configurationPolicies"]
    expected = {
        definition["displayName"]
        for entry in catalog
        for setting in _content(app, "configurationPolicies", entry)["settings"]
        for definition in setting_definitions(setting)
    }
    assert expected and all(name in document for name in expected)
    settings = sum(1 for line in text.splitlines() if line.startswith("| ") and "Setting |" not in line)
    assert settings > len(expected) / 2
    named = text.split("named by their Graph definition: ", 1)[1].split(";", 1)[0]
    done, total = (int(part) for part in named.split(" of "))
    unnamed = [line for line in text.splitlines() if line.startswith("| ") and "_" in line.split("|")[1]]
    assert done == total > 0, unnamed[:10]
    assert "unknown group" not in text
    assert "Group: " in text


def test_another_tenant_cannot_read_the_report(app: App) -> None:
    run = _backup(app)
    refused = app.get(f"api/tenants/{app.tenant_a}/backups/{run['id']}/report", "bob@msp.example")
    assert refused.status_code == 403, refused.text
    unknown = app.get(f"api/tenants/{app.tenant_a}/backups/{'1' * 18}-{'a' * 12}/report", READER_A)
    assert unknown.status_code == 404, unknown.text


@pytest.mark.slow
def test_tenantatlas_export_writes_the_latest_backups_report(app: App, tmp_path: Path) -> None:
    run = _backup(app)
    cli = Cli(app, tmp_path / "home", READER_A)
    written = tmp_path / "as-built.html"
    done = cli("export", app.tenant_a, "--format", "html", "--out", str(written))
    assert done.returncode == ExitCode.OK, done.stderr
    page = written.read_text(encoding="utf-8")
    assert page.startswith("<!doctype html>") and f"<code>{run['id']}</code>" in page
    markdown = cli("export", app.tenant_a, run["id"], "--out", "-")
    assert markdown.returncode == ExitCode.OK and markdown.stdout.startswith("# As-built: ")
    missing = cli("export", app.tenant_a, f"{'1' * 18}-{'a' * 12}")
    assert missing.returncode == ExitCode.NOT_FOUND, missing.stderr
