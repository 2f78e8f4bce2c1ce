"""Webhook subscriptions: a tenant's (its admins) and global ones (platform admins), and their delivery
logs (docs/alerts.md).

Creating one puts its URL and a new signing secret in Key Vault first (nothing is saved when the
vault does not answer), then the row that names them; the answer shows the signing secret this once.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import azure.functions as func

from shared.alerts.deliveries import DeliveryLog
from shared.alerts.signing import new_signing_secret
from shared.alerts.subscriptions import (
    GLOBAL_SCOPE,
    InvalidWebhook,
    Subscription,
    SubscriptionStore,
    display_target,
    new_subscription_id,
    parse_webhook_spec,
    vault_secret_name,
)
from shared.alerts.vault import VaultUnavailable, WebhookSecrets, webhook_vault
from shared.api import models
from shared.api.operations import operation
from shared.api.params import PAGED
from shared.audit import AuditOutcome
from shared.auth.authorize import TenantAccess
from shared.auth.gate import platform_route, tenant_route
from shared.auth.principal import Principal
from shared.auth.roles import Role
from shared.config.errors import ConfigurationError
from shared.http.body import json_body
from shared.http.request import page_params
from shared.http.response import json_response, page_body
from shared.services import services

log = logging.getLogger(__name__)

bp = func.Blueprint()

TENANT_WEBHOOKS = "api/tenants/{tenantId}/webhooks"
GLOBAL_WEBHOOKS = "api/webhooks"
ONE = "/{webhookId}"
DELIVERIES = ONE + "/deliveries"
CREATE_PROBLEMS = (InvalidWebhook, VaultUnavailable)


@bp.route(route=TENANT_WEBHOOKS, methods=["GET"])
@operation("List a tenant's webhooks", response=models.Webhooks, visibility="advanced")
@tenant_route(Role.ADMIN, action="webhook.list")
def list_tenant_webhooks(req: func.HttpRequest, access: TenantAccess) -> func.HttpResponse:
    """The tenant's own subscriptions (global ones are listed under /api/webhooks)."""
    return _list(access.tenant_id)


@bp.route(route=TENANT_WEBHOOKS, methods=["POST"])
@operation("Subscribe a webhook to a tenant's events", response=models.WebhookCreated, status=201,
           body=models.WebhookSpec, problems=CREATE_PROBLEMS, visibility="advanced")
@tenant_route(Role.ADMIN, action="webhook.create")
def create_tenant_webhook(req: func.HttpRequest, access: TenantAccess) -> func.HttpResponse:
    """201 with the subscription and its signing secret (shown once)."""
    return _create(req, access.tenant_id, access.principal.key)


@bp.route(route=TENANT_WEBHOOKS + ONE, methods=["DELETE"])
@operation("Delete a tenant's webhook", status=204, visibility="advanced")
@tenant_route(Role.ADMIN, action="webhook.delete")
def delete_tenant_webhook(req: func.HttpRequest, access: TenantAccess) -> func.HttpResponse:
    """204; pending deliveries to it end failed at their next attempt."""
    return _delete(req, access.tenant_id, access.principal.key)


@bp.route(route=TENANT_WEBHOOKS + DELIVERIES, methods=["GET"])
@operation("List a tenant webhook's deliveries", response=models.WebhookDeliveryPage, query=PAGED,
           visibility="advanced")
@tenant_route(Role.ADMIN, action="webhook.deliveries")
def list_tenant_webhook_deliveries(req: func.HttpRequest, access: TenantAccess) -> func.HttpResponse:
    """Newest first: each event's status, attempts, last answer and why it failed."""
    return _deliveries(req, access.tenant_id)


@bp.route(route=GLOBAL_WEBHOOKS, methods=["GET"])
@operation("List global webhooks", response=models.Webhooks, visibility="advanced")
@platform_route()
def list_global_webhooks(req: func.HttpRequest, principal: Principal) -> func.HttpResponse:
    """Subscriptions to the events of every tenant."""
    return _list(GLOBAL_SCOPE)


