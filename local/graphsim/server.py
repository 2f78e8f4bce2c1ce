"""Compose and run graphsim: TLS on loopback, routes, the error middleware, the state folder.

The state folder is the contract with clients: `ca.pem` to trust, `credentials.json` (0600:
tenants, apps, secrets, certificate paths, admin key) and last `ready.json` with the base URL,
written atomically so a waiting launcher never reads half a file.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import logging
import os
import secrets
import signal
import ssl
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web

from local.graphsim.admin import ADMIN_KEY_HEADER, PREFIX, AdminApi
from local.graphsim.config import SimConfig
from local.graphsim.contract import graph_error
from local.graphsim.entra import EntraHandlers
from local.graphsim.graph_http import GraphHandler, to_http
from local.graphsim.identity import IDENTITY_ISSUER, IDENTITY_PATH, MSP_TENANT_ID, IdentityEndpoint
from local.graphsim.keyvault import VAULT_RESOURCE, KeyVaultHandlers
from local.graphsim.pki import make_tls_material
from local.graphsim.profiles import Profile, SeedPlan, apply_plan, build_plan
from local.graphsim.simulator import Simulator, new_request_id

log = logging.getLogger("graphsim")

_MAX_BODY = 32 * 1024 * 1024


class LoopbackOnlyError(ValueError):
    """graphsim serves loopback only: it hands out tokens and secrets without real authentication."""


@dataclass(frozen=True)
class ServerOptions:
    state_dir: Path
    host: str = "127.0.0.1"
    port: int = 0
    profile: Profile = "demo"
    tenants: int | None = None
    objects: int | None = None
    config: SimConfig = field(default_factory=SimConfig)


def build_app(sim: Simulator, admin_key: str, identity_header: str) -> web.Application:
    app = web.Application(middlewares=[_errors_middleware], client_max_size=_MAX_BODY)
    entra = EntraHandlers(sim)
    app.router.add_route("*", r"/{version:beta|v1\.0}{tail:(/.*)?}", GraphHandler(sim))
    app.router.add_routes(AdminApi(sim, admin_key).routes())
    app.router.add_get(IDENTITY_PATH, IdentityEndpoint(sim, identity_header).token)
    app.router.add_routes(KeyVaultHandlers(sim).routes())
    app.router.add_get("/{tenant}/adminconsent", entra.admin_consent)
    app.router.add_get("/{tenant}/v2.0/.well-known/openid-configuration", entra.openid_configuration)
    app.router.add_post("/{tenant}/oauth2/v2.0/token", entra.token)
    app.router.add_get("/{tenant}/discovery/v2.0/keys", entra.keys)
    app.router.add_route("*", "/{tail:.*}", _unknown_route)
    return app


async def serve(options: ServerOptions, stop: asyncio.Event | None = None) -> None:
    """Start, write the state folder, serve until `stop` is set or SIGTERM/SIGINT arrives."""
    _require_loopback(options.host)
    state_dir = options.state_dir.resolve()
    state_dir.mkdir(parents=True, exist_ok=True)
    (state_dir / "ready.json").unlink(missing_ok=True)
    tls = make_tls_material([options.host, "localhost", "127.0.0.1", "::1"])
    _write(state_dir / "ca.pem", tls.ca_cert_pem, 0o644)
    _write(state_dir / "server.pem", tls.server_cert_pem, 0o644)
    _write(state_dir / "server-key.pem", tls.server_key_pem, 0o600)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(state_dir / "server.pem", state_dir / "server-key.pem")

    plan = build_plan(options.profile, options.tenants, options.objects)
    sim = Simulator(options.config, reseed=lambda s: apply_plan(s, plan))
    apply_plan(sim, plan)
    admin_key, identity_header = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    runner = web.AppRunner(build_app(sim, admin_key, identity_header), access_log=None, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, options.host, options.port, ssl_context=context, backlog=1024)
    await site.start()
    port = runner.addresses[0][1]
    host = f"[{options.host}]" if ":" in options.host else options.host
    base_url = f"https://{host}:{port}"
    _write_credentials(state_dir, base_url, admin_key, identity_header, plan)
    _write(
        state_dir / "ready.json",
        json.dumps(
            {
                "base_url": base_url,
                "pid": os.getpid(),
                "ca_file": str(state_dir / "ca.pem"),
                "credentials_file": str(state_dir / "credentials.json"),
            }
        ).encode(),
        0o644,
    )
    log.info("graphsim ready at %s (profile %s, state in %s)", base_url, options.profile, state_dir)
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    try:
        await stop.wait()
    finally:
        (state_dir / "ready.json").unlink(missing_ok=True)
        await runner.cleanup()


def _write_credentials(
    state_dir: Path, base_url: str, admin_key: str, identity_header: str, plan: SeedPlan
) -> None:
    apps: list[dict[str, Any]] = []
    for app in plan.apps:
        entry: dict[str, Any] = {
            "name": app.name,
            "client_id": app.client_id,
            "roles": sorted(app.roles),
            "tenants": [t.id for t in plan.tenants],
        }
        if app.secret is not None:
            entry["client_secret"] = app.secret
        if app.certificate is not None:
            stem = f"app-{app.client_id}"
            _write(state_dir / f"{stem}.pem", app.certificate.cert_pem, 0o644)
            _write(state_dir / f"{stem}-key.pem", app.certificate.key_pem, 0o600)
            entry.update(
                certificate_file=str(state_dir / f"{stem}.pem"),
                private_key_file=str(state_dir / f"{stem}-key.pem"),
                thumbprint=app.certificate.thumbprint,
            )
        if app.federated_identity is not None:
            entry["federated_identity"] = app.federated_identity.client_id
        apps.append(entry)
    document = {
        "base_url": base_url,
        "graph_url": base_url,
        "authority_host": base_url,
        "ca_file": str(state_dir / "ca.pem"),
        "profile": plan.profile,
        "admin": {"url": f"{base_url}{PREFIX}", "header": ADMIN_KEY_HEADER, "key": admin_key},
        "tenants": [{"id": t.id, "name": t.name, "objects": t.objects} for t in plan.tenants],
        "apps": apps,
        "identity": {
            "endpoint": f"{base_url}{IDENTITY_PATH}",
            "header": identity_header,
            "client_id": plan.identity.client_id,
            "object_id": plan.identity.object_id,
            "tenant_id": MSP_TENANT_ID,
            "issuer": IDENTITY_ISSUER,
        },
        "key_vault": {"url": base_url, "resource": VAULT_RESOURCE},
    }
    _write(state_dir / "credentials.json", json.dumps(document, indent=2).encode(), 0o600)


def _write(path: Path, data: bytes, mode: int) -> None:
    """Write via a temporary file and rename, with the mode set before any byte lands."""
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.unlink(missing_ok=True)
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(data)
    os.chmod(temporary, mode)
    os.replace(temporary, path)


def _require_loopback(host: str) -> None:
    if host == "localhost":
        return
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise LoopbackOnlyError(f"--host {host} is not a loopback address; graphsim serves loopback only.")


_GRAPH_CODES = {413: "RequestEntityTooLarge"}
"""Graph's code where it is not the reason phrase (Python 3.13 calls 413 "Content Too Large")."""


