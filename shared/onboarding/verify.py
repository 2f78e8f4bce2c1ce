"""Is a managed tenant ready? A fresh token (AADSTS700016: consent missing), its `roles` against what
each capability needs (`permissions`), and one Graph probe; the outcome is the tenant's health.

The token is fetched now, not from MSAL's cache: a token cached before the customer's admin changed
the consent would carry the old permissions. Any failure is an outcome, never an exception: an
unreadable credential or a Graph that does not answer is `unreachable`, with the reason.
"""

from __future__ import annotations

import dataclasses
import logging
from datetime import UTC, datetime

import jwt
import requests

from shared.config.errors import ConfigurationError
from shared.config.settings import Settings
from shared.graph import GraphAuthError, GraphClient, GraphError, GraphForbidden, RetryPolicy
from shared.graph.auth import shared_token_provider
from shared.graph.tenant_clients import graph_config_for
from shared.onboarding.permissions import assess
from shared.redact import redact
from shared.tenants import HealthStatus, Tenant, TenantHealth, TenantStatus

logger = logging.getLogger(__name__)

CONSENT_MISSING_AADSTS = "AADSTS700016"
PROBE_PATH = "/deviceManagement/deviceConfigurations"
_PROBE_RETRY = RetryPolicy(max_attempts=2, base_delay=0.5, max_delay=2.0, max_total_wait=5.0)
"""A verification answers within seconds: a probe that keeps failing is `unreachable`, not retried long."""


def verify_tenant(settings: Settings, tenant: Tenant) -> TenantHealth:
    """The tenant's health as of now; never raises for what the tenant or Graph answer."""
    now = datetime.now(UTC)
    if tenant.status is TenantStatus.DISABLED:
        return TenantHealth(HealthStatus.DISABLED, now, detail="The tenant is disabled; enable it to verify.")
    try:
        config = dataclasses.replace(graph_config_for(settings, tenant), retry=_PROBE_RETRY)
    except ConfigurationError as exc:
        return TenantHealth(
            HealthStatus.UNREACHABLE, now, detail=f"Credential not configured: {exc.setting}."
        )
    tokens = shared_token_provider(config)
    try:
        token = tokens.fresh_token()
    except GraphAuthError as exc:
        if exc.aadsts == CONSENT_MISSING_AADSTS:
            return TenantHealth(
                HealthStatus.CONSENT_MISSING,
                now,
                detail=f"{CONSENT_MISSING_AADSTS}: the app is not consented in the tenant; send the consent "
                "link.",
            )
        return TenantHealth(HealthStatus.UNREACHABLE, now, detail=_reason("No token", exc))
    except (GraphError, requests.RequestException) as exc:
        return TenantHealth(HealthStatus.UNREACHABLE, now, detail=_reason("No token", exc))
    capabilities, missing = assess(_roles_of(token))
    try:
        GraphClient(config, token_provider=tokens).get(PROBE_PATH, params={"$top": "1", "$select": "id"})
    except GraphForbidden as exc:
        return TenantHealth(
            HealthStatus.PERMISSIONS_MISSING,
            now,
            missing or ("DeviceManagementConfiguration.Read.All",),
            _reason("Graph refused the probe", exc),
            capabilities,
        )
    except (GraphError, requests.RequestException) as exc:
        return TenantHealth(
            HealthStatus.UNREACHABLE, now, missing, _reason("Graph probe failed", exc), capabilities
        )
    if missing:
        return TenantHealth(
            HealthStatus.PERMISSIONS_MISSING,
            now,
            missing,
            "Consented without some permissions; ask the customer's admin to consent again.",
            capabilities,
        )
    return TenantHealth(HealthStatus.HEALTHY, now, (), None, capabilities)


def _roles_of(token: str) -> frozenset[str]:
    """The application permissions in our own, just-issued Graph token (its signature is Graph's to check)."""
    claims = jwt.decode(token, options={"verify_signature": False})
    roles = claims.get("roles")
    return frozenset(r for r in roles if isinstance(r, str)) if isinstance(roles, list) else frozenset()


def _reason(what: str, exc: Exception) -> str:
    if isinstance(exc, GraphAuthError) and exc.aadsts:
        return redact(f"{what}: {exc.aadsts} {exc.message}")[:500]
    if isinstance(exc, GraphError):
        return redact(f"{what}: {exc.code or exc.status or type(exc).__name__}: {exc.message}")[:500]
    return f"{what}: {type(exc).__name__}"