@bp.route(route=GLOBAL_WEBHOOKS, methods=["POST"])
@operation("Subscribe a webhook to every tenant's events", response=models.WebhookCreated, status=201,
           body=models.WebhookSpec, problems=CREATE_PROBLEMS, visibility="advanced")
@platform_route()
def create_global_webhook(req: func.HttpRequest, principal: Principal) -> func.HttpResponse:
    """201 with the subscription and its signing secret (shown once)."""
    return _create(req, GLOBAL_SCOPE, principal.key)


@bp.route(route=GLOBAL_WEBHOOKS + ONE, methods=["DELETE"])
@operation("Delete a global webhook", status=204, visibility="advanced")
@platform_route()
def delete_global_webhook(req: func.HttpRequest, principal: Principal) -> func.HttpResponse:
    """204; pending deliveries to it end failed at their next attempt."""
    return _delete(req, GLOBAL_SCOPE, principal.key)


@bp.route(route=GLOBAL_WEBHOOKS + DELIVERIES, methods=["GET"])
@operation("List a global webhook's deliveries", response=models.WebhookDeliveryPage, query=PAGED,
           visibility="advanced")
@platform_route()
def list_global_webhook_deliveries(req: func.HttpRequest, principal: Principal) -> func.HttpResponse:
    """Newest first: each event's status, attempts, last answer and why it failed."""
    return _deliveries(req, GLOBAL_SCOPE)


def _list(scope: str) -> func.HttpResponse:
    items = SubscriptionStore(services().account).of_scope(scope)
    return json_response({"items": [subscription.to_api() for subscription in items]})


def _create(req: func.HttpRequest, scope: str, actor: str) -> func.HttpResponse:
    svc = services()
    body = json_body(req, invalid=InvalidWebhook)
    spec = parse_webhook_spec(body, allow_loopback_http=svc.settings.is_local)
    subscription_id = new_subscription_id()
    signing_secret = new_signing_secret()
    name = vault_secret_name(subscription_id)
    webhook_vault(svc.settings).put(name, WebhookSecrets(spec.url, signing_secret))
    subscription = SubscriptionStore(svc.account).add(
        Subscription(
            subscription_id=subscription_id,
            scope=scope,
            target=display_target(spec.url),
            format=spec.format,
            events=spec.events,
            description=spec.description,
            secret_name=name,
            created_by=actor,
            created_at=datetime.now(UTC),
        )
    )
    svc.audit.record(scope, "webhook.created", actor, AuditOutcome.SUCCEEDED, details=subscription.to_api())
    location = req.url.split("?", 1)[0].rstrip("/") + "/" + subscription_id
    body = {**subscription.to_api(), "signingSecret": signing_secret}
    return json_response(body, 201, {"Location": location})


def _delete(req: func.HttpRequest, scope: str, actor: str) -> func.HttpResponse:
    svc = services()
    deleted = SubscriptionStore(svc.account).delete(scope, req.route_params["webhookId"])
    # The row is gone first, so nothing sends with the secret any more; then the secret itself.
    try:
        secret_deleted = webhook_vault(svc.settings).delete(deleted.secret_name)
    except ConfigurationError:
        secret_deleted = False
    if not secret_deleted:
        log.warning(
            "Key Vault did not answer: secret %s of deleted webhook %s is left for an operator to delete.",
            deleted.secret_name,
            deleted.subscription_id,
        )
    details = {**deleted.to_api(), "secretDeleted": secret_deleted}
    svc.audit.record(scope, "webhook.deleted", actor, AuditOutcome.SUCCEEDED, details=details)
    return func.HttpResponse(status_code=204, headers={"Cache-Control": "no-store"})


def _deliveries(req: func.HttpRequest, scope: str) -> func.HttpResponse:
    size, token = page_params(req)
    svc = services()
    subscription = SubscriptionStore(svc.account).get(scope, req.route_params["webhookId"])
    page = DeliveryLog(svc.account).of_subscription(
        subscription.subscription_id, page_size=size, continuation=token
    )
    return json_response(page_body(page, lambda delivery: delivery.to_api()))
