"""Webhook subscriptions: where the app sends the events of a tenant (or of every tenant), in which
format, and which events.

A subscription's table row holds no secret: the target URL (a Teams Workflows URL carries its own
signature in its query) and the signing secret live in Key Vault (`shared.alerts.vault`); the row
keeps the vault secret's name and a display form of the target (scheme, host and path, no query).
"""

from __future__ import annotations

import ipaddress
import re
import socket
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any
from urllib.parse import urlsplit

from azure.core.exceptions import ResourceNotFoundError
from azure.data.tables import TableEntity

from shared.http.problems import ProblemError
from shared.storage import StorageAccount, names
from shared.tenants import normalize_tenant_id

GLOBAL_SCOPE = "global"
"""The partition of subscriptions to the events of every tenant."""
SUBSCRIPTION_ID_PATTERN = re.compile(r"^[0-9a-f]{32}$")
MAX_URL_CHARS = 2048
_DISPLAY_PATH_CHARS = 48


class WebhookEvent(StrEnum):
    """What a subscription can ask for; a run's end is one event, named by its end status."""

    RUN_SUCCEEDED = "run.succeeded"
    RUN_PARTIALLY_SUCCEEDED = "run.partially_succeeded"
    RUN_FAILED = "run.failed"
    RUN_CANCELLED = "run.cancelled"
    SCHEDULED_BACKUP_FAILED = "backup.scheduled_failed"
    """A scheduled backup ended failed (it is also a `run.failed`)."""
    SCHEDULED_BACKUP_MISSED = "backup.scheduled_missed"
    """Slots of a schedule came and went with no backup (the app was down or its timer did not fire)."""
    TENANT_UNHEALTHY = "tenant.unhealthy"


class WebhookFormat(StrEnum):
    JSON = "json"
    """The event as JSON, signed with HMAC-SHA256 (docs/alerts.md#verifying-a-delivery)."""
    TEAMS = "teams"
    """A Teams message with an Adaptive Card, for a Workflows (or incoming webhook) URL."""


class InvalidWebhook(ProblemError):
    status = 400
    code = "webhook.invalid"
    title = "The webhook subscription is not valid."


class WebhookNotFound(ProblemError):
    status = 404
    code = "webhook.not_found"
    title = "The webhook subscription was not found."


@dataclass(frozen=True)
class WebhookSpec:
    """A subscription as asked for: the target URL stays in memory until it is put in the vault."""

    url: str
    format: WebhookFormat
    events: tuple[WebhookEvent, ...]
    description: str


@dataclass(frozen=True)
class Subscription:
    subscription_id: str
    scope: str
    """A tenant ID, or `global`."""
    target: str
    """The URL for people to recognise it: scheme, host and the start of the path, never the query."""
    format: WebhookFormat
    events: tuple[WebhookEvent, ...]
    description: str
    secret_name: str
    created_by: str
    created_at: datetime

    @property
    def tenant_id(self) -> str | None:
        return None if self.scope == GLOBAL_SCOPE else self.scope

    def wants(self, events: Iterable[WebhookEvent]) -> WebhookEvent | None:
        """The event of `events` (most specific first) this subscription asked for, if any."""
        return next((event for event in events if event in self.events), None)

    def to_api(self) -> dict[str, Any]:
        return {
            "id": self.subscription_id,
            "tenantId": self.tenant_id,
            "target": self.target,
            "format": self.format.value,
            "events": [event.value for event in self.events],
            "description": self.description,
            "createdBy": self.created_by,
            "createdAt": self.created_at.isoformat(),
        }


def parse_webhook_spec(body: Any, *, allow_loopback_http: bool) -> WebhookSpec:
    """A subscription from a request body; every refusal is `webhook.invalid` naming the field."""
    if not isinstance(body, dict):
        raise InvalidWebhook("The body must be a JSON object with `url`.")
    url = body.get("url")
    if not isinstance(url, str) or not url or len(url) > MAX_URL_CHARS:
        raise InvalidWebhook(f"`url` must be a URL of up to {MAX_URL_CHARS} characters.")
    check_target_url(url, allow_loopback_http=allow_loopback_http)
    try:
        fmt = WebhookFormat(body.get("format") or WebhookFormat.JSON)
    except (ValueError, TypeError):
        raise InvalidWebhook(f"`format` is one of {', '.join(f.value for f in WebhookFormat)}.") from None
    events = _events(body.get("events"))
    description = body.get("description") or ""
    if not isinstance(description, str) or len(description) > 256:
        raise InvalidWebhook("`description` must be text of up to 256 characters.")
    return WebhookSpec(url, fmt, events, description)


def _events(value: Any) -> tuple[WebhookEvent, ...]:
    subscribable = list(WebhookEvent)
    if value is None:
        return tuple(subscribable)
    choices = ", ".join(event.value for event in subscribable)
    if not isinstance(value, list) or not value or not all(isinstance(item, str) for item in value):
        raise InvalidWebhook(f"`events` must be a non-empty list of: {choices}.")
    unknown = sorted({item for item in value if item not in {event.value for event in subscribable}})
    if unknown:
        raise InvalidWebhook(
            f"Unknown event(s) {', '.join(repr(u[:40]) for u in unknown[:5])}; use {choices}."
        )
    return tuple(event for event in subscribable if event.value in value)


