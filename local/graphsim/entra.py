"""The Entra side: OpenID discovery, JWKS, admin consent and the v2.0 token endpoint for client
credentials.

Unmodified MSAL must work against it, so discovery carries the fields MSAL reads
(`authorization_endpoint`, `token_endpoint`, `issuer`), and errors come in Entra's shape with the
AADSTS codes an MSP meets during onboarding (700016: not consented; 7000215: wrong secret; 70021x: no
federated credential matches the managed identity token sent as the client assertion).
"""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

import jwt
from aiohttp import web

from local.graphsim.directory import App, Tenant
from local.graphsim.requestlog import LogEntry
from local.graphsim.simulator import Simulator, new_request_id
from local.graphsim.tokens import GRAPH_AUDIENCE

_ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
_GRAPH_SCOPES = frozenset(
    {"https://graph.microsoft.com/.default", "00000003-0000-0000-c000-000000000000/.default"}
)
_RESERVED_SCOPES = frozenset({"openid", "profile", "offline_access"})


class EntraError(Exception):
    """A token request Entra refuses; carries the HTTP status, OAuth error and AADSTS number."""

    def __init__(self, status: int, error: str, aadsts: int, description: str) -> None:
        super().__init__(description)
        self.status, self.error, self.aadsts, self.description = status, error, aadsts, description


