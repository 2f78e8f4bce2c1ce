"""A Graph client for one managed tenant, from settings and the tenant's credential reference.

The tenant record names its cloud and a credential reference; the secret itself comes from the
configuration (GRAPH_CREDENTIAL__* locally), so no secret ever sits in a tenant record.
"""

from __future__ import annotations

from shared.config.errors import ConfigurationError
from shared.config.settings import Settings
from shared.graph import GraphClient, GraphClientConfig
from shared.graph.budget import shared_budget
from shared.graph.credentials import GraphAppCredential
from shared.storage import names, worker_account
from shared.tenants import Tenant


def graph_config_for(settings: Settings, tenant: Tenant, *, read_only: bool = False) -> GraphClientConfig:
    """The client configuration for `tenant`; ConfigurationError names the missing credential."""
    endpoints = settings.graph.cloud(tenant.cloud)
    app = _credential(settings, tenant.credential_ref)
    return GraphClientConfig(
        graph_base_url=endpoints.graph_base_url,
        login_base_url=endpoints.login_base_url,
        tenant_id=tenant.tenant_id,
        client_id=app.client_id,
        credential=app.credential,
        ca_bundle=settings.graph.ca_bundle,
        read_only=read_only,
        pacing=settings.graph.pacing,
    )


def graph_client_for(settings: Settings, tenant: Tenant, *, read_only: bool = False) -> GraphClient:
    """A client whose tokens and connections are the worker's (shared per app and tenant), paced
    against the Graph budget every instance shares unless the settings pace each process alone."""
    config = graph_config_for(settings, tenant, read_only=read_only)
    pacing = config.pacing
    if not (pacing.enabled and pacing.shared):
        return GraphClient(config)
    table = worker_account(settings.storage.config).table(names.GRAPH_BUDGET)
    budget = shared_budget(table, config.graph_base_url, config.tenant_id, config.client_id, pacing)
    return GraphClient(config, pacer=budget)


def _credential(settings: Settings, credential_ref: str) -> GraphAppCredential:
    local = settings.graph.local_credentials.get(credential_ref)
    if local is not None:
        return local
    variable = f"GRAPH_CREDENTIAL__{credential_ref.upper().replace('-', '_')}__CLIENT_ID"
    raise ConfigurationError(
        variable,
        f"no Graph credential named {credential_ref!r} is configured; set {variable} and its "
        "__CLIENT_SECRET or __CERTIFICATE_PATH (Key Vault credentials are not wired yet).",
    )