def check_target_url(url: str, *, allow_loopback_http: bool) -> None:
    """HTTPS to a public host; plain HTTP only to a loopback receiver, and only when allowed (local)."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        _ = parts.port
    except ValueError:
        raise InvalidWebhook("`url` is not a valid URL.") from None
    if not host or parts.username or parts.password:
        raise InvalidWebhook("`url` needs a host and no user name or password.")
    loopback = _is_loopback(host)
    if parts.scheme == "http" and loopback and allow_loopback_http:
        return
    if parts.scheme != "https":
        raise InvalidWebhook("`url` must be an https:// URL.")
    if (loopback and not allow_loopback_http) or (not loopback and _is_private(host)):
        raise InvalidWebhook("`url` must name a public host, not a private or loopback address.")


class UnsafeTarget(Exception):
    """The target's host resolves to an address a webhook must not reach (`final`), or did not
    resolve at all (worth another try later)."""

    def __init__(self, message: str, *, final: bool = True) -> None:
        super().__init__(message)
        self.final = final


def check_resolved_target(
    url: str, *, allow_loopback_http: bool, resolve: Callable[[str, int], list[str]] | None = None
) -> None:
    """Refuse a target whose host name resolves to a private, loopback, link-local, reserved or
    multicast address (a public-looking name can point inside the network): checked before each
    delivery, as a name's answer can change after the subscription was made. A loopback target is
    let through only where `check_target_url` allows one (local mode)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if allow_loopback_http and _is_loopback(host):
        return
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        addresses = (resolve or _resolve)(host, port)
    except OSError:
        raise UnsafeTarget(f"The target's host {host!r} did not resolve.", final=False) from None
    for text in addresses:
        address = ipaddress.ip_address(text.split("%", 1)[0])
        if address.is_loopback or _is_private(str(address)):
            raise UnsafeTarget(f"The target's host {host!r} resolves to a private or loopback address.")


def _resolve(host: str, port: int) -> list[str]:
    return [str(info[4][0]) for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)]


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _is_private(host: str) -> bool:
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.is_private or address.is_link_local or address.is_reserved or address.is_multicast


def display_target(url: str) -> str:
    parts = urlsplit(url)
    path = parts.path if len(parts.path) <= _DISPLAY_PATH_CHARS else parts.path[:_DISPLAY_PATH_CHARS] + "…"
    return f"{parts.scheme}://{parts.netloc}{path}"


def normalize_subscription_id(value: str) -> str:
    if not SUBSCRIPTION_ID_PATTERN.match(value):
        raise WebhookNotFound(f"Webhook {value[:40]!r} was not found.")
    return value


def new_subscription_id() -> str:
    return uuid.uuid4().hex


def vault_secret_name(subscription_id: str) -> str:
    return f"webhook-{subscription_id}"


class SubscriptionStore:
    """Subscriptions by scope (PK: tenant ID or `global`, RK: subscription ID)."""

    def __init__(self, account: StorageAccount) -> None:
        self._table = account.table(names.WEBHOOKS)

    def add(self, subscription: Subscription) -> Subscription:
        self._table.create_entity(
            {
                "PartitionKey": subscription.scope,
                "RowKey": subscription.subscription_id,
                "Target": subscription.target,
                "Format": subscription.format.value,
                "Events": ",".join(event.value for event in subscription.events),
                "Description": subscription.description,
                "SecretName": subscription.secret_name,
                "CreatedBy": subscription.created_by,
                "CreatedAt": subscription.created_at,
            }
        )
        return subscription

    def get(self, scope: str, subscription_id: str) -> Subscription:
        try:
            entity = self._table.get_entity(_scope_key(scope), normalize_subscription_id(subscription_id))
        except ResourceNotFoundError:
            raise WebhookNotFound(f"Webhook {subscription_id} was not found.") from None
        return _from_entity(entity)

    def delete(self, scope: str, subscription_id: str) -> Subscription:
        subscription = self.get(scope, subscription_id)
        self._table.delete_entity(subscription.scope, subscription.subscription_id)
        return subscription

    def of_scope(self, scope: str) -> list[Subscription]:
        entities = self._table.query_entities(
            "PartitionKey eq @scope", parameters={"scope": _scope_key(scope)}
        )
        return sorted((_from_entity(e) for e in entities), key=lambda s: s.created_at)

    def matching(self, tenant_id: str) -> list[Subscription]:
        """The tenant's own subscriptions and the global ones."""
        return self.of_scope(tenant_id) + self.of_scope(GLOBAL_SCOPE)


def _scope_key(scope: str) -> str:
    return GLOBAL_SCOPE if scope == GLOBAL_SCOPE else normalize_tenant_id(scope)


def _from_entity(entity: TableEntity) -> Subscription:
    return Subscription(
        subscription_id=entity["RowKey"],
        scope=entity["PartitionKey"],
        target=entity["Target"],
        format=WebhookFormat(entity["Format"]),
        events=tuple(WebhookEvent(e) for e in str(entity["Events"]).split(",") if e),
        description=entity.get("Description") or "",
        secret_name=entity["SecretName"],
        created_by=entity["CreatedBy"],
        created_at=entity["CreatedAt"],
    )