class EntraHandlers:
    def __init__(self, sim: Simulator) -> None:
        self.sim = sim

    async def openid_configuration(self, request: web.Request) -> web.Response:
        base = f"https://{request.host}"
        tenant = self.sim.directory.find_tenant(request.match_info["tenant"])
        if tenant is None:
            return _error_response(base, _unknown_tenant(request.match_info["tenant"]))
        tid = tenant.id
        return web.json_response(
            {
                "token_endpoint": f"{base}/{tid}/oauth2/v2.0/token",
                "token_endpoint_auth_methods_supported": [
                    "client_secret_post",
                    "private_key_jwt",
                ],
                "jwks_uri": f"{base}/{tid}/discovery/v2.0/keys",
                "response_modes_supported": ["query", "fragment", "form_post"],
                "subject_types_supported": ["pairwise"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
                "scopes_supported": ["openid", "profile", "email", "offline_access"],
                "issuer": f"{base}/{tid}/v2.0",
                "request_uri_parameter_supported": False,
                "authorization_endpoint": f"{base}/{tid}/oauth2/v2.0/authorize",
                "device_authorization_endpoint": f"{base}/{tid}/oauth2/v2.0/devicecode",
                "end_session_endpoint": f"{base}/{tid}/oauth2/v2.0/logout",
                "tenant_region_scope": "EU",
                "cloud_instance_name": "microsoftonline.com",
                "cloud_graph_host_name": "graph.windows.net",
                "msgraph_host": request.host,
            }
        )

    async def keys(self, request: web.Request) -> web.Response:
        if self.sim.directory.find_tenant(request.match_info["tenant"]) is None:
            return _error_response(f"https://{request.host}", _unknown_tenant(request.match_info["tenant"]))
        return web.json_response(self.sim.tokens.jwks)

    async def admin_consent(self, request: web.Request) -> web.Response:
        """`GET /{tenant}/adminconsent?client_id=...`: the link an MSP sends a customer's Global Admin.

        Following it stands for the administrator signing in and accepting: the app is consented in the
        tenant with the permissions its registration requests, and the browser goes to `redirect_uri`
        (when given) with `admin_consent=True`, `tenant` and `state`, as Entra sends it.
        """
        base = f"https://{request.host}"
        tenant = self.sim.directory.find_tenant(request.match_info["tenant"])
        client_id = request.query.get("client_id", "").lower()
        try:
            if tenant is None:
                raise _unknown_tenant(request.match_info["tenant"])
            if not client_id:
                raise _missing("client_id")
            app = self.sim.directory.apps.get(client_id)
            if app is None:
                raise EntraError(
                    400,
                    "unauthorized_client",
                    700016,
                    f"Application with identifier '{client_id}' was not found in the directory "
                    f"'{tenant.name}'.",
                )
        except EntraError as exc:
            self._log(request, tenant, client_id, exc.status, kind="consent")
            return _error_response(base, exc)
        self.sim.directory.consent(tenant.id, app.client_id, app.required_roles)
        self._log(request, tenant, client_id, 200, kind="consent")
        answer = {"admin_consent": "True", "tenant": tenant.id, "state": request.query.get("state", "")}
        redirect = request.query.get("redirect_uri")
        if redirect:
            separator = "&" if "?" in redirect else "?"
            raise web.HTTPFound(f"{redirect}{separator}{urlencode(answer)}")
        return web.json_response({**answer, "client_id": app.client_id, "roles": sorted(app.required_roles)})

    async def token(self, request: web.Request) -> web.Response:
        base = f"https://{request.host}"
        form = await request.post()
        fields = {key: value for key, value in form.items() if isinstance(value, str)}
        client_id = fields.get("client_id", "").lower()
        tenant = self.sim.directory.find_tenant(request.match_info["tenant"])
        method = _credential_kind(fields, self.sim)
        try:
            if tenant is None:
                raise _unknown_tenant(request.match_info["tenant"])
            app, roles, audience = self._authenticate(base, request.match_info["tenant"], tenant, fields)
            issued = self.sim.tokens.issue(
                tenant.id,
                app.client_id,
                app.name,
                roles,
                (self.sim.config.tokens.lifetime_min_seconds, self.sim.config.tokens.lifetime_max_seconds),
                audience,
            )
        except EntraError as exc:
            self._log(request, tenant, client_id, exc.status, credential=method)
            return _error_response(base, exc)
        self._log(request, tenant, client_id, 200, credential=method)
        return web.json_response(
            {
                "token_type": "Bearer",
                "expires_in": issued.expires_in,
                "ext_expires_in": issued.expires_in,
                "access_token": issued.access_token,
            }
        )

    def _authenticate(
        self, base: str, segment: str, tenant: Tenant, fields: dict[str, str]
    ) -> tuple[App, frozenset[str], str]:
        grant_type = fields.get("grant_type")
        if grant_type != "client_credentials":
            raise EntraError(
                400,
                "unsupported_grant_type",
                70003,
                f"The app requested an unsupported grant type '{grant_type}'.",
            )
        for name in ("client_id", "scope"):
            if not fields.get(name):
                raise _missing(name)
        audience = _audience(fields["scope"], tenant, base)
        client_id = fields["client_id"].lower()
        app = self.sim.directory.apps.get(client_id)
        roles = self.sim.directory.roles(tenant.id, client_id)
        if app is None or roles is None:
            raise EntraError(
                400,
                "unauthorized_client",
                700016,
                (
                    f"Application with identifier '{client_id}' was not found in the directory "
                    f"'{tenant.name}'. "
                    "This can happen if the application has not been installed by the administrator of the "
                    "tenant or consented to by any user in the tenant. You may have sent your authentication "
                    "request to the wrong tenant."
                ),
            )
        if "client_secret" in fields:
            if not app.secret_matches(fields["client_secret"]):
                raise EntraError(
                    401,
                    "invalid_client",
                    7000215,
                    (
                        "Invalid client secret provided. Ensure the secret being sent in the request is the "
                        "client secret value, not the client secret ID, for a secret added to app "
                        f"'{client_id}'."
                    ),
                )
        elif "client_assertion" in fields and self.sim.tokens.signed_here(fields["client_assertion"]):
            self._verify_federated_assertion(base, app, fields)
        elif "client_assertion" in fields:
            audiences = [f"{base}/{name}/oauth2/v2.0/token" for name in {segment, tenant.id, tenant.domain}]
            _verify_assertion(app, fields, audiences)
        else:
            raise EntraError(
                401,
                "invalid_client",
                7000218,
                (
                    "The request body must contain the following parameter: "
                    "'client_assertion' or 'client_secret'."
                ),
            )
        return app, roles, audience

    def _verify_federated_assertion(self, base: str, app: App, fields: dict[str, str]) -> None:
        """A token graphsim issued (a managed identity's) as the client assertion: it stands for the app
        only when one of the app's federated credentials names its issuer, subject and audience."""
        if fields.get("client_assertion_type") != _ASSERTION_TYPE:
            raise EntraError(
                400, "invalid_request", 50027, f"client_assertion_type must be '{_ASSERTION_TYPE}'."
            )
        audiences = sorted({a for fic in app.federated_credentials.values() for a in fic.audiences})
        try:
            claims = self.sim.tokens.decode_own(fields["client_assertion"], audiences or ["(none)"])
        except jwt.ExpiredSignatureError:
            raise EntraError(
                401, "invalid_client", 700024, "Client assertion is not within its valid time range."
            ) from None
        except jwt.InvalidAudienceError:
            raise EntraError(
                401,
                "invalid_client",
                700212,
                f"No matching federated identity record found for presented assertion audience. "
                f"Please note that the matching is done using a case-sensitive comparison. Check your "
                f"federated identity credential Audience for app '{app.client_id}'.",
            ) from None
        except jwt.InvalidTokenError as exc:
            raise EntraError(401, "invalid_client", 700027, f"Client assertion is invalid: {exc}.") from None
        issuer, subject = str(claims["iss"]), str(claims["sub"])
        audience = claims["aud"] if isinstance(claims["aud"], str) else next(iter(claims["aud"]), "")
        fics = app.federated_credentials.values()
        if not any(fic.issuer == issuer for fic in fics):
            raise EntraError(
                401,
                "invalid_client",
                700211,
                f"No matching federated identity record found for presented assertion issuer '{issuer}'.",
            )
        if app.federated_match(issuer, subject, audience) is None:
            raise EntraError(
                401,
                "invalid_client",
                700213,
                f"No matching federated identity record found for presented assertion subject '{subject}'.",
            )

    def _log(
        self,
        request: web.Request,
        tenant: Tenant | None,
        client_id: str,
        status: int,
        *,
        kind: str = "token",
        credential: str | None = None,
    ) -> None:
        self.sim.log.record(
            LogEntry(
                time.time(),
                kind,
                tenant.id if tenant else None,
                client_id or None,
                request.method,
                request.path,
                status,
                False,
                None,
                False,
                new_request_id(),
                credential,
            )
        )


def _credential_kind(fields: dict[str, str], sim: Simulator) -> str | None:
    """How a token request authenticates, for the request log: secret, certificate or federated."""
    if "client_secret" in fields:
        return "secret"
    if "client_assertion" in fields:
        return "federated" if sim.tokens.signed_here(fields["client_assertion"]) else "certificate"
    return None


def _audience(scope: str, tenant: Tenant, base: str) -> str:
    """The token audience for a `.default` scope: Graph's public one, or graphsim's own URL."""
    requested = set(scope.split()) - _RESERVED_SCOPES
    if len(requested) != 1 or not next(iter(requested)).endswith("/.default"):
        raise EntraError(
            400,
            "invalid_scope",
            1002012,
            (
                f"The provided value for scope {scope} is not valid. Client credential flows must have a "
                "scope value with /.default suffixed to the resource identifier (application ID URI)."
            ),
        )
    resource = next(iter(requested))
    if resource == f"{base}/.default":
        return base
    if resource not in _GRAPH_SCOPES:
        raise EntraError(
            400,
            "invalid_resource",
            500011,
            (
                f"The resource principal named {resource.removesuffix('/.default')} was not found in the "
                f"tenant named {tenant.name}. This simulator issues tokens for Microsoft Graph only."
            ),
        )
    return GRAPH_AUDIENCE


def _verify_assertion(app: App, fields: dict[str, str], audiences: list[str]) -> None:
    """Check a certificate-signed client assertion as Entra does: key, signature, audience, time, iss/sub."""
    if fields.get("client_assertion_type") != _ASSERTION_TYPE:
        raise EntraError(400, "invalid_request", 50027, f"client_assertion_type must be '{_ASSERTION_TYPE}'.")
    assertion = fields["client_assertion"]
    try:
        header = jwt.get_unverified_header(assertion)
    except jwt.DecodeError:
        raise EntraError(401, "invalid_client", 700027, "Client assertion is not a JWT.") from None
    cert = app.certificate_for(header.get("x5t"), header.get("x5t#S256"))
    if cert is None:
        thumbprint = header.get("x5t#S256") or header.get("x5t")
        raise EntraError(
            401,
            "invalid_client",
            700027,
            (
                "The certificate with identifier used to sign the client assertion is not registered on "
                "application. [Reason - The key was not found., Thumbprint of key used by client: "
                f"'{thumbprint}']"
            ),
        )
    try:
        claims: dict[str, Any] = jwt.decode(
            assertion,
            cert.public_key,
            algorithms=["RS256", "PS256"],
            audience=audiences,
            options={"require": ["exp", "aud", "iss", "sub"]},
            leeway=300,
        )
    except jwt.ExpiredSignatureError:
        raise EntraError(
            401, "invalid_client", 700024, "Client assertion is not within its valid time range."
        ) from None
    except jwt.InvalidAudienceError:
        raise EntraError(
            401,
            "invalid_client",
            700027,
            (
                "Client assertion audience claim does not match the token endpoint; "
                f"expected one of {audiences}."
            ),
        ) from None
    except jwt.InvalidTokenError as exc:
        raise EntraError(401, "invalid_client", 700027, f"Client assertion is invalid: {exc}.") from None
    if claims.get("iss", "").lower() != app.client_id or claims.get("sub", "").lower() != app.client_id:
        raise EntraError(
            401,
            "invalid_client",
            700021,
            ("Client assertion application identifier doesn't match 'client_id' parameter."),
        )


def _missing(name: str) -> EntraError:
    return EntraError(
        400, "invalid_request", 900144, f"The request body must contain the following parameter: '{name}'."
    )


def _unknown_tenant(segment: str) -> EntraError:
    return EntraError(
        400,
        "invalid_request",
        90002,
        (
            f"Tenant '{segment}' not found. Check to make sure you have the correct tenant ID and are "
            "signing into the correct cloud."
        ),
    )


def _error_response(base: str, exc: EntraError) -> web.Response:
    trace_id, correlation_id = str(uuid.uuid4()), str(uuid.uuid4())
    stamp = datetime.now(UTC)
    timestamp = stamp.strftime("%Y-%m-%d %H:%M:%SZ")
    description = (
        f"AADSTS{exc.aadsts}: {exc.description} Trace ID: {trace_id} Correlation ID: {correlation_id} "
        f"Timestamp: {stamp.strftime('%Y-%m-%d %H:%M:%S')}Z"
    )
    return web.json_response(
        {
            "error": exc.error,
            "error_description": description,
            "error_codes": [exc.aadsts],
            "timestamp": timestamp,
            "trace_id": trace_id,
            "correlation_id": correlation_id,
            "error_uri": f"{base}/error?code={exc.aadsts}",
        },
        status=exc.status,
    )
