"""`GET /api/openapi.json`: the OpenAPI 3.1 document of this API, built from the app's own routes.

Anonymous on purpose, like `/api/health`: flow builders (Logic Apps, Power Automate, API Management)
import it before they hold a token, and it says nothing a caller could not learn from the routes'
answers. Built once per worker from the blueprints `function_app.py` registers (see shared.api).
"""

from __future__ import annotations

import functools
from typing import Any

import azure.functions as func

from shared.api import models
from shared.api.openapi import app_functions, http_routes, openapi_document
from shared.api.operations import operation
from shared.config.errors import ConfigurationError
from shared.config.settings import get_settings, packaged_version
from shared.http.response import json_response

bp = func.Blueprint()


@bp.route(route="api/openapi.json", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
@operation("Get the OpenAPI document", response=models.OpenApiDocument, anonymous=True, visibility="internal")
def openapi(req: func.HttpRequest) -> func.HttpResponse:
    """This document."""
    return json_response(api_document())


@functools.cache
def api_document() -> dict[str, Any]:
    # function_app imports this module to register its blueprint, so it is imported here, when it is whole.
    from function_app import BLUEPRINTS

    return openapi_document(http_routes(app_functions(BLUEPRINTS)), _version())


def _version() -> str:
    """The app's version; the document is served even when a setting is wrong (health names it)."""
    try:
        return get_settings().version
    except ConfigurationError:
        return packaged_version()
