"""The console: its page and files at `/` (one function for every path the API does not own), the
sign-in settings it reads at start (`/config.json`), and the dev sign-in of local runs.

The console is a client of the API like any other (docs/console.md): nothing here reads a table.
"""

from __future__ import annotations

import functools
from typing import Any

import azure.functions as func

from shared.api import models
from shared.api.operations import operation
from shared.auth.dev_tokens import DevSignInOff, InvalidDevPrincipal, dev_sign_in
from shared.auth.gate import ServiceMisconfigured
from shared.config.errors import ConfigurationError
from shared.config.settings import Settings, get_settings
from shared.console import ConsoleFiles, content_security_policy, request_path
from shared.http.body import json_body
from shared.http.problems import ProblemError, problem_response
from shared.http.response import json_response

bp = func.Blueprint()

CONFIG_PATH = "config.json"


@functools.cache
def _files() -> ConsoleFiles:
    """Read once per worker; a missing build raises each time until it exists."""
    return ConsoleFiles.load()


@bp.route(route="{*path}", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
def console_page(req: func.HttpRequest) -> func.HttpResponse:
    """`index.html` for every page of the console, its hashed assets, and `config.json`."""
    path = request_path(req.url)
    try:
        if path == CONFIG_PATH:
            return json_response(_client_config(get_settings()))
        answer = _files().answer(
            path,
            accepts_gzip="gzip" in req.headers.get("Accept-Encoding", ""),
            if_none_match=req.headers.get("If-None-Match"),
            extra_headers={"Content-Security-Policy": content_security_policy(_authority())},
        )
    except ProblemError as error:
        return problem_response(error.to_problem(instance="/" + path))
    except ConfigurationError as error:
        return problem_response(_misconfigured(error))
    return func.HttpResponse(answer.body, status_code=answer.status, headers=answer.headers)


@bp.route(route="api/console/dev-token", methods=["POST"], auth_level=func.AuthLevel.ANONYMOUS)
@operation("Sign in as a demo principal (local only)", response=models.DevToken, body=models.DevTokenRequest,
           anonymous=True, visibility="internal",
           problems=(DevSignInOff, InvalidDevPrincipal, ServiceMisconfigured))
def console_dev_token(req: func.HttpRequest) -> func.HttpResponse:
    """`{"principal": NAME}` -> a dev token for that demo principal; a 404 unless dev tokens are on
    (`TENANTATLAS_AUTH_DEV_MODE`, which settings refuse outside a local environment)."""
    try:
        settings = get_settings()
        body = json_body(req, invalid=InvalidDevPrincipal)
        name = body.get("principal") if isinstance(body, dict) else None
        return json_response(dev_sign_in(settings.auth, settings.state_dir, name))
    except ProblemError as error:
        return problem_response(error.to_problem(instance="/" + request_path(req.url)))
    except ConfigurationError as error:
        return problem_response(_misconfigured(error))


def _misconfigured(error: ConfigurationError) -> ServiceMisconfigured:
    return ServiceMisconfigured(
        f"The app setting {error.setting} is not right; GET /api/health names it too.", setting=error.setting
    )


def _authority() -> str | None:
    try:
        return get_settings().console.authority
    except ConfigurationError:
        return None


def _client_config(settings: Settings) -> dict[str, Any]:
    """What the console needs before anyone signs in; no secret: the client ID of a public client."""
    console = settings.console
    msal = None
    if console.client_id is not None:
        msal = {"clientId": console.client_id, "authority": console.authority, "scopes": list(console.scopes)}
    return {
        "version": settings.version,
        "msal": msal,
        "devSignIn": {"principals": list(console.dev_principals)} if settings.auth.dev_mode else None,
    }
