"""The admin API under `/_sim/`: set up tenants, apps and objects, inject drift, read the log.

It lives under its own prefix, outside Graph's `/beta` and `/v1.0`, and needs the admin key
from the state folder in `X-Graphsim-Admin-Key`, so product code pointed at graphsim can never
reach it by accident. Every bad input is a 400/404 with a message, in Graph's error shape.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from aiohttp import web

from local.graphsim.config import ConfigError, update_config
from local.graphsim.directory import DirectoryInputError, FederatedCredential, UnknownEntity
from local.graphsim.intune import AdminInputError
from local.graphsim.pki import app_certificate_from_pem, make_app_certificate
from local.graphsim.requestlog import LogQueryError
from local.graphsim.simulator import Simulator

PREFIX = "/_sim"
ADMIN_KEY_HEADER = "X-Graphsim-Admin-Key"

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class AdminError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


class AdminApi:
    def __init__(self, sim: Simulator, admin_key: str) -> None:
        self.sim = sim
        self._key = admin_key.encode()

    def routes(self) -> list[web.RouteDef]:
        guarded = self._guarded
        return [
            web.get(f"{PREFIX}/health", self.health),
            web.get(f"{PREFIX}/config", guarded(self.get_config)),
            web.patch(f"{PREFIX}/config", guarded(self.patch_config)),
            web.post(f"{PREFIX}/reset", guarded(self.reset)),
            web.get(f"{PREFIX}/collections", guarded(self.collections)),
            web.get(f"{PREFIX}/tenants", guarded(self.list_tenants)),
            web.post(f"{PREFIX}/tenants", guarded(self.create_tenant)),
            web.get(f"{PREFIX}/tenants/{{tenant}}", guarded(self.tenant_state)),
            web.put(f"{PREFIX}/tenants/{{tenant}}/consents/{{client_id}}", guarded(self.consent)),
            web.delete(f"{PREFIX}/tenants/{{tenant}}/consents/{{client_id}}", guarded(self.revoke)),
            web.post(f"{PREFIX}/tenants/{{tenant}}/objects", guarded(self.put_object)),
            web.patch(f"{PREFIX}/tenants/{{tenant}}/objects", guarded(self.patch_object)),
            web.delete(f"{PREFIX}/tenants/{{tenant}}/objects", guarded(self.delete_object)),
            web.get(f"{PREFIX}/apps", guarded(self.list_apps)),
            web.post(f"{PREFIX}/apps", guarded(self.register_app)),
            web.post(f"{PREFIX}/apps/{{client_id}}/certificates", guarded(self.add_certificate)),
            web.delete(
                f"{PREFIX}/apps/{{client_id}}/certificates/{{thumbprint}}", guarded(self.remove_certificate)
            ),
            web.post(f"{PREFIX}/apps/{{client_id}}/secrets", guarded(self.new_secret)),
            web.put(
                f"{PREFIX}/apps/{{client_id}}/federated-credentials/{{name}}",
                guarded(self.set_federated_credential),
            ),
            web.delete(
                f"{PREFIX}/apps/{{client_id}}/federated-credentials/{{name}}",
                guarded(self.remove_federated_credential),
            ),
            web.get(f"{PREFIX}/identities", guarded(self.list_identities)),
            web.post(f"{PREFIX}/identities", guarded(self.add_identity)),
            web.get(f"{PREFIX}/log", guarded(self.read_log)),
            web.delete(f"{PREFIX}/log", guarded(self.clear_log)),
            web.get(f"{PREFIX}/counters", guarded(self.counters)),
        ]

    def _guarded(self, handler: Handler) -> Handler:
        """Check the admin key and turn every input error into a clear 4xx."""

        async def guarded(request: web.Request) -> web.StreamResponse:
            given = request.headers.get(ADMIN_KEY_HEADER, "").encode()
            if not hmac.compare_digest(given, self._key):
                return admin_error(401, f"Missing or wrong {ADMIN_KEY_HEADER}; see credentials.json.")
            try:
                return await handler(request)
            except AdminError as exc:
                return admin_error(exc.status, str(exc))
            except UnknownEntity as exc:
                return admin_error(404, str(exc))
            except (AdminInputError, DirectoryInputError, ConfigError, LogQueryError) as exc:
                return admin_error(400, str(exc))

        return guarded

    async def health(self, _: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    async def get_config(self, _: web.Request) -> web.Response:
        return web.json_response(self.sim.config.to_json())

    async def patch_config(self, request: web.Request) -> web.Response:
        self.sim.configure(update_config(self.sim.config, await _json(request)))
        return web.json_response(self.sim.config.to_json())

    async def reset(self, request: web.Request) -> web.Response:
        body = await _json(request, default={})
        reseed = _field(body, "reseed", bool, default=True)
        self.sim.reset(reseed=reseed)
        return web.json_response({"tenants": [t.to_json() for t in self.sim.directory.tenants.values()]})

    async def collections(self, _: web.Request) -> web.Response:
        return web.json_response(self.sim.model.collections())

    async def list_tenants(self, _: web.Request) -> web.Response:
        return web.json_response([t.to_json() for t in self.sim.directory.tenants.values()])

    async def create_tenant(self, request: web.Request) -> web.Response:
        body = await _json(request, default={})
        seed = _check_seed(body.get("seed", "defaults"))
        tenant = self.sim.directory.add_tenant(
            _field(body, "id", str, default=None), _field(body, "name", str, default=None)
        )
        seed_tenant(self.sim, tenant.id, seed)
        return web.json_response(tenant.to_json(), status=201)

    async def tenant_state(self, request: web.Request) -> web.Response:
        tenant = self.sim.directory.tenant(request.match_info["tenant"])
        return web.json_response(
            {
                "tenant": tenant.to_json(),
                "consents": self.sim.directory.consents_of(tenant.id),
                "collections": self.sim.model.dump_tenant(tenant.id),
            }
        )

    async def consent(self, request: web.Request) -> web.Response:
        body = await _json(request)
        roles = _field(body, "roles", list)
        if not all(isinstance(role, str) for role in roles):
            raise AdminError(400, "'roles' must be a list of permission names such as Group.Read.All.")
        tenant = self.sim.directory.tenant(request.match_info["tenant"])
        self.sim.directory.consent(tenant.id, request.match_info["client_id"], frozenset(roles))
        return web.json_response(
            {
                "tenant": tenant.id,
                "client_id": request.match_info["client_id"].lower(),
                "roles": sorted(roles),
            }
        )

    async def revoke(self, request: web.Request) -> web.Response:
        self.sim.directory.revoke(request.match_info["tenant"], request.match_info["client_id"])
        return web.Response(status=204)

    async def put_object(self, request: web.Request) -> web.Response:
        body = await _json(request)
        tenant = self.sim.directory.tenant(request.match_info["tenant"])
        collection, obj = _field(body, "collection", str), _field(body, "object", dict)
        stored = self.sim.model.put_raw(tenant.id, collection, obj)
        return web.json_response(stored, status=201)

    async def patch_object(self, request: web.Request) -> web.Response:
        body = await _json(request)
        tenant = self.sim.directory.tenant(request.match_info["tenant"])
        changed = self.sim.model.patch_raw(
            tenant.id, _field(body, "collection", str), _field(body, "id", str), _field(body, "changes", dict)
        )
        return web.json_response(changed)

    async def delete_object(self, request: web.Request) -> web.Response:
        tenant = self.sim.directory.tenant(request.match_info["tenant"])
        query = request.query
        if "collection" not in query or "id" not in query:
            raise AdminError(400, "Give the object as query parameters: ?collection=...&id=...")
        self.sim.model.delete_raw(tenant.id, query["collection"], query["id"])
        return web.Response(status=204)

    async def list_apps(self, _: web.Request) -> web.Response:
        return web.json_response([app.to_json() for app in self.sim.directory.apps.values()])

    async def register_app(self, request: web.Request) -> web.Response:
        """Register an app with a generated secret, a generated certificate, or a given certificate PEM."""
        body = await _json(request, default={})
        certificate = _field(body, "certificate", bool, default=False)
        certificate_pem = _field(body, "certificate_pem", str, default=None)
        wants_secret = _field(body, "secret", bool, default=not (certificate or certificate_pem))
        required = _field(body, "required_roles", list, default=[])
        if not all(isinstance(role, str) for role in required):
            raise AdminError(
                400, "'required_roles' must be a list of permission names such as Group.Read.All."
            )
        app = self.sim.directory.add_app(
            _field(body, "name", str, default="graphsim app"), _field(body, "client_id", str, default=None)
        )
        app.required_roles = frozenset(required)
        answer: dict[str, Any] = {"client_id": app.client_id, "name": app.name}
        if wants_secret:
            answer["client_secret"] = self.sim.directory.add_secret(app.client_id)
        if certificate_pem is not None:
            try:
                cert = app_certificate_from_pem(certificate_pem.encode())
            except ValueError as exc:
                raise AdminError(400, f"'certificate_pem' is not a usable PEM certificate: {exc}") from None
            app.certificates.append(cert)
            answer["thumbprint"] = cert.thumbprint
        elif certificate:
            cert = make_app_certificate(app.name)
            app.certificates.append(cert)
            answer.update(
                certificate_pem=cert.cert_pem.decode(),
                private_key_pem=cert.key_pem.decode(),
                thumbprint=cert.thumbprint,
            )
        return web.json_response(answer, status=201)

    async def add_certificate(self, request: web.Request) -> web.Response:
        """Another certificate for an app (a rotation: the old one stays until removed)."""
        app = self.sim.directory.app(request.match_info["client_id"])
        pem = _field(await _json(request), "certificate_pem", str)
        try:
            cert = app_certificate_from_pem(pem.encode())
        except ValueError as exc:
            raise AdminError(400, f"'certificate_pem' is not a usable PEM certificate: {exc}") from None
        app.certificates.append(cert)
        return web.json_response({"client_id": app.client_id, "thumbprint": cert.thumbprint}, status=201)

    async def remove_certificate(self, request: web.Request) -> web.Response:
        app = self.sim.directory.app(request.match_info["client_id"])
        thumbprint = request.match_info["thumbprint"].upper()
        kept = [cert for cert in app.certificates if cert.thumbprint != thumbprint]
        if len(kept) == len(app.certificates):
            raise UnknownEntity(f"App '{app.client_id}' has no certificate with thumbprint {thumbprint}.")
        app.certificates[:] = kept
        return web.Response(status=204)

    async def new_secret(self, request: web.Request) -> web.Response:
        """A new client secret; `{"replace": true}` removes the app's other secrets (a finished rotation)."""
        app = self.sim.directory.app(request.match_info["client_id"])
        replace = _field(await _json(request, default={}), "replace", bool, default=False)
        if replace:
            app.secrets.clear()
        secret = self.sim.directory.add_secret(app.client_id)
        return web.json_response({"client_id": app.client_id, "client_secret": secret}, status=201)

    async def set_federated_credential(self, request: web.Request) -> web.Response:
        body = await _json(request)
        audiences = _field(body, "audiences", list)
        if not audiences or not all(isinstance(audience, str) for audience in audiences):
            raise AdminError(
                400, "'audiences' must be a non-empty list of strings, e.g. [\"api://AzureADTokenExchange\"]."
            )
        credential = FederatedCredential(
            request.match_info["name"],
            _field(body, "issuer", str),
            _field(body, "subject", str),
            tuple(audiences),
        )
        self.sim.directory.set_federated_credential(request.match_info["client_id"], credential)
        return web.json_response(credential.to_json())

    async def remove_federated_credential(self, request: web.Request) -> web.Response:
        self.sim.directory.remove_federated_credential(
            request.match_info["client_id"], request.match_info["name"]
        )
        return web.Response(status=204)

    async def list_identities(self, _: web.Request) -> web.Response:
        return web.json_response([identity.to_json() for identity in self.sim.directory.identities.values()])

    async def add_identity(self, request: web.Request) -> web.Response:
        body = await _json(request, default={})
        identity = self.sim.directory.add_identity(
            _field(body, "name", str, default="graphsim identity"),
            _field(body, "client_id", str, default=None),
            _field(body, "object_id", str, default=None),
        )
        return web.json_response(identity.to_json(), status=201)

    async def read_log(self, request: web.Request) -> web.Response:
        return web.json_response(self.sim.log.query(request.query))

    async def clear_log(self, _: web.Request) -> web.Response:
        self.sim.log.clear()
        return web.Response(status=204)

    async def counters(self, _: web.Request) -> web.Response:
        return web.json_response(
            {
                "requests": self.sim.log.counters(),
                "throttle_limits": self.sim.throttler.limits(),
                "fault_rule_matches": self.sim.faults.rule_matches(),
            }
        )


