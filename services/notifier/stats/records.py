"""The Kafka record of one closed window, with the CloudEvents headers every stage sends."""

from __future__ import annotations

from typing import Final, NamedTuple

from services.common.contracts import Topics
from services.common.contracts.notifications import DecisionStats
from services.common.runtime.cloudevents import ORIGIN_TIME, CloudEvent

STAGE: Final = "notifier-stats"
SOURCE: Final = f"/loan-prescreen/{STAGE}"


class StatsRecord(NamedTuple):
    key: bytes
    value: bytes
    headers: list[tuple[str, bytes]]


def stats_record(stats: DecisionStats) -> StatsRecord:
    """Key, JSON value and headers; a new event id each time, the same key and figures.

    A window has no input event behind it, so it starts its own trace and its origin is its
    own production time, as the runtime does for an emit without a cause.
    """
    event = CloudEvent.new(type=Topics.DECISION_STATS.ce_type, source=SOURCE, subject=stats.key)
    headers = [
        (name, value.encode() if isinstance(value, str) else value)
        for name, value in event.to_headers()
        if value is not None
    ]
    headers.append((ORIGIN_TIME, event.time.isoformat().encode()))
    return StatsRecord(stats.key.encode(), stats.model_dump_json().encode(), headers)
