"""Publishing events to subscriptions and sending deliveries, with retries and backoff.

`publish` records one delivery per matching subscription (idempotent: the delivery ID derives from
the event and the subscription) and makes each pending one's first attempt at once. A delivery that
fails in a way worth retrying (no answer, a timeout, 408, 429, 5xx) is due again after
`retry_base_seconds * 4**(attempts-1)`; the retry timer (`triggers/webhook_timer.py`) sends what is
due. After `max_attempts`, or at once for any other answer (a 4xx: the receiver refuses it, a
redirect: not followed), the delivery is `failed` with the reason in the log.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

import requests
from azure.core.exceptions import AzureError

from shared.alerts.deliveries import Delivery, DeliveryLog, DeliveryStatus, delivery_id_for
from shared.alerts.events import Event, event_body, render
from shared.alerts.signing import DELIVERY_HEADER, EVENT_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, sign
from shared.alerts.subscriptions import (
    Subscription,
    SubscriptionStore,
    UnsafeTarget,
    WebhookFormat,
    WebhookNotFound,
    check_resolved_target,
)
from shared.alerts.vault import WebhookSecrets
from shared.config.settings import AlertSettings
from shared.storage import StorageAccount

log = logging.getLogger(__name__)

CONNECT_TIMEOUT = 5.0
READ_TIMEOUT = 15.0
_RETRYABLE_STATUS = frozenset({408, 429})
USER_AGENT = "TenantAtlas-Webhooks/1"

Send = Callable[[str, bytes, Mapping[str, str]], int]
"""POST a body to a URL with headers; the answer's status code (requests' exceptions when none)."""
ReadSecrets = Callable[[str], WebhookSecrets | None]


def post_with(session: requests.Session, *, allow_loopback_http: bool = False) -> Send:
    """Send with the session, after checking where the target's host resolves (`UnsafeTarget`)."""

    def send(url: str, body: bytes, headers: Mapping[str, str]) -> int:
        check_resolved_target(url, allow_loopback_http=allow_loopback_http)
        answer = session.post(
            url,
            data=body,
            headers=dict(headers),
            timeout=(CONNECT_TIMEOUT, READ_TIMEOUT),
            allow_redirects=False,
        )
        answer.close()
        return answer.status_code

    return send


@dataclass(frozen=True)
class Dispatcher:
    """What sending needs: the subscriptions, the log, the vault's reader, the sender and the policy."""

    subscriptions: SubscriptionStore
    deliveries: DeliveryLog
    read_secrets: ReadSecrets
    send: Send
    policy: AlertSettings

    @classmethod
    def of(
        cls, account: StorageAccount, read_secrets: ReadSecrets, send: Send, policy: AlertSettings
    ) -> Dispatcher:
        return cls(SubscriptionStore(account), DeliveryLog(account), read_secrets, send, policy)

    def publish(self, event: Event, now: datetime | None = None) -> list[Delivery]:
        """Record the event's delivery to every subscription that asked for it, and attempt each."""
        now = now or datetime.now(UTC)
        results = []
        for subscription in self.subscriptions.matching(event.tenant_id):
            name = subscription.wants(event.names)
            if name is None:
                continue
            delivery_id = delivery_id_for(event.event_id, subscription.subscription_id, event.occurred_at)
            delivery = self.deliveries.record(
                Delivery(
                    delivery_id=delivery_id,
                    subscription_id=subscription.subscription_id,
                    scope=subscription.scope,
                    event=name.value,
                    event_id=event.event_id,
                    tenant_id=event.tenant_id,
                    run_id=event.run_id,
                    body=json.dumps(event_body(event, name, delivery_id), ensure_ascii=False),
                    status=DeliveryStatus.PENDING,
                    attempts=0,
                    next_attempt_at=now,
                    created_at=now,
                )
            )
            due = delivery.next_attempt_at is None or delivery.next_attempt_at <= now
            if delivery.status is DeliveryStatus.PENDING and delivery.attempts == 0 and due:
                delivery = self.attempt(delivery, subscription, now)
            results.append(delivery)
        return results

    def retry_due(self, now: datetime | None = None) -> list[Delivery]:
        """Attempt every pending delivery whose time has come (the retry timer's work)."""
        now = now or datetime.now(UTC)
        results = []
        for delivery in self.deliveries.due(now):
            try:
                subscription = self.subscriptions.get(delivery.scope, delivery.subscription_id)
            except WebhookNotFound:
                results.append(self._end(delivery, now, None, "The subscription was deleted.", final=True))
                continue
            results.append(self.attempt(delivery, subscription, now))
        return results

    def attempt(self, delivery: Delivery, subscription: Subscription, now: datetime) -> Delivery:
        """One attempt: claim, read the secrets, sign, send, record the outcome."""
        claimed = self.deliveries.claim(delivery, now)
        if claimed is None:
            return delivery
        try:
            secrets = self.read_secrets(subscription.secret_name)
        except AzureError as exc:
            return self._end(
                claimed, now, None, f"Key Vault did not answer ({type(exc).__name__}).", final=False
            )
        if secrets is None:
            return self._end(claimed, now, None, "The subscription's secret is not in Key Vault.", final=True)
        body = json.dumps(render(json.loads(claimed.body), subscription.format), ensure_ascii=False).encode()
        headers = {
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            DELIVERY_HEADER: claimed.delivery_id,
            EVENT_HEADER: claimed.event,
        }
        if subscription.format is WebhookFormat.JSON:
            timestamp = int(time.time())
            headers[TIMESTAMP_HEADER] = str(timestamp)
            headers[SIGNATURE_HEADER] = sign(secrets.signing_secret, timestamp, body)
        try:
            status = self.send(secrets.url, body, headers)
        except UnsafeTarget as exc:
            return self._end(claimed, now, None, f"Not sent: {exc}", final=exc.final)
        except requests.RequestException as exc:
            # The exception's text may hold the URL (a credential for Teams): only its type is kept.
            return self._end(claimed, now, None, f"No answer: {type(exc).__name__}.", final=False)
        if 200 <= status < 300:
            return self._end(claimed, now, status, None, final=True)
        retryable = status >= 500 or status in _RETRYABLE_STATUS
        return self._end(claimed, now, status, f"The receiver answered {status}.", final=not retryable)

    def _end(
        self, delivery: Delivery, now: datetime, status: int | None, error: str | None, *, final: bool
    ) -> Delivery:
        attempts = delivery.attempts + 1
        if error is None:
            outcome, next_at = DeliveryStatus.DELIVERED, None
        elif final or attempts >= self.policy.max_attempts:
            outcome, next_at = DeliveryStatus.FAILED, None
        else:
            wait = self.policy.retry_base_seconds * 4 ** (attempts - 1)
            outcome, next_at = DeliveryStatus.PENDING, now + timedelta(seconds=wait)
        ended = replace(
            delivery,
            status=outcome,
            attempts=attempts,
            next_attempt_at=next_at,
            last_attempt_at=now,
            last_status_code=status,
            last_error=error,
            delivered_at=now if outcome is DeliveryStatus.DELIVERED else None,
        )
        if outcome is DeliveryStatus.FAILED:
            log.warning(
                "Webhook delivery %s failed after %d attempt(s): %s", delivery.delivery_id, attempts, error
            )
        return self.deliveries.save(ended)
