"""The OpenAPI document is built from the routes and their declarations: it validates, every HTTP route
of the app is in it, and a route that is not described (or a parameter without a description) stops
the build instead of being left out. No servers: the app's blueprints are read in this process."""

from __future__ import annotations

import json
from typing import Any

import azure.functions as func
import pytest
from openapi_spec_validator import validate

import function_app
from shared.api import models
from shared.api.openapi import app_functions, http_routes, openapi_document
from shared.api.operations import UndescribedRoute, operation
from shared.auth.gate import tenant_route
from shared.auth.roles import Role


def _document() -> dict[str, Any]:
    return openapi_document(http_routes(app_functions(function_app.BLUEPRINTS)), "test")


def test_the_document_of_the_app_is_valid_openapi_3_1() -> None:
    document = _document()
    validate(document)
    assert document["openapi"] == "3.1.0"
    json.dumps(document)


def test_every_http_function_is_a_path_and_method_of_the_document() -> None:
    routes = http_routes(app_functions(function_app.BLUEPRINTS))
    described = {(path, method.upper()) for path, ops in _document()["paths"].items() for method in ops}
    registered = {(route.path, method) for route in routes for method in route.methods}
    assert registered == described
    assert ("/tenants/{tenantId}/backups", "POST") in described


def test_operation_ids_are_unique_and_name_the_handlers() -> None:
    ids = [op["operationId"] for ops in _document()["paths"].values() for op in ops.values()]
    assert len(ids) == len(set(ids))
    assert {"startBackup", "listMyTenants", "listBackups", "runStatus", "startRestore"} <= set(ids)


def test_gated_routes_list_the_gate_problems_and_anonymous_ones_need_no_token() -> None:
    paths = _document()["paths"]
    backup = paths["/tenants/{tenantId}/backups"]["post"]
    assert _codes(backup, 401) >= {"auth.missing_token", "auth.token_expired", "auth.invalid_token"}
    assert _codes(backup, 403) == {"auth.forbidden", "auth.insufficient_role", "auth.groups_overage"}
    assert "tenant.invalid_id" in _codes(backup, 400)
    assert _codes(backup, 409) == {"tenant.disabled"}
    assert backup["responses"]["202"]["headers"].keys() == {"Location", "Retry-After"}
    assert "security" not in backup
    mine = paths["/tenants"]["get"]
    assert "403" not in mine["responses"] and "401" in mine["responses"]
    register = paths["/tenants"]["post"]
    assert _codes(register, 403) == {"auth.platform_admin_required"}
    assert "Platform admins only" in register["description"]
    members = paths["/tenants/{tenantId}/members/{principal}"]["put"]
    assert "auth.platform_admin_required" not in _codes(members, 403)
    assert "Platform admins (app role `msp.admin`) too" in members["description"]
    for anonymous in (paths["/health"]["get"], paths["/openapi.json"]["get"]):
        assert anonymous["security"] == []
        assert "401" not in anonymous["responses"]


def test_the_status_url_describes_polling_and_a_failed_run_as_a_422_with_the_run() -> None:
    status = _document()["paths"]["/tenants/{tenantId}/runs/{runId}/status"]["get"]
    assert set(status["responses"]) >= {"200", "202", "404", "422"}
    assert status["responses"]["202"]["headers"].keys() == {"Location", "Retry-After"}
    schema = status["responses"]["422"]["content"]["application/problem+json"]["schema"]
    assert schema["allOf"][0] == {"$ref": "#/components/schemas/RunProblem"}
    assert _codes(status, 422) == {"run.failed", "run.cancelled"}
    assert _codes(status, 404) == {"run.not_found"}


def test_restore_bodies_are_a_union_on_mode() -> None:
    restore = _document()["paths"]["/tenants/{tenantId}/restores"]["post"]
    body = restore["requestBody"]["content"]["application/json"]["schema"]
    assert body["discriminator"]["propertyName"] == "mode"
    assert {"restore.not_confirmed", "restore.items_not_in_preview"} <= _codes(restore, 422)


def _codes(op: dict[str, Any], status: int) -> set[str]:
    schema = op["responses"][str(status)]["content"]["application/problem+json"]["schema"]
    return set(schema["allOf"][1]["properties"]["code"]["enum"])


def _build(blueprint: func.Blueprint) -> dict[str, Any]:
    return openapi_document(http_routes(app_functions([blueprint])), "test")


def test_a_route_without_a_declaration_stops_the_build() -> None:
    bp = func.Blueprint()

    @bp.route(route="api/tenants/{tenantId}/things", methods=["GET"])
    @tenant_route(Role.READER, action="things.list")
    def list_things(req: func.HttpRequest, access: object) -> func.HttpResponse:
        return func.HttpResponse("[]")

    with pytest.raises(UndescribedRoute, match=r"list_things .*has no @operation"):
        _build(bp)


def test_a_path_parameter_without_a_description_stops_the_build() -> None:
    bp = func.Blueprint()

    @bp.route(route="api/tenants/{tenantId}/things/{thingId}", methods=["GET"])
    @operation("Get a thing", response=models.Run)
    @tenant_route(Role.READER, action="things.view")
    def get_thing(req: func.HttpRequest, access: object) -> func.HttpResponse:
        return func.HttpResponse("{}")

    with pytest.raises(UndescribedRoute, match="`thingId` is not described"):
        _build(bp)


def test_a_declaration_must_say_truly_whether_the_route_is_anonymous() -> None:
    bp = func.Blueprint()

    @bp.route(route="api/open", methods=["GET"])
    @operation("Open", response=models.Run)
    def open_route(req: func.HttpRequest) -> func.HttpResponse:
        return func.HttpResponse("{}")

    with pytest.raises(UndescribedRoute, match="open_route has no gate"):
        _build(bp)


def test_the_declaration_goes_on_the_handler_not_above_the_route() -> None:
    bp = func.Blueprint()
    with pytest.raises(TypeError, match=r"below @bp\.route"):

        @operation("Misplaced", anonymous=True)
        @bp.route(route="misplaced", methods=["GET"])
        def misplaced(req: func.HttpRequest) -> func.HttpResponse:
            return func.HttpResponse("{}")


def test_a_page_is_described_as_html() -> None:
    bp = func.Blueprint()

    @bp.route(route="api/console", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
    @operation("Open the console", anonymous=True, media_type="text/html", visibility="internal")
    def console(req: func.HttpRequest) -> func.HttpResponse:
        return func.HttpResponse("<!doctype html>", mimetype="text/html")

    page = _build(bp)["paths"]["/console"]["get"]
    assert page["responses"]["200"]["content"] == {"text/html": {"schema": {"type": "string"}}}
    assert page["security"] == []


def test_a_route_outside_api_is_no_api_route_and_not_in_the_document() -> None:
    bp = func.Blueprint()

    @bp.route(route="{*path}", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
    def page(req: func.HttpRequest) -> func.HttpResponse:
        return func.HttpResponse("<!doctype html>", mimetype="text/html")

    @bp.route(route="api/open", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
    @operation("Open", anonymous=True, response=models.Run)
    def open_route(req: func.HttpRequest) -> func.HttpResponse:
        return func.HttpResponse("{}")

    assert list(_build(bp)["paths"]) == ["/open"]
