"""GET /api/health: version and dependency states with timings, 503 when one is down, never a secret."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator

import azure.functions as func
import pytest

import triggers.health
from local.azurite import AzuriteEndpoints

ROUTE = "http://localhost/api/health"


@pytest.fixture(autouse=True)
def fresh_probes() -> Iterator[None]:
    triggers.health._worker_probes.cache_clear()
    yield
    triggers.health._worker_probes.cache_clear()


def call_health() -> tuple[int, dict[str, object], str]:
    response = triggers.health.health(func.HttpRequest(method="GET", url=ROUTE, body=b""))
    text = response.get_body().decode()
    return response.status_code, json.loads(text), text


def local_settings(monkeypatch: pytest.MonkeyPatch, connection_string: str) -> None:
    monkeypatch.setenv("TENANTATLAS_ENVIRONMENT", "local")
    monkeypatch.setenv("TENANTATLAS_AUTH_DEV_MODE", "true")
    monkeypatch.setenv("TENANTATLAS_VERSION", "9.9.9-test")
    monkeypatch.setenv("AzureWebJobsStorage", connection_string)


def test_healthy_with_azurite(monkeypatch: pytest.MonkeyPatch, azurite: AzuriteEndpoints) -> None:
    local_settings(monkeypatch, azurite.connection_string)
    status, body, text = call_health()
    assert status == 200
    assert body["status"] == "healthy"
    assert body["version"] == "9.9.9-test"
    checks = body["checks"]
    assert isinstance(checks, dict)
    assert set(checks) == {"configuration", "tables", "blobs"}
    assert all(check["status"] == "ok" and check["durationMs"] >= 0 for check in checks.values())
    assert azurite.account_key not in text


def test_unreachable_storage_is_503_naming_the_dependency_not_the_key(
    monkeypatch: pytest.MonkeyPatch, azurite: AzuriteEndpoints
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        dead_port = probe.getsockname()[1]
    dead = azurite.connection_string.replace(str(azurite.table_port), str(dead_port))
    local_settings(monkeypatch, dead)
    status, body, text = call_health()
    assert status == 503
    assert body["status"] == "unhealthy"
    checks = body["checks"]
    assert isinstance(checks, dict)
    assert checks["tables"]["status"] == "error"
    assert checks["tables"]["error"] == "ServiceRequestError"
    assert checks["blobs"]["status"] == "ok"
    assert azurite.account_key not in text


def test_broken_configuration_is_503_naming_the_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AzureWebJobsStorage", "AccountName=a;AccountKey=c2VjcmV0")
    status, body, text = call_health()
    assert status == 503
    failed = {"status": "error", "durationMs": 0.0, "error": "config.missing: TENANTATLAS_AUTH_AUDIENCE"}
    assert body["checks"] == {"configuration": failed}
    assert "c2VjcmV0" not in text
    assert body["version"] == "0.1.0"


def test_the_app_registers_the_anonymous_health_route() -> None:
    import function_app

    routes = {fn.get_function_name(): fn.get_trigger() for fn in function_app.app.get_functions()}
    trigger = routes["health"]
    assert trigger is not None
    assert trigger.route == "api/health"
    assert trigger.auth_level == func.AuthLevel.ANONYMOUS
