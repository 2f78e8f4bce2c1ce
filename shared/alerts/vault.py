"""Where a subscription's secrets live: one Key Vault secret per subscription holding its target URL
and signing secret, read with the app's managed identity like the Graph credentials are.

Values read are registered with the redaction, so neither the URL (a Teams Workflows URL is a
credential) nor the signing secret can reach a log. Read values are cached per worker: a
subscription's secrets never change (a new secret is a new subscription).
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass

from azure.core.exceptions import AzureError, ResourceNotFoundError

from shared.config.errors import ConfigurationError
from shared.config.settings import Settings
from shared.graph.credential_sources import IdentityConfig, VaultClients
from shared.http.problems import ProblemError
from shared.redact import register_secret_values


@dataclass(frozen=True)
class WebhookSecrets:
    url: str
    signing_secret: str


class VaultUnavailable(ProblemError):
    status = 503
    code = "webhook.vault_unavailable"
    title = "Key Vault, which keeps webhook secrets, did not answer."


class WebhookVault:
    """Put and read subscriptions' secrets (`webhook-<id>`) in the app's vault."""

    def __init__(self, clients: VaultClients) -> None:
        self._clients = clients
        self._cache: dict[str, WebhookSecrets] = {}
        self._lock = threading.Lock()

    def put(self, name: str, secrets: WebhookSecrets) -> None:
        register_secret_values([secrets.url, secrets.signing_secret])
        value = json.dumps({"url": secrets.url, "signingSecret": secrets.signing_secret})
        try:
            self._clients.secrets.set_secret(name, value, content_type="application/json")
        except AzureError as exc:
            raise VaultUnavailable(
                f"The webhook's secret could not be kept in Key Vault ({type(exc).__name__}); "
                "nothing was saved. Try again later."
            ) from None
        with self._lock:
            self._cache[name] = secrets

    def delete(self, name: str) -> bool:
        """Delete a subscription's secret (Key Vault keeps it soft-deleted for its retention, then
        purges it); True when it is gone or was never there, False when the vault did not answer.
        The deletion's poller is not waited for: the request returns once Key Vault accepted it."""
        with self._lock:
            self._cache.pop(name, None)
        try:
            self._clients.secrets.begin_delete_secret(name)
        except ResourceNotFoundError:
            return True
        except AzureError:
            return False
        return True

    def read(self, name: str) -> WebhookSecrets | None:
        """The secrets, or None when the vault has no such secret; AzureError when it cannot be read."""
        with self._lock:
            cached = self._cache.get(name)
        if cached is not None:
            return cached
        try:
            secret = self._clients.secrets.get_secret(name)
        except ResourceNotFoundError:
            return None
        data = json.loads(secret.value or "{}")
        secrets = WebhookSecrets(str(data["url"]), str(data["signingSecret"]))
        register_secret_values([secrets.url, secrets.signing_secret])
        with self._lock:
            self._cache[name] = secrets
        return secrets


_vaults: dict[tuple[str, IdentityConfig], WebhookVault] = {}
_vaults_lock = threading.Lock()


def webhook_vault(settings: Settings) -> WebhookVault:
    """The worker's webhook vault; a configuration without a vault cannot keep webhooks."""
    uri = settings.graph.key_vault_uri
    if uri is None:
        raise ConfigurationError(
            "TENANTATLAS_KEY_VAULT_URI", "webhook secrets are kept in Key Vault; name the app's vault."
        )
    identity = IdentityConfig(settings.graph.managed_identity_client_id, settings.graph.ca_bundle)
    with _vaults_lock:
        vault = _vaults.get((uri, identity))
        if vault is None:
            vault = _vaults[(uri, identity)] = WebhookVault(VaultClients(uri, identity))
        return vault
