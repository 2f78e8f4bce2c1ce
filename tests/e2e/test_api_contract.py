"""The API keeps its contract: the served OpenAPI document is valid and is the one the routes build, and
contract fuzzing (schemathesis) against the running app finds no 5xx and no answer the document does not
describe (status, content type, headers, body).

The fuzzer works as an admin on a tenant of its own, with a backup taken first, so its generated
requests reach real runs, backup sets and versions as well as refusals; a bounded number of cases
per operation bounds the run (about 1 400 cases: a minute on a quiet 2-core machine, up to four when shared).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import requests
from openapi_spec_validator import validate

from local.apptesting import App
from shared.auth.roles import Role
from tests.e2e.own_tenant import register_own_tenant

FUZZER = "fuzzer@msp.example"
CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
    "negative_data_rejection",
)
"""0 5xx, and nothing the document does not say. `positive_data_acceptance` is left out: a request can
fit every schema and still be refused for what only storage knows (an unknown run ID, a preview not
finished) or what no JSON schema says (a cron expression, an IANA time zone)."""
MAX_EXAMPLES = 5


def test_the_served_document_is_valid_and_built_from_the_routes(app: App) -> None:
    served = requests.get(app.devhost.url("api/openapi.json"), timeout=30)
    assert served.status_code == 200
    assert served.headers["Content-Type"].startswith("application/json")
    document = served.json()
    validate(document)
    script = (
        "import json, function_app\n"
        "from triggers.openapi import api_document\n"
        "print(json.dumps(api_document()))"
    )
    built = subprocess.run([sys.executable, "-c", script], check=True, capture_output=True)
    assert document == json.loads(built.stdout.decode().strip().splitlines()[-1])


@pytest.mark.slow
def test_contract_fuzzing_finds_no_5xx_and_no_answer_outside_the_document(app: App, tmp_path: Path) -> None:
    tenant = register_own_tenant(app, "Contract fuzzing", {FUZZER: Role.ADMIN}, {"objects": 20, "seed": 14})
    backup = _backup(app, tenant)
    version = _a_version(app, tenant, backup)
    config = tmp_path / "schemathesis.toml"
    config.write_text(_config(tenant, backup, version))
    token = app.token(FUZZER)
    fuzzing = subprocess.run(
        [
            str(Path(sys.executable).parent / "st"), "--config-file", str(config), "--no-color",
            "run", app.devhost.url("api/openapi.json"),
            "--header", f"Authorization: Bearer {token}",
            "--checks", ",".join(CHECKS),
            "--max-examples", str(MAX_EXAMPLES),
            "--workers", "2",
            "--seed", "14",
            "--request-timeout", "30",
        ],
        capture_output=True, text=True, timeout=600, check=False, cwd=tmp_path,
    )
    print(fuzzing.stdout[fuzzing.stdout.rfind("SUMMARY") - 40:])
    assert fuzzing.returncode == 0, fuzzing.stdout[-20000:] + fuzzing.stderr[-2000:]


def _backup(app: App, tenant: str) -> dict[str, Any]:
    started = app.post(f"api/tenants/{tenant}/backups", FUZZER)
    assert started.status_code == 202, started.text
    ended = app.wait_until_ended(started.headers["Location"], FUZZER, timeout=120)
    assert ended.json()["status"] == "succeeded", ended.text
    return dict(ended.json())


def _a_version(app: App, tenant: str, backup: dict[str, Any]) -> dict[str, Any]:
    answer = app.get(f"api/tenants/{tenant}/backups/{backup['id']}", FUZZER, params={"includeItems": "true"})
    items = answer.json()["items"]
    policy_type = next(t for t in sorted(items) if items[t])
    return dict(items[policy_type][0])


def _config(tenant: str, backup: dict[str, Any], version: dict[str, Any]) -> str:
    """Known IDs for most generated path parameters, so requests reach data as well as 404s."""
    known = {
        "tenantId": tenant,
        "runId": backup["id"],
        "backupId": backup["id"],
        "policyType": version["policyType"],
        "policyId": version["policyId"],
        "versionId": version["versionId"],
    }
    lines = []
    for name, value in known.items():
        lines += [f"[dictionaries.{name}]", f"values = [{json.dumps(value)}]", ""]
    lines.append("[parameters]")
    for name in known:
        probability = 0.9 if name == "tenantId" else 0.7
        lines.append(f'"path.{name}" = {{ dictionary = "{name}", probability = {probability} }}')
    return "\n".join(lines) + "\n"
