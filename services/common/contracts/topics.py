"""The typed topic registry: every topic, its key, its value model and its one writer.

No service spells a topic name as a string; it imports a ``TopicSpec`` from here. The runtime
refuses to produce to a registered topic from any service other than its writer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Generic, TypeVar

from services.common.contracts.base import EventModel

ValueT = TypeVar("ValueT", bound=EventModel)

ANY_WRITER = "*"
"""Writer of a topic every stage may produce to (the dead-letter topic)."""


@dataclass(frozen=True)
class TopicSpec(Generic[ValueT]):
    """One Kafka topic and its contract."""

    name: str
    value_model: type[ValueT]
    writer: str
    ce_type: str
    description: str
    key: str = "application id"
    partitions: int = 6
    config: dict[str, str] = field(default_factory=dict)
    sensitive: bool = False
    """Values carry raw personal data (an SSN): dead letters never store them in the clear."""

    def __str__(self) -> str:
        return self.name
