"""One attempt for each of many deliveries, side by side, each at most once.

Both webhook stages hand their deliveries for a batch to a ``Dispatcher``. Every delivery runs
through ``deliver_once`` (the once-key is subscription and event), on a pool of threads since
each one waits on a receiver. A delivery that fails comes back as a failed ``DeliveryResult``
for the stage to schedule again or dead-letter; only an infrastructure error (Redis, or a
claim another instance still holds) propagates, so the runtime retries the whole batch, and
the deliveries that succeeded meanwhile return their stored results without a second call.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, cast
from uuid import UUID

from services.common.contracts.notifications import FailedDeliveryOutcome, WebhookRetry
from services.common.runtime import Envelope
from services.notifier.webhooks.delivery import (
    DeliveryOutcome,
    DeliveryResult,
    OnceRunner,
    WebhookDeliverer,
    WebhookRejectedError,
    WebhookRetryLaterError,
    deliver_once,
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


class Dispatcher:
    def __init__(
        self,
        deliverer: WebhookDeliverer,
        once: OnceRunner,
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
        self._pool = ThreadPoolExecutor(workers, thread_name_prefix="webhook")

    def close(self) -> None:
        self._pool.shutdown(wait=True)

    def now(self) -> datetime:
        return self._clock()

    def run(self, deliveries: Sequence[Delivery]) -> list[DeliveryResult]:
        """One attempt per delivery, results in input order."""
        if len(deliveries) <= 1 or self._workers == 1:
            return [self._attempt(delivery) for delivery in deliveries]
        return list(self._pool.map(self._attempt, deliveries))

    def _attempt(self, delivery: Delivery) -> DeliveryResult:
        try:
            result = deliver_once(
                self._once,
                self._deliverer,
                delivery.subscription,
                delivery.event_id,
                delivery.body,
            )
        except (WebhookRejectedError, WebhookRetryLaterError) as failure:
            result = failure.result
        if self._metrics is not None:
            self._metrics.observe(delivery.kind, result)
        return result

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
