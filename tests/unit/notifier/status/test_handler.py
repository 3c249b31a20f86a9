"""The status stage hands every event's update to the store and publishes nothing."""

from __future__ import annotations

from collections.abc import Sequence

from services.common.contracts import Topics
from services.common.testing.envelopes import case_envelope
from services.notifier.status.handler import StatusHandler
from services.notifier.status.projection import StatusUpdate
from tests.unit.contracts import samples


class Recorded:
    def __init__(self) -> None:
        self.updates: list[StatusUpdate] = []

    def apply(self, updates: Sequence[StatusUpdate]) -> int:
        self.updates.extend(updates)
        return len(updates)


def test_updates_go_to_the_store_and_nothing_is_published() -> None:
    sink = Recorded()
    batch = [
        case_envelope(Topics.RECEIVED, samples.received(), 0),  # ingest already recorded it
        case_envelope(Topics.SCORED, samples.scored(), 1),
    ]
    assert StatusHandler(sink)(batch) == []
    assert [(u.status, u.stage) for u in sink.updates] == [("scored", "scoring")]
