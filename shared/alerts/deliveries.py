"""The delivery log: one row per (event, subscription), created once however often the event is
published, updated by every attempt. A subscription's admins read it (newest first) to see what
reached their receiver, what is being retried and what failed for good, and why.

An attempt first claims its row (ETag-conditional: the row is due again only after `CLAIM_SECONDS`),
so the first attempt made as a run ends and the retry timer never send the same delivery at once.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from azure.core import MatchConditions
from azure.core.exceptions import ResourceExistsError, ResourceModifiedError, ResourceNotFoundError
from azure.data.tables import TableEntity, UpdateMode

from shared.storage import (
    DEFAULT_PAGE_SIZE,
    Page,
    StorageAccount,
    inverted_time_key,
    map_page,
    names,
    query_page,
    stable_hash,
)

CLAIM_SECONDS = 120
"""Longer than one attempt can take (connect and read timeouts): a worker that died mid-attempt
leaves its delivery due again after this."""


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"


@dataclass(frozen=True)
class Delivery:
    delivery_id: str
    subscription_id: str
    scope: str
    event: str
    event_id: str
    tenant_id: str
    run_id: str | None
    body: str
    """The event as JSON text (the `json` format's body; Teams messages are made from it)."""
    status: DeliveryStatus
    attempts: int
    next_attempt_at: datetime | None
    created_at: datetime
    last_attempt_at: datetime | None = None
    last_status_code: int | None = None
    last_error: str | None = None
    delivered_at: datetime | None = None
    etag: str | None = None

    def to_api(self) -> dict[str, Any]:
        def iso(moment: datetime | None) -> str | None:
            return None if moment is None else moment.isoformat()

        return {
            "id": self.delivery_id,
            "subscriptionId": self.subscription_id,
            "event": self.event,
            "eventId": self.event_id,
            "tenantId": self.tenant_id,
            "runId": self.run_id,
            "status": self.status.value,
            "attempts": self.attempts,
            "nextAttemptAt": iso(self.next_attempt_at) if self.status is DeliveryStatus.PENDING else None,
            "lastAttemptAt": iso(self.last_attempt_at),
            "lastStatusCode": self.last_status_code,
            "lastError": self.last_error,
            "deliveredAt": iso(self.delivered_at),
            "createdAt": self.created_at.isoformat(),
        }


def delivery_id_for(event_id: str, subscription_id: str, occurred_at: datetime) -> str:
    return f"{inverted_time_key(occurred_at)}-{stable_hash(event_id, subscription_id)[:16]}"


class DeliveryLog:
    def __init__(self, account: StorageAccount) -> None:
        self._table = account.table(names.WEBHOOK_DELIVERIES)

    def record(self, delivery: Delivery) -> Delivery:
        """Create the row; one that exists (the event was published before) is returned as stored."""
        try:
            metadata = self._table.create_entity(_to_entity(delivery))
        except ResourceExistsError:
            return self.get(delivery.subscription_id, delivery.delivery_id)
        return replace(delivery, etag=metadata.get("etag"))

    def get(self, subscription_id: str, delivery_id: str) -> Delivery:
        return _from_entity(self._table.get_entity(subscription_id, delivery_id))

    def claim(self, delivery: Delivery, now: datetime) -> Delivery | None:
        """Take the pending delivery for one attempt; None when another attempt holds or ended it."""
        claimed = replace(delivery, next_attempt_at=now + timedelta(seconds=CLAIM_SECONDS))
        try:
            metadata = self._table.update_entity(
                {
                    "PartitionKey": delivery.subscription_id,
                    "RowKey": delivery.delivery_id,
                    "NextAttemptAt": claimed.next_attempt_at,
                },
                mode=UpdateMode.MERGE,
                etag=delivery.etag,
                match_condition=MatchConditions.IfNotModified,
            )
        except (ResourceModifiedError, ResourceNotFoundError):
            return None
        return replace(claimed, etag=metadata.get("etag"))

    def save(self, delivery: Delivery) -> Delivery:
        """Write an attempt's outcome over the claimed row."""
        self._table.update_entity(_to_entity(delivery), mode=UpdateMode.REPLACE)
        return delivery

    def due(self, now: datetime) -> list[Delivery]:
        """Pending deliveries whose next attempt is due, of every subscription (pending ones are few)."""
        entities = self._table.query_entities(
            "Status eq @pending and NextAttemptAt le @now",
            parameters={"pending": DeliveryStatus.PENDING.value, "now": now},
        )
        return [_from_entity(entity) for entity in entities]

    def of_subscription(
        self, subscription_id: str, *, page_size: int = DEFAULT_PAGE_SIZE, continuation: str | None = None
    ) -> Page[Delivery]:
        page = query_page(
            self._table,
            "PartitionKey eq @sub",
            {"sub": subscription_id},
            page_size=page_size,
            continuation=continuation,
        )
        return map_page(page, _from_entity)


def _to_entity(delivery: Delivery) -> dict[str, Any]:
    return {
        "PartitionKey": delivery.subscription_id,
        "RowKey": delivery.delivery_id,
        "Scope": delivery.scope,
        "Event": delivery.event,
        "EventId": delivery.event_id,
        "TenantId": delivery.tenant_id,
        "RunId": delivery.run_id,
        "Body": delivery.body,
        "Status": delivery.status.value,
        "Attempts": delivery.attempts,
        "NextAttemptAt": delivery.next_attempt_at,
        "CreatedAt": delivery.created_at,
        "LastAttemptAt": delivery.last_attempt_at,
        "LastStatusCode": delivery.last_status_code,
        "LastError": delivery.last_error,
        "DeliveredAt": delivery.delivered_at,
    }


def _from_entity(entity: TableEntity) -> Delivery:
    code = entity.get("LastStatusCode")
    return Delivery(
        delivery_id=entity["RowKey"],
        subscription_id=entity["PartitionKey"],
        scope=entity["Scope"],
        event=entity["Event"],
        event_id=entity["EventId"],
        tenant_id=entity["TenantId"],
        run_id=entity.get("RunId"),
        body=entity["Body"],
        status=DeliveryStatus(entity["Status"]),
        attempts=int(entity["Attempts"]),
        next_attempt_at=entity.get("NextAttemptAt"),
        created_at=entity["CreatedAt"],
        last_attempt_at=entity.get("LastAttemptAt"),
        last_status_code=None if code is None else int(code),
        last_error=entity.get("LastError"),
        delivered_at=entity.get("DeliveredAt"),
        etag=entity.metadata.get("etag"),
    )
