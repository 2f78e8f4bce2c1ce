"""The Power Automate / Logic Apps custom connector's definition: Swagger 2.0 (what connectors import),
converted from the OpenAPI 3.1 document, so the two cannot say different things.

What changes on the way: JSON Schema 2020-12 becomes Swagger's schema dialect (`null` members become
`x-nullable`, `const` an enum of one, a union of objects one object with every member); each
property shows its title as `x-ms-summary`; the anonymous routes (health, this document) are left
out, since a connection always signs in; and on the actions that start a run `failOnError` is fixed
to `true`, so a run that fails fails the flow's action (a 4xx at the status URL, see shared.runs.status).
Power Automate and Logic Apps follow a 202's `Location` themselves, waiting `Retry-After` between polls.
"""

from __future__ import annotations

import copy
import re
from typing import Any

from shared.api.openapi import ROUTE_PREFIX
from shared.http.problems import PROBLEM_CONTENT_TYPE
from shared.runs.status import FAIL_ON_ERROR_PARAM

SWAGGER_VERSION = "2.0"
PLACEHOLDER_HOST = "your-function-app.azurewebsites.net"
"""Set to the Function App's host name when the connector is imported (docs/integrations.md)."""
SECURITY = "oauth2-auth"
_OPENAPI_REF = "#/components/schemas/"
_SWAGGER_REF = "#/definitions/"
_PARAM_KEYS = ("type", "format", "enum", "pattern", "minimum", "maximum", "minLength", "maxLength", "default")


def connector_definition(openapi: dict[str, Any], host: str = PLACEHOLDER_HOST) -> dict[str, Any]:
    components = openapi["components"]["schemas"]
    paths: dict[str, Any] = {}
    for path, operations in openapi["paths"].items():
        for method, operation in operations.items():
            if operation.get("security") == []:
                continue
            paths.setdefault(path, {})[method] = _operation(operation, components)
    return {
        "swagger": SWAGGER_VERSION,
        "info": {
            "title": "TenantAtlas",
            "description": "Back up and restore Intune configuration of managed tenants.",
            "version": openapi["info"]["version"],
        },
        "host": host,
        "basePath": ROUTE_PREFIX,
        "schemes": ["https"],
        "consumes": ["application/json"],
        "produces": ["application/json", PROBLEM_CONTENT_TYPE],
        "paths": paths,
        "definitions": {name: _schema(schema, components) for name, schema in sorted(components.items())},
        "securityDefinitions": {
            SECURITY: {
                "type": "oauth2",
                "flow": "accessCode",
                "authorizationUrl": "https://login.microsoftonline.com/common/oauth2/authorize",
                "tokenUrl": "https://login.windows.net/common/oauth2/authorize",
                "scopes": {},
            }
        },
        "security": [{SECURITY: []}],
    }


def _operation(operation: dict[str, Any], components: dict[str, Any]) -> dict[str, Any]:
    converted: dict[str, Any] = {
        key: operation[key] for key in ("operationId", "summary", "description", "tags") if key in operation
    }
    converted["x-ms-visibility"] = operation.get("x-ms-visibility", "important")
    long_running = "202" in operation["responses"] and "Location" in operation["responses"]["202"].get(
        "headers", {}
    )
    parameters = [_parameter(p, long_running) for p in operation.get("parameters", [])]
    body = operation.get("requestBody")
    if body is not None:
        schema = body["content"]["application/json"]["schema"]
        parameters.append(
            {
                "name": "body",
                "in": "body",
                "required": True,
                "schema": _schema(schema, components),
                "x-ms-summary": "Request",
            }
        )
    if parameters:
        converted["parameters"] = parameters
    converted["responses"] = {
        status: _response(response, components) for status, response in operation["responses"].items()
    }
    return converted


