"""Turning Kafka records into envelopes and emits into Kafka records."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, NamedTuple

from confluent_kafka import Message
from pydantic import ValidationError

from services.common.contracts.cloudevents import (
    CE_ID,
    CE_SOURCE,
    CE_SPEC_VERSION,
    CE_SPECVERSION,
    CE_SUBJECT,
    CE_TIME,
    CE_TYPE,
    CONTENT_TYPE,
    TRACEPARENT,
)
from services.common.contracts.dead_letter import (
    DeadLetter,
    FailureDetail,
    FailureKind,
    OriginalRecord,
)
from services.common.contracts.topics import TopicSpec
from services.common.logs import redact
from services.common.runtime.cloudevents import (
    CONTENT_TYPE_HEADER,
    ORIGIN_TIME,
    CloudEvent,
    KafkaHeaders,
    headers_to_dict,
    new_event_id,
    new_traceparent,
    parse_time,
    trace_id_of,
)
from services.common.runtime.envelope import Emit, Envelope
from services.common.runtime.sealing import PayloadSealer, protect

MAX_ERRORS_LISTED = 20
SPEC_VERSION_BYTES = CE_SPEC_VERSION.encode()
CONTENT_TYPE_BYTES = CONTENT_TYPE.encode()


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
    headers = headers_to_dict(message.headers())
    event = CloudEvent.from_headers(
        headers,
        fallback_id=lambda: f"{message.topic()}:{message.partition()}:{message.offset()}",
        fallback_time=lambda: _broker_time(message),
        fallback_subject=key,
    )
    return Envelope(
        topic=message.topic() or spec.name,
        partition=message.partition() or 0,
        offset=message.offset() or 0,
        key=key,
        value=value,
        event=event,
        origin_time=parse_time(headers.get(ORIGIN_TIME)),
    )


def _broker_time(message: Message) -> datetime:
    _, ts_ms = message.timestamp()
    return datetime.fromtimestamp(ts_ms / 1000, UTC) if ts_ms and ts_ms > 0 else datetime.now(UTC)


class Stamp(NamedTuple):
    """One clock reading for a whole batch, with its RFC 3339 text computed once."""

    time: datetime
    text: bytes

    @classmethod
    def now(cls) -> Stamp:
        time = datetime.now(UTC)
        return cls(time, time.isoformat().encode())


def encode(
    emit: Emit, source: str, stamp: Stamp | None = None
) -> tuple[bytes, bytes, KafkaHeaders]:
    """Key, value and CloudEvents headers for one emit; the trace continues from its cause.

    The headers are assembled directly (not through ``CloudEvent``) and the batch shares one
    ``stamp``: this runs once per event on every hop.
    """
    stamp = stamp or Stamp.now()
    key = emit.key.encode()
    cause = emit.cause
    origin = cause.origin.isoformat().encode() if cause is not None else stamp.text
    headers: KafkaHeaders = [
        (CE_SPECVERSION, SPEC_VERSION_BYTES),
        (CE_ID, new_event_id().encode()),
        (CE_TYPE, emit.topic.ce_type.encode()),
        (CE_SOURCE, source.encode()),
        (CE_TIME, stamp.text),
        (CE_SUBJECT, key),
        (TRACEPARENT, new_traceparent(cause.event.trace_id if cause else None).encode()),
        (CONTENT_TYPE_HEADER, CONTENT_TYPE_BYTES),
        (ORIGIN_TIME, origin),
    ]
    return key, emit.value.model_dump_json().encode(), headers


def dead_letter(
    *,
    message: Message,
    stage: str,
    kind: FailureKind,
    error: BaseException,
    attempts: int,
    sensitive: bool = False,
    sealer: PayloadSealer | None = None,
) -> DeadLetter:
    """The dead-letter record for a failed input, with its provenance and the cause.

    A value from a sensitive topic is sealed (or withheld without a key), never stored plain.
    """
    errors = validation_messages(error) if isinstance(error, ValidationError) else []
    text = f"{len(errors)} validation error(s)" if errors else str(error)
    key = message.key()
    _, ts_ms = message.timestamp()
    coordinates = f"{message.topic()}:{message.partition()}:{message.offset()}"
    payload_b64, protection = protect(
        message.value() or b"", sensitive=sensitive, sealer=sealer, context=coordinates
    )
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
        payload_b64=payload_b64,
        payload_protection=protection,
    )


def dead_letter_headers(record: DeadLetter, ce_type: str, source: str) -> KafkaHeaders:
    """CloudEvents attributes plus provenance headers that let tools filter without parsing.

    The trace of the failed event continues, so a dead letter shows up in the trace of the
    application it belongs to.
    """
    original_trace = trace_id_of(record.original.headers.get(TRACEPARENT))
    event = CloudEvent.new(
        type=ce_type,
        source=source,
        subject=record.original.key or None,
        traceparent=new_traceparent(original_trace),
    )
    return [
        *event.to_headers(),
        ("dlq_original_topic", record.original.topic.encode()),
        ("dlq_original_partition", str(record.original.partition).encode()),
        ("dlq_original_offset", str(record.original.offset).encode()),
        ("dlq_stage", record.stage.encode()),
        ("dlq_error_class", record.failure.error_class.encode()),
        ("dlq_error_message", record.failure.message[:500].encode()),
        ("dlq_failure_kind", record.failure.kind.encode()),
    ]
