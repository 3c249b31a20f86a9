"""The status projection as a stage: stage events and decisions in, the status in Redis out.

It publishes nothing: the status is what ``GET /v1/applications/{id}`` serves. Updates are
written before the runtime commits the batch's offsets, and merging is idempotent, so a replay
after a crash writes nothing new.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from services.common.contracts import Topics
from services.common.runtime import Emit, Envelope
from services.notifier.status.projection import StatusUpdate, update_of

INPUTS = (Topics.DOCUMENTS_VERIFIED, Topics.FRAUD_SCREENED, Topics.SCORED, Topics.DECISIONS)
"""Every topic whose events move an application's status."""


class StatusSink(Protocol):
    def apply(self, updates: Sequence[StatusUpdate]) -> int: ...


class StatusHandler:
    def __init__(self, sink: StatusSink) -> None:
        self._sink = sink

    def __call__(self, batch: Sequence[Envelope[Any]]) -> list[Emit]:
        updates = [u for u in (update_of(envelope.value) for envelope in batch) if u is not None]
        self._sink.apply(updates)
        return []
