"""One attempt for each of many deliveries, side by side, each at most once.

Both webhook stages hand their deliveries for a batch to a ``Dispatcher``. The batch runs
through ``Once.many_settled`` (the once-key is subscription and event): one Redis round trip
claims every key, the deliveries run on a pool of threads since each waits on a receiver, one
round trip stores what was delivered. A delivery that fails comes back as a failed
``DeliveryResult`` for the stage to schedule again or dead-letter; only an infrastructure error
(Redis, or a claim another instance still holds) propagates, so the runtime retries the whole
batch, and the deliveries that succeeded meanwhile return their stored results without a
second call.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol, cast
from uuid import UUID

from services.common.contracts.notifications import FailedDeliveryOutcome, WebhookRetry
from services.common.idempotency import FailedCall
from services.common.runtime import Envelope
from services.notifier.webhooks.delivery import (
    DeliveryOutcome,
    DeliveryResult,
    WebhookDeliverer,
    WebhookRejectedError,
    WebhookRetryLaterError,
    delivery_call,
    once_key,
)
from services.notifier.webhooks.metrics import WebhookMetrics
from services.notifier.webhooks.retry import RetryPolicy
from services.notifier.webhooks.subscriptions import EventKind, Subscription


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Delivery:
    """One event owed to one subscription, and the record that caused it."""

    cause: Envelope[Any]
    subscription: Subscription
    kind: EventKind
    event_id: str
    application_id: str
    body: bytes
    attempts_made: int = 0
    first_attempt_at: datetime | None = None


class OnceBatch(Protocol):
    """What the dispatcher needs of ``services.common.idempotency.Once``."""

    def many_settled(
        self, calls: Sequence[tuple[str, Callable[[], dict[str, Any]]]], *, workers: int = 1
    ) -> list[dict[str, Any] | FailedCall]: ...


def _result(outcome: dict[str, Any] | FailedCall) -> DeliveryResult:
    if not isinstance(outcome, FailedCall):
        return DeliveryResult.from_dict(outcome)
    if isinstance(outcome.error, WebhookRejectedError | WebhookRetryLaterError):
        return outcome.error.result
    raise outcome.error


class Dispatcher:
    def __init__(
        self,
        deliverer: WebhookDeliverer,
        once: OnceBatch,
        policy: RetryPolicy,
        *,
        workers: int = 8,
        metrics: WebhookMetrics | None = None,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        if workers < 1:
            raise ValueError("workers must be at least 1")
        self._deliverer = deliverer
        self._once = once
        self.policy = policy
        self._workers = workers
        self._metrics = metrics
        self._clock = clock

    def now(self) -> datetime:
        return self._clock()

    def run(self, deliveries: Sequence[Delivery]) -> list[DeliveryResult]:
        """One attempt per delivery, results in input order."""
        keys = [once_key(d.subscription.id, d.event_id) for d in deliveries]
        first = {key: index for index, key in reversed(list(enumerate(keys)))}
        distinct = sorted(first.values())
        outcomes = self._once.many_settled(
            [(keys[i], self._call(deliveries[i])) for i in distinct], workers=self._workers
        )
        by_key = {keys[i]: _result(o) for i, o in zip(distinct, outcomes, strict=True)}
        results = [by_key[key] for key in keys]  # a repeated key shares its first's result
        if self._metrics is not None:
            for delivery, result in zip(deliveries, results, strict=True):
                self._metrics.observe(delivery.kind, result)
        return results

    def _call(self, delivery: Delivery) -> Callable[[], dict[str, Any]]:
        return delivery_call(
            self._deliverer, delivery.subscription, delivery.event_id, delivery.body
        )

    def retry_record(
        self, delivery: Delivery, result: DeliveryResult, *, started: datetime
    ) -> WebhookRetry:
        """The retry-topic record owing ``delivery`` its next attempt after a backoff."""
        attempts = delivery.attempts_made + 1
        now = self._clock()
        wait_s = self.policy.delay(attempts, result.retry_after_s)
        outcome = result.outcome
        if outcome is DeliveryOutcome.DELIVERED:
            raise ValueError("a delivered event is owed nothing")
        return WebhookRetry(
            subscription_id=delivery.subscription.id,
            event_id=delivery.event_id,
            kind=delivery.kind,
            application_id=UUID(delivery.application_id),
            body=delivery.body.decode(),
            attempts=attempts,
            first_attempt_at=delivery.first_attempt_at or started,
            next_attempt_at=max(now, started) + timedelta(seconds=wait_s),
            last_outcome=cast(FailedDeliveryOutcome, outcome.value),
            last_status=result.status_code,
            last_reason=result.reason[:300],
        )
