"""App-only Graph tokens through MSAL, with one MSAL app per (authority, app, credential) per worker.

MSAL's token cache lives in its app object, so apps are kept for the life of the worker:
a token is fetched once per hour or so per tenant, not once per activity. Each app gets the
worker's own `requests.Session` (CA trust from the config, never from REQUESTS_CA_BUNDLE),
and the Graph client sends its requests through that same session.

A credential that can change while the worker runs (a certificate or secret in Key Vault) comes
from a `CredentialSource`: the provider asks it for the current credential before each token
request and builds a new MSAL app when it changed; when Entra refuses the credential, the source
reads its store again at once and the request is tried once more, so a rotation is picked up
without a restart. A federated credential is a `ClientAssertion`: MSAL calls it for a managed
identity token whenever it needs a Graph token.
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections.abc import Mapping
from typing import Any

import msal
import requests
from azure.core.exceptions import AzureError
from requests.adapters import HTTPAdapter

from shared.graph.config import (
    ClientAssertion,
    ClientCertificate,
    ClientSecret,
    Credential,
    CredentialSource,
    GraphClientConfig,
    Timeouts,
    is_known_login_base,
)
from shared.graph.errors import GraphAuthError, GraphUnavailable

_AADSTS = re.compile(r"AADSTS\d+")
_TRANSIENT_TOKEN_ERRORS = frozenset({"temporarily_unavailable", "server_error"})
_REJECTED_CREDENTIAL = frozenset({"AADSTS7000215", "AADSTS7000222", "AADSTS700027", "AADSTS700024"})
"""Wrong or expired secret, unknown certificate, expired assertion: Entra refused the credential itself."""
_POOL_SIZE = 32
"""Connections kept per host: activities of one worker share the session from many threads."""


class _TimeoutSession(requests.Session):
    """A session that applies our timeouts to every call, MSAL's included (MSAL passes none)."""

    def __init__(self, timeouts: Timeouts) -> None:
        super().__init__()
        self._timeouts = (timeouts.connect, timeouts.read)

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", self._timeouts)
        return super().request(method, url, *args, **kwargs)


def new_session(ca_bundle: str | None, timeouts: Timeouts) -> requests.Session:
    """A session that trusts exactly `ca_bundle` (or the system CAs), whatever the environment says."""
    session = _TimeoutSession(timeouts)
    session.trust_env = False
    session.verify = ca_bundle or True
    adapter = HTTPAdapter(pool_connections=4, pool_maxsize=_POOL_SIZE, max_retries=0)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session


class FixedCredential:
    """A credential that never changes while the worker runs (settings, a file read at start)."""

    def __init__(self, credential: Credential) -> None:
        self._credential = credential
        self.name = "fixed:" + credential_fingerprint(credential)

    def current(self) -> Credential:
        return self._credential

    def refresh(self) -> bool:
        return False


def credential_source(credential: Credential | CredentialSource) -> CredentialSource:
    if isinstance(credential, ClientSecret | ClientCertificate | ClientAssertion):
        return FixedCredential(credential)
    return credential


