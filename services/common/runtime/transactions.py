"""One Kafka transaction per batch: outputs, dead letters and input offsets together.

Error handling follows the transactional producer's contract: retriable errors retry the same
call, abortable errors abort and rewind the consumer to the committed offsets, and fatal errors
(a fenced or broken producer) re-create the producer before rewinding.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from typing import Any

from confluent_kafka import Consumer, KafkaError, KafkaException, Message, Producer, TopicPartition

from services.common.contracts.dead_letter import DeadLetter
from services.common.contracts.topics import TopicSpec
from services.common.runtime.cloudevents import KafkaHeaders
from services.common.runtime.codec import Stamp, dead_letter_headers, encode
from services.common.runtime.envelope import Emit
from services.common.runtime.metrics import StageMetrics
from services.common.runtime.settings import RuntimeSettings
from services.common.settings import KafkaSettings

log = logging.getLogger(__name__)

_CALL_TIMEOUT_S = 30.0


class BatchCommitter:
    """Owns the transactional producer of one stage instance."""

    def __init__(
        self,
        *,
        kafka: KafkaSettings,
        transactional_id: str,
        settings: RuntimeSettings,
        consumer: Consumer,
        metrics: StageMetrics,
        producer_factory: Callable[[dict[str, Any]], Producer] = Producer,
    ) -> None:
        self._producer_factory = producer_factory
        self._config: dict[str, Any] = {
            **kafka.client_config(),
            "transactional.id": transactional_id,
            "transaction.timeout.ms": settings.transaction_timeout_ms,
            "linger.ms": settings.linger_ms,
            "compression.type": settings.compression,
        }
        self._settings = settings
        self._consumer = consumer
        self._metrics = metrics
        self._in_transaction = False
        self._producer = self._new_producer()

    def _new_producer(self) -> Producer:
        producer = self._producer_factory(self._config)
        # Also fences any zombie that still holds this transactional id and aborts its
        # open transaction, so read_committed consumers are not held back by it.
        producer.init_transactions(_CALL_TIMEOUT_S)
        return producer

    def flush(self) -> None:
        """Deliver what was produced so far (inside the open transaction, if any)."""
        self._producer.flush(_CALL_TIMEOUT_S)

    def close(self) -> None:
        if self._in_transaction:
            self.abort_open_transaction()
        self._producer.flush(_CALL_TIMEOUT_S)

    def commit(
        self,
        *,
        records: Sequence[Message],
        emits: Sequence[Emit],
        dead_letters: Sequence[DeadLetter],
        dead_letter_topic: TopicSpec[DeadLetter],
        source: str,
        before_commit: Callable[[], None],
    ) -> bool:
        """Publish and commit the batch; False when it was aborted and the consumer rewound."""
        try:
            self._producer.begin_transaction()
            self._in_transaction = True
            stamp = Stamp.now()
            for emit in emits:
                key, value, headers = encode(emit, source, stamp)
                self._produce(emit.topic.name, key, value, headers)
            for record in dead_letters:
                self._produce(
                    dead_letter_topic.name,
                    (record.original.key or "").encode(),
                    record.model_dump_json().encode(),
                    dead_letter_headers(record, dead_letter_topic.ce_type, source),
                )
            # Inside the transaction, so a crash after it but before the commit only means
            # Kafka redelivers the batch, never that a dead letter's claim outlives its commit.
            before_commit()
            self._retrying(
                lambda: self._producer.send_offsets_to_transaction(
                    _next_offsets(records),
                    self._consumer.consumer_group_metadata(),
                    _CALL_TIMEOUT_S,
                )
            )
            self._retrying(lambda: self._producer.commit_transaction(_CALL_TIMEOUT_S))
            self._in_transaction = False
            self._metrics.transactions.labels(self._metrics.stage, "committed").inc()
            return True
        except KafkaException as exc:
            error: KafkaError = exc.args[0]
            log.warning(
                "transaction failed; rewinding",
                extra={"error": error.str(), "fatal": error.fatal()},
            )
            if error.fatal():
                self._recreate()
            else:
                self.abort_open_transaction()
            self.rewind(records)
            return False
        except BaseException:
            # Redis down, a bug, KeyboardInterrupt: never leave the transaction dangling.
            if self._in_transaction:
                self.abort_open_transaction()
            raise

    def commit_open_transaction(self) -> None:
        if self._in_transaction:
            self._retrying(lambda: self._producer.commit_transaction(_CALL_TIMEOUT_S))
            self._in_transaction = False

    def abort_open_transaction(self) -> None:
        if not self._in_transaction:
            return
        try:
            self._producer.abort_transaction(_CALL_TIMEOUT_S)
            self._metrics.transactions.labels(self._metrics.stage, "aborted").inc()
        except KafkaException as exc:
            log.warning("abort failed; re-creating the producer", extra={"error": str(exc)})
            self._recreate()
        self._in_transaction = False

    def rewind(self, records: Sequence[Message]) -> None:
        """Seek every partition of the batch back to its committed offset."""
        first: dict[tuple[str, int], int] = {}
        for message in records:
            tp = (message.topic() or "", message.partition() or 0)
            first[tp] = min(first.get(tp, message.offset() or 0), message.offset() or 0)
        assigned = {(tp.topic, tp.partition) for tp in self._consumer.assignment()}
        try:
            committed = self._consumer.committed(
                [TopicPartition(t, p) for (t, p) in first], timeout=10
            )
            positions = {
                (tp.topic, tp.partition): tp.offset
                if tp.offset >= 0
                else first[tp.topic, tp.partition]
                for tp in committed
            }
        except KafkaException:
            # Without the group coordinator, the batch's first offsets are the committed
            # positions: every earlier batch was committed before this one was polled.
            positions = first
        for (topic, partition), offset in positions.items():
            if (topic, partition) in assigned:
                try:
                    self._consumer.seek(TopicPartition(topic, partition, offset))
                except KafkaException as exc:
                    log.warning("seek failed", extra={"topic": topic, "error": str(exc)})

    def _recreate(self) -> None:
        self._in_transaction = False
        self._metrics.transactions.labels(self._metrics.stage, "fatal").inc()
        self._producer = self._new_producer()

    def _produce(self, topic: str, key: bytes, value: bytes, headers: KafkaHeaders) -> None:
        while True:
            try:
                self._producer.produce(topic, value, key, headers=headers)
                return
            except BufferError:
                # Local queue full: let librdkafka deliver some, then try again.
                self._producer.poll(0.05)

    def _retrying(self, call: Callable[[], None]) -> None:
        attempt = 0
        while True:
            try:
                call()
                return
            except KafkaException as exc:
                error: KafkaError = exc.args[0]
                attempt += 1
                if (
                    not error.retriable()
                    or error.txn_requires_abort()
                    or attempt > self._settings.commit_retries
                ):
                    raise
                time.sleep(min(self._settings.retry_backoff_max_s, 0.1 * 2**attempt))


def _next_offsets(records: Sequence[Message]) -> list[TopicPartition]:
    highest: dict[tuple[str, int], int] = {}
    for message in records:
        tp = (message.topic() or "", message.partition() or 0)
        highest[tp] = max(highest.get(tp, -1), message.offset() or 0)
    return [TopicPartition(t, p, offset + 1) for (t, p), offset in highest.items()]
