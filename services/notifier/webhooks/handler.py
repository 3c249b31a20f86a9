"""The webhook stage: decisions and status changes in, one signed POST per subscriber out.

For each event of the batch it finds the subscriptions that want it (by kind, and by the API
client that owns the application) and makes one attempt per subscription, all side by side.
A failed delivery is not retried here, where it would hold up the partition: it goes to the
retry topic, in the same transaction as the consumed offsets, and the retry stage
(``retries.py``) takes it from there. So a slow or broken receiver never delays the others.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any, Final

from services.common.contracts import Topics
from services.common.contracts.notifications import WebhookRetry
from services.common.contracts.topics import TopicSpec
from services.common.runtime import Emit, Envelope, Reject
from services.notifier.status.handler import INPUTS as STATUS_INPUTS
from services.notifier.webhooks.dispatch import Delivery, Dispatcher
from services.notifier.webhooks.notices import Notice, notice_of
from services.notifier.webhooks.owners import OwnerLookup
from services.notifier.webhooks.subscriptions import SubscriptionRegistry

log = logging.getLogger(__name__)

INPUTS: Final = STATUS_INPUTS
"""Decisions, and the stage events that change an application's status."""


class WebhookHandler:
    def __init__(
        self,
        registry: SubscriptionRegistry,
        dispatcher: Dispatcher,
        owners: OwnerLookup,
        *,
        retries: TopicSpec[WebhookRetry] = Topics.WEBHOOK_RETRIES,
    ) -> None:
        self._retries = retries
        self._subscriptions = tuple(s for s in registry if s.active)
        self._kinds = frozenset(kind for s in self._subscriptions for kind in s.events)
        self._by_client = any(s.client_id is not None for s in self._subscriptions)
        self._dispatcher = dispatcher
        self._owners = owners

    def __call__(self, batch: Sequence[Envelope[Any]]) -> list[Emit | Reject]:
        results: list[Emit | Reject] = []
        notices: list[tuple[Envelope[Any], Notice]] = []
        for envelope in batch:
            try:
                notice = notice_of(envelope)
            except ValueError as exc:
                results.append(Reject(envelope, str(exc)))
                continue
            if notice is not None and notice.kinds & self._kinds:
                notices.append((envelope, notice))
        if not notices:
            return results
        owners = (
            self._owners.owners(notice.application_id for _, notice in notices)
            if self._by_client
            else {}
        )
        deliveries = [
            delivery
            for envelope, notice in notices
            for delivery in self._deliveries(envelope, notice, owners.get(notice.application_id))
        ]
        started = self._dispatcher.now()
        outcomes = self._dispatcher.run(deliveries)
        for delivery, result in zip(deliveries, outcomes, strict=True):
            if result.delivered:
                continue
            retry = self._dispatcher.retry_record(delivery, result, started=started)
            results.append(Emit(self._retries, retry, delivery.application_id, delivery.cause))
        return results

    def _deliveries(
        self, envelope: Envelope[Any], notice: Notice, client_id: str | None
    ) -> list[Delivery]:
        deliveries = []
        for subscription in self._subscriptions:
            kind = notice.kind_for(subscription, client_id)
            if kind is None:
                continue
            deliveries.append(
                Delivery(
                    cause=envelope,
                    subscription=subscription,
                    kind=kind,
                    event_id=notice.event_id,
                    application_id=notice.application_id,
                    body=notice.body(kind),
                )
            )
        return deliveries