def _check_seed(seed: Any) -> str | tuple[int, int]:
    """`none` (no objects), `defaults` (Intune's built-ins) or `{"objects": N, "seed": S}` (MSP data)."""
    if seed in ("none", "defaults"):
        return str(seed)
    if isinstance(seed, Mapping) and set(seed) <= {"objects", "seed"}:
        objects, number = seed.get("objects"), seed.get("seed", 1)
        if isinstance(objects, int) and isinstance(number, int) and objects >= 0:
            return objects, number
    raise AdminError(400, """'seed' must be "none", "defaults" or {"objects": N, "seed": S}.""")


def seed_tenant(sim: Simulator, tenant_id: str, seed: str | tuple[int, int]) -> None:
    if seed == "none":
        sim.model.ensure_tenant(tenant_id)
    elif seed == "defaults":
        sim.model.populate_defaults(tenant_id)
    elif isinstance(seed, tuple):
        sim.model.populate_tenant(tenant_id, *seed)


def admin_error(status: int, message: str) -> web.Response:
    code = {400: "BadRequest", 401: "Unauthorized", 404: "NotFound"}.get(status, "Error")
    return web.json_response({"error": {"code": code, "message": message}}, status=status)


async def _json(request: web.Request, default: Any = None) -> Any:
    raw = await request.read()
    if not raw.strip():
        if default is None:
            raise AdminError(400, "This admin call needs a JSON body.")
        return default
    try:
        body = json.loads(raw)
    except ValueError as exc:
        raise AdminError(400, f"The body is not valid JSON: {exc}.") from None
    if not isinstance(body, dict):
        raise AdminError(400, "The body must be a JSON object.")
    return body


_MISSING = object()


def _field(body: Mapping[str, Any], name: str, kind: type, default: Any = _MISSING) -> Any:
    if name not in body or body[name] is None:
        if default is _MISSING:
            raise AdminError(400, f"'{name}' is required.")
        return default
    value = body[name]
    if not isinstance(value, kind) or (kind is not bool and isinstance(value, bool)):
        raise AdminError(400, f"'{name}' must be a {kind.__name__}.")
    return value
