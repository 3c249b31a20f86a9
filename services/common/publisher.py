"""Publishing single events from request handlers (HTTP), with broker acknowledgement.

Stages publish inside their batch transaction (``runtime``). An HTTP handler instead needs one
event on the log *before* it answers ``202``: this publisher uses an idempotent producer with
``acks=all`` and resolves an asyncio future from the delivery report, so a request only
succeeds once every in-sync replica has the event.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from concurrent.futures import Future
from typing import Any

from confluent_kafka import KafkaError, KafkaException, Message, Producer

from services.common.contracts.base import EventModel
from services.common.contracts.topics import ANY_WRITER, TopicSpec
from services.common.errors import WriterViolationError
from services.common.runtime.codec import encode
from services.common.runtime.envelope import Emit
from services.common.settings import KafkaSettings

log = logging.getLogger(__name__)


class PublishError(Exception):
    """The broker did not acknowledge the event; the caller should answer 503."""


class EventPublisher:
    """Owns one idempotent producer and the thread that serves its delivery reports."""

    def __init__(
        self,
        kafka: KafkaSettings,
        *,
        service: str,
        linger_ms: int = 2,
        delivery_timeout_ms: int = 10_000,
    ) -> None:
        self._service = service
        self._source = f"/loan-prescreen/{service}"
        self._producer = Producer(
            {
                **kafka.client_config(),
                "enable.idempotence": True,
                "acks": "all",
                "linger.ms": linger_ms,
                "compression.type": "lz4",
                "delivery.timeout.ms": delivery_timeout_ms,
            }
        )
        self._stopping = threading.Event()
        self._poller = threading.Thread(target=self._serve, name="publisher-poll", daemon=True)
        self._poller.start()

    def _serve(self) -> None:
        while not self._stopping.is_set():
            self._producer.poll(0.05)

    def submit(self, topic: TopicSpec[Any], key: str, value: EventModel) -> Future[None]:
        """Produce one event; the future resolves when the broker acknowledged it."""
        if topic.writer not in (self._service, ANY_WRITER):
            raise WriterViolationError(f"{self._service!r} may not write {topic.name!r}")
        done: Future[None] = Future()

        def on_delivery(error: KafkaError | None, _message: Message) -> None:
            if error is None:
                done.set_result(None)
            else:
                done.set_exception(PublishError(error.str()))

        record_key, record_value, headers = encode(Emit(topic, value, key), self._source)
        while True:
            try:
                self._producer.produce(
                    topic.name, record_value, record_key, headers=headers, on_delivery=on_delivery
                )
                return done
            except BufferError:
                # The local queue is full: give the poller a moment to drain it.
                time.sleep(0.005)
            except KafkaException as exc:
                raise PublishError(str(exc)) from exc

    async def publish(self, topic: TopicSpec[Any], key: str, value: EventModel) -> None:
        """Produce one event and wait (without blocking the event loop) for the broker's ack."""
        await asyncio.wrap_future(self.submit(topic, key, value))

    def publish_and_wait(
        self, topic: TopicSpec[Any], key: str, value: EventModel, timeout_s: float = 30.0
    ) -> None:
        """Blocking form of ``publish`` for threads and scripts."""
        self.submit(topic, key, value).result(timeout=timeout_s)

    def close(self, timeout_s: float = 10.0) -> None:
        """Deliver what is queued, then stop the poller."""
        remaining = self._producer.flush(timeout_s)
        if remaining:
            log.error("events left undelivered at shutdown", extra={"count": remaining})
        self._stopping.set()
        self._poller.join(timeout=timeout_s)
        # Dropping the last reference destroys the client, so it stops reconnecting.
        del self._producer