def _parameter(parameter: dict[str, Any], long_running: bool) -> dict[str, Any]:
    converted = {
        "name": parameter["name"],
        "in": parameter["in"],
        "required": parameter.get("required", False),
        "description": parameter.get("description", ""),
        **{key: value for key, value in parameter["schema"].items() if key in _PARAM_KEYS},
        **{key: value for key, value in parameter.items() if key.startswith("x-ms-")},
    }
    if parameter["in"] == "query" and parameter["name"] == FAIL_ON_ERROR_PARAM and long_running:
        converted.update({"default": "true", "x-ms-visibility": "internal"})
    return converted


def _response(response: dict[str, Any], components: dict[str, Any]) -> dict[str, Any]:
    converted: dict[str, Any] = {"description": response["description"]}
    for media in response.get("content", {}).values():
        converted["schema"] = _schema(media["schema"], components)
    if "headers" in response:
        converted["headers"] = {
            name: {"type": "string", "description": header.get("description", "")}
            for name, header in response["headers"].items()
        }
    return converted


def _schema(schema: Any, components: dict[str, Any]) -> Any:
    """One JSON Schema 2020-12 schema in Swagger 2.0's dialect."""
    if not isinstance(schema, dict):
        return schema
    schema = copy.deepcopy(schema)
    if "$ref" in schema:
        return {"$ref": _SWAGGER_REF + schema["$ref"].removeprefix(_OPENAPI_REF)}
    union = schema.pop("anyOf", None) or schema.pop("oneOf", None)
    schema.pop("discriminator", None)
    if union is not None:
        members = [member for member in union if member.get("type") != "null"]
        merged = members[0] if len(members) == 1 else _merge(members, components)
        schema.pop("default", None)
        schema = {**_schema(merged, components), **schema}
        if len(members) < len(union):
            schema["x-nullable"] = True
        return schema
    if "default" in schema and schema["default"] is None:
        del schema["default"]
    if "const" in schema:
        schema["enum"] = [schema.pop("const")]
    if "examples" in schema:
        schema["example"] = schema.pop("examples")[0]
    if "properties" in schema:
        schema["properties"] = {
            name: _property(name, member, components) for name, member in schema["properties"].items()
        }
    for key in ("items", "additionalProperties"):
        if isinstance(schema.get(key), dict):
            schema[key] = _schema(schema[key], components)
    if "allOf" in schema:
        schema["allOf"] = [_schema(member, components) for member in schema["allOf"]]
    return schema


def _property(name: str, member: dict[str, Any], components: dict[str, Any]) -> dict[str, Any]:
    """A property with the words people see in a flow (`x-ms-summary`): `tenantId` -> `Tenant ID`."""
    converted = dict(_schema(member, components))
    converted.pop("title", None)
    if "$ref" not in converted:
        converted["x-ms-summary"] = _words(name)
    return converted


def _words(name: str) -> str:
    words = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", name).split()
    words = ["ID" if word.lower() == "id" else word.lower() for word in words]
    return " ".join(words)[:1].upper() + " ".join(words)[1:]


def _merge(members: list[dict[str, Any]], components: dict[str, Any]) -> dict[str, Any]:
    """A union of object schemas as one object: every member's properties; required what all require."""
    resolved = [
        components[m["$ref"].removeprefix(_OPENAPI_REF)] if "$ref" in m else m for m in members
    ]
    properties: dict[str, Any] = {}
    for member in resolved:
        for name, prop in member.get("properties", {}).items():
            if name in properties and "enum" in prop and "enum" in properties[name]:
                properties[name] = {**prop, "enum": [*properties[name]["enum"], *prop["enum"]]}
            elif name in properties and "const" in prop and "const" in properties[name]:
                properties[name] = {**prop, "enum": [properties[name]["const"], prop["const"]]}
                properties[name].pop("const")
            else:
                properties.setdefault(name, prop)
    required = set.intersection(*(set(m.get("required", [])) for m in resolved))
    merged: dict[str, Any] = {
        "type": "object",
        "description": " Or: ".join(m.get("description", m.get("title", "")) for m in resolved).strip(),
        "properties": properties,
    }
    if required:
        merged["required"] = sorted(required)
    return merged
