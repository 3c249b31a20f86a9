"""Re-publishing dead letters to the topic they came from, once the cause is fixed.

The dead-letter topic is read from its start up to its end at the time of the call. Each
matching record's original bytes, key and headers are produced again; a Redis mark per
dead-letter record, written once the broker acknowledged the copy, keeps later runs from
replaying it again. A crash between that acknowledgement and the mark can replay one record
twice; the consuming stage's duplicate filter drops the second copy. If the replayed event
fails again it becomes a new dead letter, which a later run can replay.
"""

from __future__ import annotations

import base64
import logging
import time
from dataclasses import dataclass, field
from typing import Any

import redis
from confluent_kafka import Consumer, KafkaError, KafkaException, Message, Producer, TopicPartition
from pydantic import ValidationError

from services.common.contracts.dead_letter import DeadLetter
from services.common.runtime.sealing import PayloadSealer, SealError
from services.common.settings import KafkaSettings

log = logging.getLogger(__name__)

REPLAYED_FROM_HEADER = "dlq_replayed_from"


@dataclass(frozen=True, slots=True)
class ReplayFilter:
    """Which dead letters to replay; ``None`` matches anything."""

    original_topic: str | None = None
    stage: str | None = None
    error_class: str | None = None
    kind: str | None = None

    def matches(self, record: DeadLetter) -> bool:
        return (
            (self.original_topic is None or record.original.topic == self.original_topic)
            and (self.stage is None or record.stage == self.stage)
            and (self.error_class is None or record.failure.error_class == self.error_class)
            and (self.kind is None or record.failure.kind == self.kind)
        )


@dataclass(slots=True)
class ReplayReport:
    scanned: int = 0
    matched: int = 0
    replayed: int = 0
    already_replayed: int = 0
    unreadable: int = 0
    not_replayable: int = 0
    dry_run: bool = False
    replayed_records: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "scanned": self.scanned,
            "matched": self.matched,
            "replayed": self.replayed,
            "already_replayed": self.already_replayed,
            "unreadable": self.unreadable,
            "not_replayable": self.not_replayable,
            "dry_run": self.dry_run,
            "records": self.replayed_records,
        }


def replay_dead_letters(
    *,
    kafka: KafkaSettings,
    redis_client: redis.Redis,
    dead_letter_topic: str,
    key_prefix: str = "prescreen",
    selection: ReplayFilter | None = None,
    limit: int | None = None,
    dry_run: bool = False,
    timeout_s: float = 30.0,
    mark_ttl_s: int = 60 * 24 * 3600,
    sealer: PayloadSealer | None = None,
) -> ReplayReport:
    """Replay matching dead letters; ``limit`` caps how many are (or would be) replayed.

    Marks expire after ``mark_ttl_s`` — keep it well above the dead-letter topic's retention
    (30 days), since Kafka deletes whole segments and may keep a record a little longer.
    """
    selection = selection or ReplayFilter()
    report = ReplayReport(dry_run=dry_run)
    consumer = Consumer(
        {
            **kafka.client_config(),
            "group.id": "prescreen.dlq-replay",
            "enable.auto.commit": False,
            "isolation.level": "read_committed",
            "enable.partition.eof": True,
        }
    )
    producer = Producer({**kafka.client_config(), "enable.idempotence": True, "linger.ms": 5})
    try:
        pending = _assign_all(consumer, dead_letter_topic)
        deadline = time.monotonic() + timeout_s
        while pending and time.monotonic() < deadline:
            if limit is not None and len(report.replayed_records) >= limit:
                break
            message = consumer.poll(0.5)
            if message is None:
                continue
            error = message.error()
            if error is not None:
                if error.code() == KafkaError._PARTITION_EOF:
                    pending.discard(message.partition() or 0)
                    continue
                raise KafkaException(error)
            _replay_one(
                message, producer, redis_client, key_prefix, selection, report, mark_ttl_s, sealer
            )
        if pending:
            log.warning("replay stopped before the end of the dead-letter topic")
    finally:
        consumer.close()
    remaining = producer.flush(timeout_s)
    if remaining:
        raise RuntimeError(f"{remaining} replayed records were not acknowledged by the broker")
    return report


def _assign_all(consumer: Consumer, topic: str) -> set[int]:
    metadata = consumer.list_topics(topic, timeout=10)
    topic_meta = metadata.topics.get(topic)
    if topic_meta is None or topic_meta.error is not None:
        raise RuntimeError(f"dead-letter topic {topic!r} does not exist")
    partitions = sorted(topic_meta.partitions)
    # OFFSET_BEGINNING = -2: read each partition from its start, not from a group position.
    consumer.assign([TopicPartition(topic, p, -2) for p in partitions])
    return set(partitions)


def _replay_one(
    message: Message,
    producer: Producer,
    client: redis.Redis,
    key_prefix: str,
    selection: ReplayFilter,
    report: ReplayReport,
    mark_ttl_s: int,
    sealer: PayloadSealer | None,
) -> None:
    report.scanned += 1
    try:
        record = DeadLetter.model_validate_json(message.value() or b"")
    except ValidationError:
        report.unreadable += 1
        return
    if not selection.matches(record):
        return
    report.matched += 1
    coordinates = f"{message.topic()}:{message.partition()}:{message.offset()}"
    marker = f"{key_prefix}:dlq-replayed:{coordinates}"
    summary = {
        "dead_letter": coordinates,
        "original_topic": record.original.topic,
        "original_offset": record.original.offset,
        "stage": record.stage,
        "error_class": record.failure.error_class,
    }
    if client.exists(marker):
        report.already_replayed += 1
        return
    try:
        payload = payload_of(record, sealer)
    except SealError:
        # A rotated or wrong key: report it and go on with the other dead letters.
        payload = None
    if payload is None:
        report.not_replayable += 1
        log.warning(
            "dead letter holds no replayable payload",
            extra={"dead_letter": coordinates, "protection": record.payload_protection},
        )
        return
    if report.dry_run:
        report.replayed_records.append(summary)
        return
    headers: list[tuple[str, str | bytes | None]] = [
        (name, value.encode()) for name, value in record.original.headers.items()
    ]
    headers.append((REPLAYED_FROM_HEADER, coordinates.encode()))
    producer.produce(
        record.original.topic,
        payload,
        record.original.key.encode() if record.original.key is not None else None,
        headers=headers,
    )
    if producer.flush(30) != 0:
        raise RuntimeError(f"replay of {coordinates} was not acknowledged")
    client.set(marker, record.original.topic, ex=mark_ttl_s)
    report.replayed += 1
    report.replayed_records.append(summary)


def payload_of(record: DeadLetter, sealer: PayloadSealer | None) -> bytes | None:
    """The original bytes, or None when they were withheld or the key to open them is missing."""
    if record.payload_protection == "none":
        return base64.b64decode(record.payload_b64)
    if record.payload_protection == "sealed" and sealer is not None:
        original = record.original
        return sealer.open(
            record.payload_b64, f"{original.topic}:{original.partition}:{original.offset}"
        )
    return None