@web.middleware
async def _errors_middleware(request: web.Request, handler: Any) -> web.StreamResponse:
    """aiohttp's own errors (405, 413, ...) in Graph's shape; a genuine bug is a logged Graph 500."""
    try:
        response: web.StreamResponse = await handler(request)
        return response
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        code = _GRAPH_CODES.get(exc.status) or exc.reason.replace(" ", "")
        return _error(exc.status, code, exc.text or exc.reason)
    except ConnectionError:
        raise  # the client went away mid-request: aiohttp closes quietly, nothing to answer
    except Exception:
        log.exception("graphsim failed on %s %s", request.method, request.path)
        return _error(500, "InternalServerError", "An internal server error occurred in graphsim.")


async def _unknown_route(request: web.Request) -> web.Response:
    first = request.path.strip("/").split("/", 1)[0]
    if request.path.startswith(f"{PREFIX}/"):
        return _error(
            404,
            "NotFound",
            (f"No admin route for {request.method} {request.path}; local/graphsim/README.md lists them."),
        )
    if first.startswith("v") and first[1:2].isdigit():
        return _error(400, "BadRequest", f"Invalid version: {first}")
    return _error(
        404,
        "NotFound",
        (
            f"No graphsim route for {request.method} {request.path}. Graph lives under /beta and /v1.0, "
            f"Entra under /{{tenant}}/oauth2/v2.0/token, the managed identity endpoint at {IDENTITY_PATH}, "
            f"Key Vault under /secrets and /certificates, the admin API under {PREFIX}/."
        ),
    )


def _error(status: int, code: str, message: str) -> web.Response:
    request_id = new_request_id()
    return to_http(graph_error(status, code, message), request_id, request_id)
