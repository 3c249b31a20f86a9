"""The Kafka reader's decoding: bad records are counted and skipped, good ones passed on."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from services.common.settings import KafkaSettings
from services.notifier.dashboard.feed import DecisionFeed
from tests.unit.notifier.dashboard.support import decision


@dataclass
class FakeMessage:
    """The part of ``confluent_kafka.Message`` the reader and the codec use."""

    raw: bytes | None
    offset_: int
    headers_: list[tuple[str, bytes]] = field(default_factory=list)

    def error(self) -> Any:
        return None

    def value(self) -> bytes | None:
        return self.raw

    def key(self) -> bytes:
        return b"key"

    def headers(self) -> list[tuple[str, bytes]]:
        return self.headers_

    def topic(self) -> str:
        return "t.decisions"

    def partition(self) -> int:
        return 0

    def offset(self) -> int:
        return self.offset_

    def timestamp(self) -> tuple[int, int]:
        return (1, 1_700_000_000_000)


def test_undecodable_and_invalid_records_are_counted_and_skipped() -> None:
    feed = DecisionFeed(KafkaSettings(), topic="t.decisions", window_s=900)
    good = decision(1, decided_at=datetime.now(UTC)).model_dump_json().encode()
    messages = [
        FakeMessage(b"{not json", 0),
        FakeMessage(b'{"application_id": "nope"}', 1),
        FakeMessage(None, 2),  # a tombstone
        FakeMessage(good, 3),
    ]
    decisions = feed._decode(messages)
    assert [d.application_id.int for d in decisions] == [1]
    stats = feed.stats()
    assert stats.records == 4 and stats.decisions == 1
    assert (stats.skipped_undecodable, stats.skipped_invalid) == (2, 1)


def test_not_ready_before_it_reads_anything() -> None:
    feed = DecisionFeed(KafkaSettings(), topic="t.decisions", window_s=900)
    assert feed.alive()[0]
    ready, detail = feed.ready()
    assert not ready and "not started" in detail
