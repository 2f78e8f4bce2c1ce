"""Every minute, send the webhook deliveries whose retry is due (`shared.alerts.dispatch`): the first
attempt is made as the event happens, this timer makes the ones after it, with backoff."""

from __future__ import annotations

import logging
from collections import Counter

import azure.functions as func

from shared.jobs.run_alerts import dispatcher
from shared.services import services

bp = func.Blueprint()
log = logging.getLogger(__name__)

EVERY_MINUTE = "30 * * * * *"
"""Half past each minute, away from the schedule timer's tick; the shortest backoff is longer."""


@bp.timer_trigger(schedule=EVERY_MINUTE, arg_name="timer", run_on_startup=False)
def retry_webhook_deliveries(timer: func.TimerRequest) -> None:
    attempted = dispatcher(services()).retry_due()
    if attempted:
        outcomes = Counter(delivery.status.value for delivery in attempted)
        log.info("Webhook retries: %d attempted, %s", len(attempted), dict(outcomes))
