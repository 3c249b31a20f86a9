"""What a handler receives and what it returns.

A handler is plain Python: ``handler(batch: Sequence[Envelope]) -> Iterable[Emit | Reject]``.
It never touches Kafka, so it is tested with ordinary objects.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from services.common.contracts.base import EventModel
from services.common.contracts.topics import TopicSpec
from services.common.runtime.cloudevents import CloudEvent

ValueT = TypeVar("ValueT", bound=EventModel)


@dataclass(frozen=True, slots=True)
class Envelope(Generic[ValueT]):
    """One decoded, validated input event and where it came from."""

    topic: str
    partition: int
    offset: int
    key: str | None
    value: ValueT
    event: CloudEvent
    origin_time: datetime | None = None

    @property
    def origin(self) -> datetime:
        """When the chain this event belongs to began (its own time if it is the first)."""
        return self.origin_time or self.event.time

    @property
    def coordinates(self) -> str:
        """``topic:partition:offset`` — unique per record, stable across redelivery."""
        return f"{self.topic}:{self.partition}:{self.offset}"


@dataclass(frozen=True, slots=True)
class Emit:
    """An event the handler wants published, in the same transaction as the input's offset."""

    topic: TopicSpec[Any]
    value: EventModel
    key: str
    cause: Envelope[Any] | None = None

    @classmethod
    def following(cls, cause: Envelope[Any], topic: TopicSpec[Any], value: EventModel) -> Emit:
        """An event caused by ``cause``: same key, same trace."""
        if cause.key is None:
            raise ValueError(f"event at {cause.coordinates} has no key to follow")
        return cls(topic=topic, value=value, key=cause.key, cause=cause)


@dataclass(frozen=True, slots=True)
class Reject:
    """The handler's verdict that an input can never be processed: it goes to the dead letters."""

    cause: Envelope[Any]
    reason: str
