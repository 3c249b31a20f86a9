"""The retry stage: one more attempt for each owed delivery when its backoff is over.

Each record of the retry topic owes one attempt. The stage waits until the record is due
(its ``next_attempt_at``; never longer than the backoff cap, so a clock that jumped cannot
stall a partition), makes the attempt through ``Once``, and then:

* delivered — done;
* failed, attempts left — a new record with one attempt more and a fresh backoff;
* failed for good (a 4xx, a refused URL) or the last attempt allowed — the consumed record is
  dead-lettered with the reason. Replaying that dead letter owes the delivery one more attempt.

A receiver that refused (4xx) in the webhook stage is tried once more from here before it is
dead-lettered: a 404 or 410 is often a receiver being redeployed. A URL the guard refuses is
never contacted.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from services.common.contracts import Topics
from services.common.contracts.notifications import WebhookRetry
from services.common.contracts.topics import TopicSpec
from services.common.runtime import Emit, Envelope, Reject
from services.notifier.webhooks.delivery import DeliveryOutcome, DeliveryResult
from services.notifier.webhooks.dispatch import Delivery, Dispatcher
from services.notifier.webhooks.metrics import WebhookMetrics
from services.notifier.webhooks.subscriptions import SubscriptionRegistry

log = logging.getLogger(__name__)


def retry_dedup_key(envelope: Envelope[Any]) -> str:
    """Each attempt is its own piece of work: the same delivery comes back with attempts + 1."""
    value: WebhookRetry = envelope.value
    return f"{value.subscription_id}|{value.event_id}|{value.attempts}"


class RetryHandler:
    def __init__(
        self,
        registry: SubscriptionRegistry,
        dispatcher: Dispatcher,
        *,
        metrics: WebhookMetrics | None = None,
        sleep: Callable[[float], None] = time.sleep,
        retries: TopicSpec[WebhookRetry] = Topics.WEBHOOK_RETRIES,
    ) -> None:
        self._retries = retries
        self._registry = registry
        self._dispatcher = dispatcher
        self._policy = dispatcher.policy
        self._metrics = metrics
        self._sleep = sleep

    def __call__(self, batch: Sequence[Envelope[WebhookRetry]]) -> list[Emit | Reject]:
        results: list[Emit | Reject] = []
        waiting: list[Delivery] = []
        for envelope in sorted(batch, key=lambda e: e.value.next_attempt_at):
            owed = envelope.value
            subscription = self._registry.get(owed.subscription_id)
            if subscription is None or not subscription.active:
                results.append(self._give_up(envelope, "subscription removed or inactive"))
                continue
            waiting.append(
                Delivery(
                    cause=envelope,
                    subscription=subscription,
                    kind=owed.kind,
                    event_id=owed.event_id,
                    application_id=str(owed.application_id),
                    body=owed.body.encode(),
                    attempts_made=owed.attempts,
                    first_attempt_at=owed.first_attempt_at,
                )
            )
        while waiting:
            due = self._wait_for_first(waiting)
            waiting = waiting[len(due) :]
            started = self._dispatcher.now()
            for delivery, result in zip(due, self._dispatcher.run(due), strict=True):
                outcome = self._after(delivery, result, started)
                if outcome is not None:
                    results.append(outcome)
        return results

    def _wait_for_first(self, waiting: list[Delivery]) -> list[Delivery]:
        """Sleep until the first delivery is due; every delivery due by then (a prefix)."""
        first: WebhookRetry = waiting[0].cause.value
        wait_s = (first.next_attempt_at - self._dispatcher.now()).total_seconds()
        if wait_s > 0:
            self._sleep(min(wait_s, self._policy.cap_s))
        now = self._dispatcher.now()
        due = [d for d in waiting if d.cause.value.next_attempt_at <= now]
        return due or waiting[:1]

    def _after(
        self, delivery: Delivery, result: DeliveryResult, started: datetime
    ) -> Emit | Reject | None:
        if result.delivered:
            return None
        attempts = delivery.attempts_made + 1
        permanent = result.outcome in (DeliveryOutcome.REJECTED, DeliveryOutcome.BLOCKED)
        if permanent or not self._policy.has_attempts_left(attempts):
            why = "refused" if permanent else f"gave up after {attempts} attempts"
            return self._give_up(
                delivery.cause, f"{why}: {result.outcome.value}, {result.reason}", result
            )
        retry = self._dispatcher.retry_record(delivery, result, started=started)
        return Emit(self._retries, retry, delivery.application_id, delivery.cause)

    def _give_up(
        self, envelope: Envelope[WebhookRetry], reason: str, result: DeliveryResult | None = None
    ) -> Reject:
        owed = envelope.value
        outcome = result.outcome.value if result is not None else "unsubscribed"
        if self._metrics is not None:
            self._metrics.gave_up(outcome)
        log.warning(
            "webhook delivery dead-lettered",
            extra={
                "subscription_id": owed.subscription_id,
                "event_id": owed.event_id,
                "outcome": outcome,
                "attempt": owed.attempts + (1 if result is not None else 0),
            },
        )
        return Reject(envelope, f"webhook {owed.subscription_id} event {owed.event_id}: {reason}")
