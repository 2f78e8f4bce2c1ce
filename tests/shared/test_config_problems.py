"""A missing or invalid setting is reported once, where every HTTP route gets its settings (the auth
gate): each route answers a 503 problem+json `config.invalid` naming the setting, never a 500 with a
traceback, and `GET /api/health` names it too. Neither ever shows the setting's value."""

from __future__ import annotations

import asyncio
import importlib
import inspect
import json
import pkgutil
import re
from collections.abc import Iterator
from typing import Any

import azure.functions as func
import pytest
from azure.functions.decorators.function_app import Function, FunctionBuilder

import shared.auth.gate
import triggers
import triggers.health
import triggers.openapi
from shared.http.problems import PROBLEM_CONTENT_TYPE

ACCOUNT_KEY = "S2V5VGhhdE11c3ROb3RMZWFr" * 3 + "AAAA"
BAD_TENANT_IDS = "contoso-Qx7Zt-not-a-guid"
TENANT = "8f1c2d3e-4b5a-4c6d-8e7f-9a0b1c2d3e4f"
WORKING = {
    "TENANTATLAS_ENVIRONMENT": "azure",
    "AzureWebJobsStorage": (
        f"DefaultEndpointsProtocol=https;AccountName=acct;AccountKey={ACCOUNT_KEY};EndpointSuffix=storage.invalid"
    ),
    "TENANTATLAS_AUTH_AUDIENCE": "api://tenantatlas",
    "TENANTATLAS_AUTH_TENANT_IDS": TENANT,
}
BROKEN = [
    pytest.param("TENANTATLAS_AUTH_TENANT_IDS", BAD_TENANT_IDS, id="invalid"),
    pytest.param("TENANTATLAS_AUTH_AUDIENCE", None, id="missing"),
]
DURABLE_CLIENT = json.dumps({"taskHubName": "TenantAtlas", "creationUrls": {}, "managementUrls": {}})
"""What the host binds to a durable client parameter; the gate answers before anyone uses it."""


@pytest.fixture(autouse=True)
def fresh_guard() -> Iterator[None]:
    """The gate's guard is built once per worker: each test's is built from its own settings."""
    shared.auth.gate.default_guard.cache_clear()
    yield
    shared.auth.gate.default_guard.cache_clear()


def configure(monkeypatch: pytest.MonkeyPatch, setting: str, value: str | None) -> None:
    for name, working in WORKING.items():
        monkeypatch.setenv(name, working)
    if value is None:
        monkeypatch.delenv(setting)
    else:
        monkeypatch.setenv(setting, value)


ANONYMOUS = {"health", "openapi", "console_page"}
"""Routes without the gate: health names the broken setting itself; the document and the page are served."""


def http_functions() -> list[Function]:
    """Every HTTP-triggered function but the anonymous ones (health names the broken setting itself, the
    OpenAPI document and the console's page need no setting), from the triggers modules (one blueprint each).

    Built from their builders: the app's own `get_functions()` refuses to run twice in a process.
    """
    functions = []
    for module_info in pkgutil.iter_modules(triggers.__path__):
        module = importlib.import_module(f"triggers.{module_info.name}")
        for builder in vars(module).values():
            if isinstance(builder, FunctionBuilder):
                fn = builder.build()
                if fn.is_http_function() and fn.get_function_name() not in ANONYMOUS:
                    functions.append(fn)
    return functions


def call(fn: Function) -> func.HttpResponse:
    """Invoke a function as the host would: the request, and a durable client where one is bound."""
    trigger: Any = fn.get_trigger()
    route_params = {name: TENANT for name in re.findall(r"{(\w+)}", trigger.route)}
    path = trigger.route.format(**route_params)
    request = func.HttpRequest(
        method=trigger.methods[0].value,
        url=f"https://tenantatlas.example/{path}",
        headers={"Authorization": "Bearer not-checked-before-configuration"},
        route_params=route_params,
        body=b"{}",
    )
    kwargs: dict[str, Any] = {trigger.name: request}
    kwargs.update({b.name: DURABLE_CLIENT for b in fn.get_bindings() if b.type == "durableClient"})
    answer: Any = fn.get_user_function()(**kwargs)
    response: func.HttpResponse = asyncio.run(answer) if inspect.iscoroutine(answer) else answer
    return response


def test_the_app_has_gated_routes_of_every_kind() -> None:
    functions = http_functions()
    assert len(functions) >= 20
    assert any(inspect.iscoroutinefunction(fn.get_user_function()) for fn in functions), "async ones too"
    assert any(b.type == "durableClient" for fn in functions for b in fn.get_bindings())


@pytest.mark.parametrize(("setting", "value"), BROKEN)
def test_every_route_answers_503_config_invalid_naming_the_setting(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, setting: str, value: str | None
) -> None:
    configure(monkeypatch, setting, value)
    for fn in http_functions():
        response = call(fn)
        text = response.get_body().decode()
        name = fn.get_function_name()
        assert response.status_code == 503, (name, text)
        assert response.mimetype == PROBLEM_CONTENT_TYPE, name
        problem = json.loads(text)
        assert problem["code"] == "config.invalid", name
        assert problem["status"] == 503
        assert problem["setting"] == setting
        assert setting in problem["detail"]
        assert ACCOUNT_KEY not in text
        assert value is None or value not in text, f"{name} shows the value of {setting}"
    assert setting in caplog.text
    assert "Traceback" not in caplog.text
    assert value is None or value not in caplog.text


@pytest.mark.parametrize(("setting", "value"), BROKEN)
def test_health_answers_503_naming_the_setting_not_its_value(
    monkeypatch: pytest.MonkeyPatch, setting: str, value: str | None
) -> None:
    configure(monkeypatch, setting, value)
    response = triggers.health.health(
        func.HttpRequest(method="GET", url="http://localhost/api/health", body=b"")
    )
    text = response.get_body().decode()
    assert response.status_code == 503
    code = "config.missing" if value is None else "config.invalid"
    assert json.loads(text)["checks"]["configuration"]["error"] == f"{code}: {setting}"
    assert ACCOUNT_KEY not in text
    assert value is None or value not in text


@pytest.mark.parametrize(("setting", "value"), BROKEN)
def test_the_openapi_document_is_served_whatever_the_settings(
    monkeypatch: pytest.MonkeyPatch, setting: str, value: str | None
) -> None:
    configure(monkeypatch, setting, value)
    response = triggers.openapi.openapi(
        func.HttpRequest(method="GET", url="http://localhost/api/openapi.json", body=b"")
    )
    assert response.status_code == 200
    assert json.loads(response.get_body())["openapi"] == "3.1.0"
