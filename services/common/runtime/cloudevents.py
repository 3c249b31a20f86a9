"""CloudEvents 1.0 attributes carried as Kafka headers (binary content mode).

The value stays plain JSON so any consumer can read it; the attributes travel as ``ce_*``
headers, and ``traceparent`` (W3C Trace Context) lets one trace follow an application through
every stage.
"""

from __future__ import annotations

import os
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

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

KafkaHeaders = list[tuple[str, str | bytes | None]]


CONTENT_TYPE_HEADER = "content-type"
ORIGIN_TIME = "prescreen_origin_time"
"""When the first event of an application's chain was produced; stages copy it forward."""

# Ids only need to be unique, not unpredictable: a generator seeded once from the OS is
# several times cheaper per event than reading os.urandom for every id.
_ids = random.Random(os.urandom(32))  # noqa: S311 - uniqueness, not secrecy


def _random_hex(bits: int) -> str:
    return f"{_ids.getrandbits(bits):0{bits // 4}x}"


def new_event_id() -> str:
    """128 random bits as 32 hex digits: unique per source, which is all CloudEvents asks."""
    return f"{_ids.getrandbits(128):032x}"


def new_traceparent(trace_id: str | None = None) -> str:
    """A W3C traceparent; keeps ``trace_id`` when continuing a trace, with a new span id."""
    return f"00-{trace_id or _random_hex(128)}-{_random_hex(64)}-01"


def trace_id_of(traceparent: str | None) -> str | None:
    """The trace id inside a traceparent, or None when it is missing or malformed."""
    if not traceparent:
        return None
    parts = traceparent.split("-")
    if len(parts) != 4 or len(parts[1]) != 32:
        return None
    return parts[1]


def parse_time(raw: str | None) -> datetime | None:
    """An RFC 3339 timestamp as an aware datetime, or None when missing or malformed."""
    if not raw:
        return None
    try:
        parsed = datetime.fromisoformat(raw)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def headers_to_dict(
    headers: Sequence[tuple[str, bytes | str | None]] | dict[str, str | bytes | None] | None,
) -> dict[str, str]:
    """Kafka headers as text; later duplicates win, undecodable bytes are replaced."""
    result: dict[str, str] = {}
    pairs = headers.items() if isinstance(headers, dict) else headers or ()
    for name, raw in pairs:
        if raw is None:
            result[name] = ""
        elif isinstance(raw, bytes):
            result[name] = raw.decode("utf-8", errors="replace")
        else:
            result[name] = raw
    return result


@dataclass(frozen=True, slots=True)
class CloudEvent:
    """The context attributes of one event."""

    id: str
    type: str
    source: str
    subject: str | None
    time: datetime
    traceparent: str

    @classmethod
    def new(
        cls, *, type: str, source: str, subject: str | None, traceparent: str | None = None
    ) -> CloudEvent:
        return cls(
            id=new_event_id(),
            type=type,
            source=source,
            subject=subject,
            time=datetime.now(UTC),
            traceparent=traceparent or new_traceparent(),
        )

    @property
    def trace_id(self) -> str | None:
        return trace_id_of(self.traceparent)

    def to_headers(self) -> KafkaHeaders:
        headers: KafkaHeaders = [
            (CE_SPECVERSION, CE_SPEC_VERSION.encode()),
            (CE_ID, self.id.encode()),
            (CE_TYPE, self.type.encode()),
            (CE_SOURCE, self.source.encode()),
            (CE_TIME, self.time.isoformat().encode()),
            (TRACEPARENT, self.traceparent.encode()),
            (CONTENT_TYPE_HEADER, CONTENT_TYPE.encode()),
        ]
        if self.subject is not None:
            headers.append((CE_SUBJECT, self.subject.encode()))
        return headers

    @classmethod
    def from_headers(
        cls,
        headers: dict[str, str],
        *,
        fallback_id: Callable[[], str],
        fallback_time: Callable[[], datetime],
        fallback_subject: str | None,
    ) -> CloudEvent:
        """Read the attributes, filling gaps for producers that send none.

        Upstream bank systems may publish plain JSON without CloudEvents headers; such events
        get a deterministic id from their position, so a replay of the same record keeps it.
        The fallbacks are callables because nearly every event has the headers.
        """
        time = parse_time(headers.get(CE_TIME)) or fallback_time()
        traceparent = headers.get(TRACEPARENT)
        if trace_id_of(traceparent) is None:
            traceparent = new_traceparent()
        return cls(
            id=headers.get(CE_ID) or fallback_id(),
            type=headers.get(CE_TYPE, ""),
            source=headers.get(CE_SOURCE, ""),
            subject=headers.get(CE_SUBJECT) or fallback_subject,
            time=time,
            traceparent=traceparent or new_traceparent(),
        )
