"""Envelopes as a stage's handler receives them, for handler tests without a broker."""

from __future__ import annotations

from typing import Any

from services.common.contracts import ApplicationCase
from services.common.contracts.base import EventModel
from services.common.contracts.topics import TopicSpec
from services.common.runtime import Envelope
from services.common.runtime.cloudevents import CloudEvent


def case_envelope(topic: TopicSpec[Any], value: ApplicationCase, offset: int = 0) -> Envelope[Any]:
    """``value`` read from partition 0 of ``topic`` at ``offset``, keyed by its application id."""
    return event_envelope(topic, value, str(value.application_id), offset)


def event_envelope(
    topic: TopicSpec[Any], value: EventModel, key: str, offset: int = 0
) -> Envelope[Any]:
    """Any event ``value`` read from partition 0 of ``topic`` at ``offset`` under ``key``."""
    return Envelope(
        topic=topic.name,
        partition=0,
        offset=offset,
        key=key,
        value=value,
        event=CloudEvent.new(type=topic.ce_type, source="test", subject=key),
    )
