"""Turning Kafka records into envelopes and emits into Kafka records."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from confluent_kafka import Message
from pydantic import ValidationError

from services.common.contracts.dead_letter import (
    DeadLetter,
    FailureDetail,
    FailureKind,
    OriginalRecord,
)
from services.common.contracts.topics import TopicSpec
from services.common.logs import redact
from services.common.runtime.cloudevents import (
    CloudEvent,
    KafkaHeaders,
    headers_to_dict,
    new_traceparent,
)
from services.common.runtime.envelope import Emit, Envelope

MAX_ERRORS_LISTED = 20


@dataclass(frozen=True, slots=True)
class Undecodable:
    """A record that could not become an envelope, and why."""

    message: Message
    kind: FailureKind
    error: Exception


def validation_messages(error: ValidationError) -> list[str]:
    """``field.path: message`` lines without the offending input, which may be personal data."""
    lines = []
    for detail in error.errors(include_input=False, include_url=False)[:MAX_ERRORS_LISTED]:
        path = ".".join(str(part) for part in detail["loc"]) or "(root)"
        lines.append(f"{path}: {detail['msg']}")
    return lines


def decode(message: Message, spec: TopicSpec[Any]) -> Envelope[Any] | Undecodable:
    raw = message.value()
    key_bytes = message.key()
    try:
        key = key_bytes.decode() if isinstance(key_bytes, bytes) else key_bytes
    except UnicodeDecodeError as exc:
        return Undecodable(message, "undecodable", exc)
    if raw is None:
        return Undecodable(message, "undecodable", ValueError("record has no value (tombstone)"))
    try:
        value = spec.value_model.model_validate_json(raw)
    except ValidationError as exc:
        kind: FailureKind = "invalid"
        if any(e["type"] == "json_invalid" for e in exc.errors()):
            kind = "undecodable"
        return Undecodable(message, kind, exc)
    _, ts_ms = message.timestamp()
    broker_time = (
        datetime.fromtimestamp(ts_ms / 1000, UTC) if ts_ms and ts_ms > 0 else datetime.now(UTC)
    )
    event = CloudEvent.from_headers(
        headers_to_dict(message.headers()),
        fallback_id=f"{message.topic()}:{message.partition()}:{message.offset()}",
        fallback_time=broker_time,
        fallback_subject=key,
    )
    return Envelope(
        topic=message.topic() or spec.name,
        partition=message.partition() or 0,
        offset=message.offset() or 0,
        key=key,
        value=value,
        event=event,
    )


def encode(emit: Emit, source: str) -> tuple[bytes, bytes, KafkaHeaders]:
    """Key, value and CloudEvents headers for one emit; the trace continues from its cause."""
    trace_id = emit.cause.event.trace_id if emit.cause else None
    event = CloudEvent.new(
        type=emit.topic.ce_type,
        source=source,
        subject=emit.key,
        traceparent=new_traceparent(trace_id),
    )
    return emit.key.encode(), emit.value.model_dump_json().encode(), event.to_headers()


def dead_letter(
    *,
    message: Message,
    stage: str,
    kind: FailureKind,
    error: BaseException,
    attempts: int,
) -> DeadLetter:
    """The dead-letter record for a failed input, with its provenance and the cause."""
    errors = validation_messages(error) if isinstance(error, ValidationError) else []
    text = f"{len(errors)} validation error(s)" if errors else str(error)
    key = message.key()
    _, ts_ms = message.timestamp()
    return DeadLetter(
        stage=stage,
        failed_at=datetime.now(UTC),
        original=OriginalRecord(
            topic=message.topic() or "",
            partition=message.partition() or 0,
            offset=message.offset() or 0,
            key=key.decode("utf-8", errors="replace") if isinstance(key, bytes) else key,
            timestamp_ms=ts_ms if ts_ms and ts_ms > 0 else None,
            headers=headers_to_dict(message.headers()),
        ),
        failure=FailureDetail(
            kind=kind,
            error_class=type(error).__name__,
            message=redact(text)[:4000],
            errors=[redact(line) for line in errors],
            attempts=attempts,
        ),
        payload_b64=base64.b64encode(message.value() or b"").decode(),
    )


def provenance_headers(record: DeadLetter) -> KafkaHeaders:
    """Headers that let tools filter dead letters without parsing the value."""
    return [
        ("dlq_original_topic", record.original.topic.encode()),
        ("dlq_original_partition", str(record.original.partition).encode()),
        ("dlq_original_offset", str(record.original.offset).encode()),
        ("dlq_stage", record.stage.encode()),
        ("dlq_error_class", record.failure.error_class.encode()),
        ("dlq_error_message", record.failure.message[:500].encode()),
        ("dlq_failure_kind", record.failure.kind.encode()),
    ]