class TokenProvider:
    """Access tokens for one app in one tenant, from MSAL's cache while they are valid."""

    def __init__(self, config: GraphClientConfig) -> None:
        self.session = new_session(config.ca_bundle, config.timeouts)
        self._config = config
        self._source = credential_source(config.credential)
        self._app: msal.ConfidentialClientApplication | None = None
        self._app_fingerprint: str | None = None
        self._lock = threading.Lock()
        self._acquiring = threading.Lock()
        """One token request at a time: activities fanned out at once would each fetch the same token."""

    def access_token(self) -> str:
        """A valid token; raises GraphAuthError (with the AADSTS code) or GraphUnavailable.

        When Entra refuses the credential and its source holds a newer one (a rotation), the
        request is made once more with it: newer than the one refused, whether this thread's
        refresh found it or another thread's refresh did while this request was under way.
        """
        used = credential_fingerprint(self._source.current())
        try:
            return self._acquire()
        except GraphAuthError as exc:
            if exc.aadsts not in _REJECTED_CREDENTIAL:
                raise
            refreshed = self._source.refresh()
            if not refreshed and credential_fingerprint(self._source.current()) == used:
                raise
        return self._acquire()

    def fresh_token(self) -> str:
        """A token fetched now, by a new MSAL app: its roles are the permissions consented today.

        A new app because the old one remembers more than tokens: MSAL answers an identical token
        request that failed with HTTP 400 (AADSTS700016, not consented) from its own cache for a
        minute, so a verification right after the customer's consent would still see it missing.
        """
        with self._lock:
            self._app = None
        return self.access_token()

    def invalidate(self, token: str) -> None:
        """Drop `token` from MSAL's cache (Graph said it expired) so the next call fetches a new one.

        Only that token goes: another thread may already have cached its replacement.
        """
        with self._lock:
            app = self._app
        if app is None:
            return
        cache = app.token_cache
        for entry in list(cache.search(msal.TokenCache.CredentialType.ACCESS_TOKEN)):
            if entry.get("secret") == token:
                cache.remove_at(entry)

    def _acquire(self) -> str:
        try:
            with self._acquiring:  # a cache hit holds it for microseconds; a miss makes the others wait
                result = self._msal_app().acquire_token_for_client(scopes=[self._config.token_scope])
        except AzureError as exc:
            # The federated assertion could not be fetched: no managed identity, or its endpoint failed.
            raise GraphAuthError(
                f"The managed identity token for the client assertion could not be obtained "
                f"({type(exc).__name__}): {str(exc).splitlines()[0] if str(exc) else 'no detail'}",
                code="managed_identity_unavailable",
            ) from None
        token = result.get("access_token") if isinstance(result, Mapping) else None
        if isinstance(token, str) and token:
            return token
        raise token_error(result if isinstance(result, Mapping) else {})

    def _msal_app(self) -> msal.ConfidentialClientApplication:
        """Built on first use (MSAL fetches the authority's OpenID configuration while constructing),
        and again when the source's credential changed (its tokens were issued to the old one)."""
        credential = self._source.current()
        fingerprint = credential_fingerprint(credential)
        with self._lock:
            if self._app is None or self._app_fingerprint != fingerprint:
                self._app = self._build_app(credential)
                self._app_fingerprint = fingerprint
            return self._app

    def _build_app(self, credential: Credential) -> msal.ConfidentialClientApplication:
        config = self._config
        try:
            return msal.ConfidentialClientApplication(
                config.client_id,
                client_credential=_msal_credential(credential),
                authority=config.authority,
                http_client=self.session,
                instance_discovery=None if is_known_login_base(config.login_base_url) else False,
            )
        except ValueError as exc:
            raise GraphAuthError(
                f"The login authority for tenant '{config.tenant_id}' could not be discovered: {exc}",
                code="authority_discovery_failed",
            ) from exc


def token_error(result: Mapping[str, Any]) -> GraphAuthError | GraphUnavailable:
    """The typed error for an MSAL/Entra error answer (`error`, `error_description`, ...)."""
    code = str(result.get("error") or "token_request_failed")
    description = str(result.get("error_description") or "Entra ID returned no access token.")
    fields: dict[str, Any] = {
        "code": code,
        "request_id": _optional_text(result.get("trace_id")),
        "client_request_id": _optional_text(result.get("correlation_id")),
    }
    if code in _TRANSIENT_TOKEN_ERRORS:
        return GraphUnavailable(description.splitlines()[0], retry_after=0.0, **fields)
    match = _AADSTS.search(description)
    return GraphAuthError(description.splitlines()[0], aadsts=match.group(0) if match else None, **fields)


_providers: dict[tuple[str, ...], TokenProvider] = {}
_providers_lock = threading.Lock()


def shared_token_provider(config: GraphClientConfig) -> TokenProvider:
    """The worker's provider for this app, tenant, authority, credential and CA; made on first use."""
    key = (
        config.authority.lower(),
        config.client_id.lower(),
        config.token_scope,
        credential_source(config.credential).name,
        config.ca_bundle or "",
        repr(config.timeouts),
    )
    with _providers_lock:
        provider = _providers.get(key)
        if provider is None:
            provider = _providers[key] = TokenProvider(config)
        return provider


def _msal_credential(credential: Credential) -> str | dict[str, Any]:
    if isinstance(credential, ClientSecret):
        return credential.value
    if isinstance(credential, ClientAssertion):
        return {"client_assertion": credential.fetch}
    certificate = {"private_key": credential.private_key_pem}
    if credential.thumbprint:
        certificate["thumbprint"] = credential.thumbprint
    if credential.public_certificate_pem:
        certificate["public_certificate"] = credential.public_certificate_pem
    return certificate


def credential_fingerprint(credential: Credential) -> str:
    """A digest: a rotated secret or certificate gets a new MSAL app, and no secret becomes a dict key."""
    if isinstance(credential, ClientCertificate):
        material = (
            f"cert:{credential.thumbprint}:{credential.public_certificate_pem}:{credential.private_key_pem}"
        )
    elif isinstance(credential, ClientAssertion):
        material = f"assertion:{credential.source}"
    else:
        material = f"secret:{credential.value}"
    return hashlib.sha256(material.encode()).hexdigest()


def _optional_text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None
