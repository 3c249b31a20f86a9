"""A closed window's record decodes like any registered topic's, with CloudEvents headers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from confluent_kafka import Message

from services.common.contracts import Topics
from services.common.contracts.notifications import DecisionStats
from services.common.runtime.cloudevents import ORIGIN_TIME, trace_id_of
from services.common.runtime.codec import decode
from services.common.runtime.envelope import Envelope
from services.notifier.stats.records import SOURCE, stats_record
from tests.unit.contracts import samples


def as_message(key: bytes, value: bytes, headers: list[tuple[str, bytes]]) -> Message:
    kafka_headers: list[tuple[str, str | bytes | None]] = list(headers)
    return Message(
        topic=Topics.DECISION_STATS.name,
        partition=1,
        offset=12,
        key=key,
        value=value,
        headers=kafka_headers,
        timestamp=(1, 1_800_000_000_000),
    )


def test_the_record_decodes_as_the_stats_topic_with_its_attributes() -> None:
    stats = samples.decision_stats()
    before = datetime.now(UTC)
    record = stats_record(stats)
    envelope = decode(as_message(*record), Topics.DECISION_STATS)
    assert isinstance(envelope, Envelope), envelope
    assert envelope.key == stats.key
    assert isinstance(envelope.value, DecisionStats) and envelope.value == stats
    assert envelope.event.type == Topics.DECISION_STATS.ce_type
    assert envelope.event.source == SOURCE == "/loan-prescreen/notifier-stats"
    assert envelope.event.subject == stats.key
    assert len(envelope.event.id) == 32
    assert trace_id_of(envelope.event.traceparent) is not None
    assert before - timedelta(seconds=1) <= envelope.event.time <= datetime.now(UTC)
    names = [name for name, _ in record.headers]
    assert "content-type" in names and ORIGIN_TIME in names
    assert all(isinstance(value, bytes) for _, value in record.headers)


def test_a_republished_window_has_the_same_key_and_value_and_a_new_event_id() -> None:
    first = stats_record(samples.decision_stats())
    again = stats_record(samples.decision_stats())
    assert (first.key, first.value) == (again.key, again.value)
    assert dict(first.headers)["ce_id"] != dict(again.headers)["ce_id"]
