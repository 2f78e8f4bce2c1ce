"""The managed identity endpoint as App Service and Azure Functions expose it to the app.

The platform sets `IDENTITY_ENDPOINT` and `IDENTITY_HEADER` in the app's environment; a token is
`GET {IDENTITY_ENDPOINT}?api-version=2019-08-01&resource=...&client_id=...` with the header value in
`X-IDENTITY-HEADER`. The answer is App Service's shape (`expires_on` in epoch seconds, as a string),
which azure-identity and MSAL's `ManagedIdentityClient` read unmodified. Tokens are signed with the
same key as every other graphsim token: issued by the MSP's own tenant, `sub` the identity's object
ID, so an app's federated credential can trust them.
"""

from __future__ import annotations

import hmac
import time
import uuid
from typing import TYPE_CHECKING, Any

from aiohttp import web

from local.graphsim.directory import ManagedIdentity
from local.graphsim.requestlog import LogEntry

if TYPE_CHECKING:
    from local.graphsim.simulator import Simulator

IDENTITY_PATH = "/msi/token"
IDENTITY_API_VERSION = "2019-08-01"
MSP_TENANT_ID = str(uuid.uuid5(uuid.NAMESPACE_URL, "https://graphsim.invalid/msp-home-tenant"))
"""The MSP's own Entra tenant, where its Azure resources and their managed identities live."""
TOKEN_EXCHANGE_AUDIENCE = "api://AzureADTokenExchange"  # noqa: S105 - an audience, not a secret
"""The audience of a managed identity token used as a client assertion (workload identity federation)."""
_IDENTITY_LIFETIME = 24 * 3600
"""Managed identity tokens live about a day on Azure; azure-identity refreshes them before the end."""


IDENTITY_ISSUER = f"https://login.microsoftonline.com/{MSP_TENANT_ID}/v2.0"
"""The `iss` of managed identity tokens, Entra's own v2.0 issuer of the MSP tenant (graphsim's Graph
tokens carry Entra's issuer too): a federated credential names exactly this."""


class IdentityEndpoint:
    """`GET /msi/token`: tokens for the managed identities of the directory, guarded by the header secret."""

    def __init__(self, sim: Simulator, header_secret: str) -> None:
        self.sim = sim
        self._secret = header_secret.encode()

    async def token(self, request: web.Request) -> web.Response:
        given = request.headers.get("X-IDENTITY-HEADER", "").encode()
        if not hmac.compare_digest(given, self._secret):
            return self._refuse(request, None, 401, "The X-IDENTITY-HEADER is missing or wrong.")
        query = request.query
        if query.get("api-version") != IDENTITY_API_VERSION:
            return self._refuse(request, None, 400, f"api-version must be {IDENTITY_API_VERSION}.")
        resource = query.get("resource", "")
        if not resource:
            return self._refuse(request, None, 400, "The 'resource' query parameter is required.")
        identity = self._identity(query)
        if identity is None:
            return self._refuse(
                request, None, 400, "No managed identity found for specified ClientId/ResourceId/PrincipalId."
            )
        now = int(time.time())
        claims: dict[str, Any] = {
            "aud": resource,
            "iss": IDENTITY_ISSUER,
            "iat": now,
            "nbf": now,
            "exp": now + _IDENTITY_LIFETIME,
            "sub": identity.object_id,
            "oid": identity.object_id,
            "azp": identity.client_id,
            "appid": identity.client_id,
            "tid": MSP_TENANT_ID,
            "idtyp": "app",
            "xms_mirid": f"/subscriptions/graphsim/resourcegroups/graphsim/providers/"
            f"Microsoft.ManagedIdentity/userAssignedIdentities/{identity.name}",
            "ver": "2.0",
        }
        self._log(request, identity.client_id, 200)
        return web.json_response(
            {
                "access_token": self.sim.tokens.sign(claims),
                "expires_on": str(claims["exp"]),
                "resource": resource,
                "token_type": "Bearer",
                "client_id": identity.client_id,
            }
        )

    def _identity(self, query: Any) -> ManagedIdentity | None:
        """The identity the query names by `client_id` or `principal_id`; with neither, the only one."""
        identities = self.sim.directory.identities
        if query.get("client_id"):
            return self.sim.directory.identity(query["client_id"])
        if query.get("principal_id") or query.get("object_id"):
            wanted = (query.get("principal_id") or query.get("object_id")).lower()
            return next((i for i in identities.values() if i.object_id == wanted), None)
        return next(iter(identities.values())) if len(identities) == 1 else None

    def _refuse(self, request: web.Request, client_id: str | None, status: int, message: str) -> web.Response:
        self._log(request, client_id, status)
        return web.json_response({"statusCode": status, "message": message}, status=status)

    def _log(self, request: web.Request, client_id: str | None, status: int) -> None:
        self.sim.log.record(
            LogEntry(
                time.time(),
                "identity",
                MSP_TENANT_ID,
                client_id,
                request.method,
                request.path,
                status,
                False,
                None,
                False,
                str(uuid.uuid4()),
            )
        )
