"""A Graph client for one managed tenant, from settings and the tenant's credential reference.

The tenant record names its cloud and a credential reference; the reference's settings say which
app registration and where its credential comes from (`shared.graph.credentials`): a managed
identity (federation), Key Vault, or a value given in the settings. No secret ever sits in a tenant
record.
"""

from __future__ import annotations

from shared.config.errors import ConfigurationError
from shared.config.settings import Settings
from shared.graph import GraphClient, GraphClientConfig
from shared.graph.budget import shared_budget
from shared.graph.credential_sources import IdentityConfig, source_for
from shared.graph.credentials import CredentialSpec
from shared.storage import names, worker_account
from shared.tenants import Tenant


def graph_config_for(settings: Settings, tenant: Tenant, *, read_only: bool = False) -> GraphClientConfig:
    """The client configuration for `tenant`; ConfigurationError names the missing credential."""
    endpoints = settings.graph.cloud(tenant.cloud)
    spec = credential_spec(settings, tenant.credential_ref)
    credential = source_for(
        spec,
        vault_uri=settings.graph.key_vault_uri,
        identity=IdentityConfig(settings.graph.managed_identity_client_id, settings.graph.ca_bundle),
        refresh_seconds=settings.graph.key_vault_refresh_seconds,
    )
    return GraphClientConfig(
        graph_base_url=endpoints.graph_base_url,
        login_base_url=endpoints.login_base_url,
        tenant_id=tenant.tenant_id,
        client_id=spec.client_id,
        credential=credential,
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


def credential_spec(settings: Settings, credential_ref: str) -> CredentialSpec:
    """What the reference names; ConfigurationError when no GRAPH_CREDENTIAL__<REF>__* settings define it."""
    spec = settings.graph.credentials.get(credential_ref)
    if spec is not None:
        return spec
    variable = f"GRAPH_CREDENTIAL__{credential_ref.upper().replace('-', '_')}__CLIENT_ID"
    raise ConfigurationError(
        variable,
        f"no Graph credential named {credential_ref!r} is configured; set {variable} and one of "
        "__MANAGED_IDENTITY_CLIENT_ID, __KEY_VAULT_CERTIFICATE, __KEY_VAULT_SECRET, __CLIENT_SECRET "
        "or __CERTIFICATE_PATH.",
    )
