"""Secrets planted in Graph's error answers never reach a Table entity, a blob, an API answer or a
log line: the test fails captures with them, then reads back everything the app could have written."""

from __future__ import annotations

import base64
import json
import os
import secrets
import string
import zlib
from urllib.parse import quote

import pytest
from azure.core.exceptions import ResourceNotFoundError
from azure.data.tables import TableServiceClient
from azure.storage.blob import BlobServiceClient

from local.apptesting import OPERATOR_A, App
from local.azurite import AzuriteEndpoints
from local.graphsim.testing import GraphSim


def _entra_like_secret() -> str:
    alphabet = string.ascii_letters + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(3)) + "8Q~" + secrets.token_urlsafe(26)[:34]


@pytest.fixture
def planted(app: App) -> dict[str, str]:
    """What must never be seen again, by name: the secret part of each planted value."""
    return {
        "managed identity header": app.graphsim.identity.header,
        "client secret": _entra_like_secret(),
        "jwt": app.token(OPERATOR_A),
        "sas signature": base64.b64encode(os.urandom(32)).decode(),
        "storage key": base64.b64encode(os.urandom(64)).decode(),
        "authorization header": secrets.token_hex(24),
    }


def _error_text(planted: dict[str, str]) -> str:
    sas_url = (
        "https://tenantatlasdata.blob.core.windows.net/snapshots/x.json?sv=2024-08-04&sr=b&sp=r"
        f"&sig={quote(planted['sas signature'], safe='')}"
    )
    return (
        f"Backend failed with {planted['managed identity header']} and {planted['client secret']} "
        f"for {planted['jwt']} at {sas_url} key {planted['storage key']} "
        f"(Authorization: Bearer {planted['authorization header']})"
    )


@pytest.mark.slow
def test_planted_secrets_appear_nowhere(
    app: App, clean_graph: GraphSim, azurite: AzuriteEndpoints, planted: dict[str, str]
) -> None:
    text = _error_text(planted)
    failing, flaky = app.new_policy(app.tenant_a), app.new_policy(app.tenant_a)
    clean_graph.admin.set_faults(
        rules=[
            {"path": f"deviceConfigurations/{failing}$", "action": "status", "status": 500,
             "code": f"Boom {planted['storage key']}", "message": text},
            {"path": f"deviceConfigurations/{flaky}$", "occurrences": [1], "action": "status",
             "status": 503, "retry_after": "0.2", "message": text},
        ]
    )
    answers: list[str] = []
    for policy_id, expected in ((failing, "failed"), (flaky, "succeeded")):
        started = app.post(app.capture_path(app.tenant_a, policy_id), OPERATOR_A)
        answers.append(started.text)
        ended = app.wait_until_ended(started.headers["Location"], OPERATOR_A)
        assert ended.json()["status"] == expected, ended.text
        run_path = f"api/tenants/{app.tenant_a}/runs/{started.json()['id']}"
        for path in (run_path, run_path + "/items", run_path + "/status?failOnError=true"):
            answers.append(app.get(path, OPERATOR_A).text)
    failed_run = json.loads(answers[1])
    assert "[REDACTED]" in failed_run["error"], "the error is kept, with the secrets masked"
    tenant = f"api/tenants/{app.tenant_a}"
    for path in (f"{tenant}/runs", f"{tenant}/audit", "api/me/notifications"):
        answers.append(app.get(path, OPERATOR_A, params={"pageSize": "1000"}).text)

    places = {
        "API answers": "\n".join(answers),
        "devhost log": app.devhost.log_text(),
        "tables": _all_table_text(azurite.connection_string),
        "blobs": _all_blob_text(azurite.connection_string),
    }
    assert failed_run["id"] in places["tables"] and "Functions.capture_policy_item" in places["devhost log"]
    assert '"settings"' in places["blobs"] or "passwordRequired" in places["blobs"], "snapshots were scanned"
    leaks = [
        f"{name} in {place}"
        for place, content in places.items()
        for name, value in planted.items()
        if value in content or quote(value, safe="") in content
    ]
    assert leaks == []


def _all_table_text(connection_string: str) -> str:
    parts: list[str] = []
    with TableServiceClient.from_connection_string(connection_string) as service:
        for table in service.list_tables():
            client = service.get_table_client(table.name)
            for entity in client.list_entities():
                parts.append(json.dumps(dict(entity), default=str))
                if entity.get("Encoding") == "zlib":  # a payload row: its compressed parts, inflated
                    packed = b"".join(entity[f"D{i}"] for i in range(entity["Parts"]))
                    parts.append(zlib.decompress(packed).decode())
    return "\n".join(parts)


def _all_blob_text(connection_string: str) -> str:
    """Every blob's text; one deleted between listing and reading (staging blobs, replaced histories:
    the devhost keeps working while the test scans) holds nothing any more and is passed over."""
    parts: list[str] = []
    with BlobServiceClient.from_connection_string(connection_string) as service:
        for container in service.list_containers():
            client = service.get_container_client(container.name)
            for blob in client.list_blobs():
                try:
                    content = client.download_blob(blob.name).readall()
                except ResourceNotFoundError:
                    continue
                parts.append(content.decode("utf-8", "replace"))
    return "\n".join(parts)
