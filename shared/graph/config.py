"""What a Graph client needs to know, handed in explicitly: the settings module builds it.

Cloud endpoints are data here, chosen by the tenant's cloud setting; code paths only ever use
the URLs of the config they were given, so a national cloud or the local simulator is a
configuration change, not a code change.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Protocol

from shared.graph.pacing import PacingPolicy
from shared.graph.retry import RetryPolicy


@dataclass(frozen=True)
class CloudEndpoints:
    """Graph and Entra login base URLs of one Microsoft cloud."""

    graph_base_url: str
    login_base_url: str


CLOUDS = MappingProxyType(
    {
        "public": CloudEndpoints("https://graph.microsoft.com", "https://login.microsoftonline.com"),
        "usgov": CloudEndpoints("https://graph.microsoft.us", "https://login.microsoftonline.us"),
        "usgov-dod": CloudEndpoints("https://dod-graph.microsoft.us", "https://login.microsoftonline.us"),
        "china": CloudEndpoints("https://microsoftgraph.chinacloudapi.cn", "https://login.chinacloudapi.cn"),
    }
)
"""Known clouds by the name a tenant record's `cloud` holds."""


def is_known_login_base(login_base_url: str) -> bool:
    """True for a Microsoft cloud's login host; anything else (the simulator) skips instance discovery."""
    return login_base_url.rstrip("/") in {cloud.login_base_url for cloud in CLOUDS.values()}


@dataclass(frozen=True)
class ClientSecret:
    """An app registration's client secret; never shown by repr."""

    value: str = field(repr=False)


@dataclass(frozen=True)
class ClientCertificate:
    """An app certificate: PEM private key, and its SHA-1 thumbprint (hex) or public PEM or both.

    With the public certificate MSAL signs with PS256 and sends the chain (`x5c`), which Subject
    Name/Issuer (SNI) registrations need; with only the thumbprint it signs RS256.
    """

    private_key_pem: str = field(repr=False)
    thumbprint: str | None = None
    public_certificate_pem: str | None = None

    def __post_init__(self) -> None:
        if not (self.thumbprint or self.public_certificate_pem):
            raise ValueError(
                "A certificate credential needs its SHA-1 thumbprint (hex) or its public certificate PEM."
            )


@dataclass(frozen=True)
class ClientAssertion:
    """A signed assertion fetched whenever MSAL needs one: workload identity federation, where a
    managed identity's token stands for the app. No secret exists; `source` names the identity."""

    fetch: Callable[[], str] = field(repr=False, compare=False)
    source: str


Credential = ClientSecret | ClientCertificate | ClientAssertion


class CredentialSource(Protocol):
    """Where an app's credential comes from when it may change while the worker runs (Key Vault).

    `current` is cheap (a cache) and may raise `GraphAuthError` or `GraphUnavailable` when the store
    cannot be read; `refresh` reads the store again at once (Entra refused the credential) and says
    whether the credential changed.
    """

    @property
    def name(self) -> str:
        """Stable, never secret: keys the worker's token caches."""
        ...

    def current(self) -> Credential: ...

    def refresh(self) -> bool: ...


@dataclass(frozen=True)
class Timeouts:
    """Seconds to connect and to wait for an answer; MSAL's token calls use the same."""

    connect: float = 5.0
    read: float = 60.0


@dataclass(frozen=True)
class GraphClientConfig:
    """One app acting in one tenant against one cloud (or the simulator)."""

    graph_base_url: str
    login_base_url: str
    tenant_id: str
    client_id: str
    credential: Credential | CredentialSource
    """A fixed credential, or a source the token provider asks for the current one."""
    ca_bundle: str | None = None
    """A CA file to trust instead of the system's (the simulator's CA); the environment never overrides it."""
    timeouts: Timeouts = field(default_factory=Timeouts)
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    pacing: PacingPolicy = field(default_factory=PacingPolicy)
    """Client-side share of Graph's per-app-per-tenant budget (see `shared.graph.pacing`)."""
    read_only: bool = False
    """Refuse every request but GET, inside `$batch` too, before anything is sent (restore previews)."""
    graph_resource: str | None = None
    """Application ID URI tokens are asked for; by default `graph_base_url`, which is right for every
    Microsoft cloud. A simulator on another host needs the public Graph's (`https://graph.microsoft.com`)."""

    @property
    def authority(self) -> str:
        return f"{self.login_base_url.rstrip('/')}/{self.tenant_id}"

    @property
    def token_scope(self) -> str:
        return f"{(self.graph_resource or self.graph_base_url).rstrip('/')}/.default"
