"""The Power Automate / Logic Apps custom connector: its Swagger 2.0 definition is the one the routes give
(regenerated, byte for byte), is valid Swagger 2.0, and carries what flow builders see and need: words
on every parameter, pickers for tenants and backup sets, and the long-running actions' 202 polling."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from openapi_spec_validator import validate
from openapi_spec_validator.validation import OpenAPIV2SpecValidator

from local.connector import DEFINITION, generated

CONNECTOR = Path(DEFINITION).parent


@pytest.fixture(scope="module")
def definition() -> dict[str, Any]:
    return dict(json.loads(DEFINITION.read_text(encoding="utf-8")))


def _operations(definition: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {op["operationId"]: op for ops in definition["paths"].values() for op in ops.values()}


def test_the_committed_definition_is_the_one_the_routes_give() -> None:
    assert DEFINITION.read_text(encoding="utf-8") == generated(), "run `make connector` and commit the file"


def test_the_definition_is_valid_swagger_2_0(definition: dict[str, Any]) -> None:
    validate(definition, cls=OpenAPIV2SpecValidator)
    assert definition["swagger"] == "2.0"
    assert definition["basePath"] == "/api"


def test_people_see_words_on_every_action_and_parameter(definition: dict[str, Any]) -> None:
    for name, operation in _operations(definition).items():
        assert operation["summary"], name
        assert operation["x-ms-visibility"] in {"important", "advanced", "internal"}, name
        for parameter in operation.get("parameters", []):
            assert parameter.get("x-ms-summary"), (name, parameter["name"])
    assert "healthCheck" not in _operations(definition) and "openapi" not in _operations(definition)


def test_tenant_and_backup_parameters_are_pickers_fed_by_list_operations(definition: dict[str, Any]) -> None:
    operations = _operations(definition)
    backup = operations["startBackup"]["parameters"][0]
    assert backup["name"] == "tenantId"
    assert backup["x-ms-dynamic-values"]["operationId"] == "listMyTenants"
    view = operations["viewBackup"]["parameters"][1]
    assert view["x-ms-dynamic-values"]["operationId"] == "listBackups"
    feeders = {p["x-ms-dynamic-values"]["operationId"] for op in operations.values()
               for p in op.get("parameters", []) if "x-ms-dynamic-values" in p}
    assert feeders <= set(operations)
    items = operations["listMyTenants"]["responses"]["200"]["schema"]["$ref"].rsplit("/", 1)[-1]
    assert "tenantId" in definition["definitions"]["MyTenant"]["properties"]
    assert items == "MyTenants"


def test_run_starts_are_long_running_and_fail_the_action_on_a_failed_run(definition: dict[str, Any]) -> None:
    operations = _operations(definition)
    for name in ("startBackup", "captureSnapshot", "startRestore", "retryRestore"):
        accepted = operations[name]["responses"]["202"]
        assert accepted["headers"].keys() == {"Location", "Retry-After"}, name
        (fail_on_error,) = [p for p in operations[name]["parameters"] if p["name"] == "failOnError"]
        assert (fail_on_error["default"], fail_on_error["x-ms-visibility"]) == ("true", "internal")
    status = operations["runStatus"]["responses"]
    assert {"200", "202", "422"} <= set(status)


def test_the_connection_signs_in_with_entra_id_for_the_api() -> None:
    properties = json.loads((CONNECTOR / "apiProperties.json").read_text(encoding="utf-8"))["properties"]
    oauth = properties["connectionParameters"]["token"]["oAuthSettings"]
    assert oauth["identityProvider"] == "aad"
    resource = oauth["properties"]["AzureActiveDirectoryResourceId"]
    assert all(scope.startswith(resource + "/") for scope in oauth["scopes"])
    assert oauth["customParameters"]["resourceUri"]["value"] == resource
