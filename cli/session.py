"""Where the API is and how the command line gets a token for it, kept between commands.

Two ways in. In Azure: Entra ID's device code flow through MSAL (a public client: the app registration
of the command line, allowed to ask for the API's `access_as_user` scope); MSAL keeps its token cache
next to the settings and refreshes silently. Locally: the dev token the demo uses, minted for a demo
principal from the local stack's dev signing key (`make run` creates the key) and minted again when it
nears its end, so a dev sign-in does not expire. `TENANTATLAS_TOKEN` and `TENANTATLAS_API` override
both, for scripts and CI.

The settings live in `$TENANTATLAS_CLI_HOME` (default `~/.config/tenantatlas`), files readable by the
user only: the API's URL, how to sign in, the MSAL token cache, and a local dev token (valid only
against the local stack that signed it).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msal

from cli.api import CliError
from cli.exit_codes import ExitCode

DEFAULT_API = "http://127.0.0.1:7071/api"
"""Where `make run` serves the app."""
HOME_ENV = "TENANTATLAS_CLI_HOME"
TOKEN_ENV = "TENANTATLAS_TOKEN"  # noqa: S105 (the name of an environment variable)
API_ENV = "TENANTATLAS_API"
SETTINGS_FILE = "settings.json"
MSAL_CACHE_FILE = "msal-cache.json"
LOGIN_HOST = "https://login.microsoftonline.com"
DEV_TOKEN_SECONDS = 3600
DEV_TOKEN_MARGIN_SECONDS = 300


def home() -> Path:
    return Path(os.environ.get(HOME_ENV) or Path.home() / ".config" / "tenantatlas")


@dataclass(frozen=True)
class Session:
    api: str
    token: str


def load(api_override: str | None = None) -> Session:
    """The API and a token for it; CliError (exit 3) when not signed in."""
    settings = _read_settings()
    api = api_override or os.environ.get(API_ENV) or settings.get("api") or DEFAULT_API
    token = os.environ.get(TOKEN_ENV) or _token(settings.get("auth") or {})
    return Session(api, token)


def login_dev(api: str, principal: str, state_dir: Path) -> str:
    """Sign in as a demo principal of the local stack; the principal key the API will see."""
    from local.tokens import demo_object_id
    from shared.config.settings import DEV_AUTH_FOLDER, DEV_SIGNING_KEY_FILE

    if not (state_dir / DEV_AUTH_FOLDER / DEV_SIGNING_KEY_FILE).is_file():
        raise CliError(
            f"No dev signing key under {state_dir}: start the local stack (`make run`) or name its "
            "state folder with --state-dir.",
            ExitCode.NOT_SIGNED_IN,
        )
    _write_settings({"api": api, "auth": {"kind": "dev", "principal": principal, "stateDir": str(state_dir)}})
    return f"user:{demo_object_id(principal)}"


def login_entra(api: str, tenant: str, client_id: str, scope: str, show: Callable[[str], None]) -> str:
    """Entra device code flow: `show` prints where to enter the code; the signed-in account's name."""
    app, cache = _msal_app(tenant, client_id)
    flow = app.initiate_device_flow(scopes=[scope])
    if "user_code" not in flow:
        raise CliError(
            f"Entra refused the sign-in: {flow.get('error_description', flow)}", ExitCode.NOT_SIGNED_IN
        )
    show(str(flow["message"]))
    result = app.acquire_token_by_device_flow(flow)
    if "access_token" not in result:
        raise CliError(
            f"Sign-in failed: {result.get('error_description', 'no token')}", ExitCode.NOT_SIGNED_IN
        )
    _save_cache(cache)
    account = result.get("id_token_claims", {}).get("preferred_username", "")
    _write_settings(
        {"api": api, "auth": {"kind": "entra", "tenant": tenant, "clientId": client_id, "scope": scope}}
    )
    return str(account)


def logout() -> None:
    for name in (SETTINGS_FILE, MSAL_CACHE_FILE):
        (home() / name).unlink(missing_ok=True)


def _token(auth: dict[str, Any]) -> str:
    kind = auth.get("kind")
    if kind == "dev":
        return _dev_token(auth)
    if kind == "entra":
        app, cache = _msal_app(auth["tenant"], auth["clientId"])
        accounts = app.get_accounts()
        result = app.acquire_token_silent([auth["scope"]], account=accounts[0]) if accounts else None
        _save_cache(cache)
        if result and "access_token" in result:
            return str(result["access_token"])
        raise CliError("The sign-in has expired: run `tenantatlas login` again.", ExitCode.NOT_SIGNED_IN)
    raise CliError(
        "Not signed in: run `tenantatlas login` (or set TENANTATLAS_TOKEN).", ExitCode.NOT_SIGNED_IN
    )


def _dev_token(auth: dict[str, Any]) -> str:
    """The dev token kept from the last command while it has a while to live, else a new one (minting
    loads the local stack's settings code, which takes a second or two)."""
    if auth.get("token") and float(auth.get("expiresAt", 0)) - time.time() > DEV_TOKEN_MARGIN_SECONDS:
        return str(auth["token"])
    from local.tokens import ensure_dev_signing_key, mint_token
    from shared.config.settings import DEV_AUTH_FOLDER

    key = ensure_dev_signing_key(Path(auth["stateDir"]) / DEV_AUTH_FOLDER)
    token = mint_token(key, principal_name=auth["principal"], expires_in=DEV_TOKEN_SECONDS)
    settings = _read_settings()
    settings["auth"] = {**auth, "token": token, "expiresAt": time.time() + DEV_TOKEN_SECONDS}
    _write_settings(settings)
    return token


def _msal_app(
    tenant: str, client_id: str
) -> tuple[msal.PublicClientApplication, msal.SerializableTokenCache]:
    cache = msal.SerializableTokenCache()
    cache_file = home() / MSAL_CACHE_FILE
    if cache_file.is_file():
        cache.deserialize(cache_file.read_text(encoding="utf-8"))
    app = msal.PublicClientApplication(client_id, authority=f"{LOGIN_HOST}/{tenant}", token_cache=cache)
    return app, cache


def _save_cache(cache: msal.SerializableTokenCache) -> None:
    if cache.has_state_changed:
        _write_private(home() / MSAL_CACHE_FILE, cache.serialize())


def _read_settings() -> dict[str, Any]:
    path = home() / SETTINGS_FILE
    if not path.is_file():
        return {}
    settings: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return settings


def _write_settings(settings: dict[str, Any]) -> None:
    _write_private(home() / SETTINGS_FILE, json.dumps(settings, indent=2))


def _write_private(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as out:
        out.write(text)
