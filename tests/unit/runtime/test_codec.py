"""Decoding records into envelopes and failures into dead letters."""

from __future__ import annotations

import base64
from datetime import UTC, datetime

import orjson
from confluent_kafka import Message

from services.common.contracts.cloudevents import HEADER_NAMES, CloudEventHeaders
from services.common.runtime.cloudevents import CloudEvent, KafkaHeaders, headers_to_dict
from services.common.runtime.codec import (
    Undecodable,
    dead_letter,
    dead_letter_headers,
    decode,
    encode,
)
from services.common.runtime.envelope import Emit, Envelope
from services.common.runtime.relay import RelayEvent, relay_topic

SPEC = relay_topic("in.v1", writer="upstream")
GOOD = orjson.dumps({"event_id": "a-1", "sequence": 1, "created_ns": 5, "payload": "x"})


def record(value: bytes | None, headers: KafkaHeaders | None = None) -> Message:
    return Message(
        topic="in.v1",
        partition=2,
        offset=41,
        key=b"a-1",
        value=value,
        headers=headers,
        timestamp=(1, 1_700_000_000_000),
    )


def test_valid_record_becomes_an_envelope_with_filled_in_attributes() -> None:
    envelope = decode(record(GOOD), SPEC)
    assert isinstance(envelope, Envelope)
    assert envelope.value.sequence == 1
    assert envelope.coordinates == "in.v1:2:41"
    # No CloudEvents headers (a bank system publishing plain JSON): id from the position.
    assert envelope.event.id == "in.v1:2:41"
    assert envelope.event.subject == "a-1"
    assert envelope.event.time == datetime.fromtimestamp(1_700_000_000, UTC)


def test_cloudevents_headers_are_read() -> None:
    event = CloudEvent.new(type="t.v1", source="/loan-prescreen/ingest", subject="a-1")
    envelope = decode(record(GOOD, event.to_headers()), SPEC)
    assert isinstance(envelope, Envelope)
    assert envelope.event.id == event.id
    assert envelope.event.trace_id == event.trace_id
    assert envelope.event.time == event.time


def test_broken_json_is_undecodable_and_a_bad_field_is_invalid() -> None:
    broken = decode(record(b"{not json"), SPEC)
    assert isinstance(broken, Undecodable) and broken.kind == "undecodable"
    bad = decode(record(orjson.dumps({"event_id": "a", "sequence": -1, "created_ns": 0})), SPEC)
    assert isinstance(bad, Undecodable) and bad.kind == "invalid"
    tombstone = decode(record(None), SPEC)
    assert isinstance(tombstone, Undecodable)


def test_dead_letter_keeps_provenance_field_paths_and_exact_bytes_but_no_input() -> None:
    raw = orjson.dumps({"event_id": "a", "sequence": "123-45-6789", "created_ns": 0})
    failure = decode(record(raw), SPEC)
    assert isinstance(failure, Undecodable)
    letter = dead_letter(
        message=failure.message, stage="relay", kind=failure.kind, error=failure.error, attempts=1
    )
    assert (letter.original.topic, letter.original.partition, letter.original.offset) == (
        "in.v1",
        2,
        41,
    )
    assert letter.failure.errors and letter.failure.errors[0].startswith("sequence:")
    assert base64.b64decode(letter.payload_b64) == raw
    # The offending value (an SSN-like string) is not echoed into the error text.
    assert "123-45-6789" not in letter.failure.model_dump_json()


def test_encode_continues_the_trace_of_the_cause() -> None:
    cause = decode(
        record(GOOD, CloudEvent.new(type="t", source="s", subject="a-1").to_headers()), SPEC
    )
    assert isinstance(cause, Envelope)
    out = relay_topic("out.v1", writer="relay")
    key, value, headers = encode(Emit.following(cause, out, cause.value), "/loan-prescreen/relay")
    attributes = headers_to_dict(headers)
    assert key == b"a-1"
    assert RelayEvent.model_validate_json(value) == cause.value
    assert attributes["ce_subject"] == "a-1"
    assert attributes["ce_type"] == out.ce_type
    assert attributes["ce_specversion"] == "1.0"
    assert attributes["traceparent"].split("-")[1] == cause.event.trace_id
    assert attributes["ce_id"] != cause.event.id
    # The headers satisfy the documented CloudEvents contract (schemas/asyncapi.yaml).
    CloudEventHeaders.model_validate({name: attributes[name] for name in HEADER_NAMES})


def test_origin_time_is_carried_forward_through_every_hop() -> None:
    first = decode(record(GOOD), SPEC)
    assert isinstance(first, Envelope)
    out = relay_topic("out.v1", writer="relay")
    _key, value, headers = encode(Emit.following(first, out, first.value), "/loan-prescreen/a")
    second = decode(
        Message(
            topic="out.v1",
            partition=0,
            offset=1,
            key=b"a-1",
            value=value,
            headers=headers,
            timestamp=(1, 1_800_000_000_000),
        ),
        out,
    )
    assert isinstance(second, Envelope)
    # The second hop's own event time is new; its origin is still the first record's time.
    assert second.event.time != first.event.time
    assert second.origin == first.origin == datetime.fromtimestamp(1_700_000_000, UTC)


def test_dead_letters_carry_cloudevents_and_provenance_headers() -> None:
    traced = CloudEvent.new(type="t", source="s", subject="a-1")
    failure = decode(record(b"{oops", traced.to_headers()), SPEC)
    assert isinstance(failure, Undecodable)
    letter = dead_letter(
        message=failure.message, stage="relay", kind=failure.kind, error=failure.error, attempts=1
    )
    headers = headers_to_dict(
        dead_letter_headers(letter, "com.loanprescreen.dead-letter.v1", "/loan-prescreen/relay")
    )
    CloudEventHeaders.model_validate({name: headers[name] for name in HEADER_NAMES})
    assert headers["ce_subject"] == "a-1"
    assert headers["traceparent"].split("-")[1] == traced.trace_id
    assert headers["dlq_original_topic"] == "in.v1"
    assert headers["dlq_original_offset"] == "41"
    assert headers["dlq_failure_kind"] == "undecodable"
    assert headers["dlq_stage"] == "relay"
