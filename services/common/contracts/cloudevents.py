"""CloudEvents 1.0 attributes as Kafka headers (binary content mode) plus W3C trace context."""

from __future__ import annotations

from typing import Final, Literal

from pydantic import Field

from services.common.contracts.base import EventModel
from services.common.contracts.primitives import Timestamp

CE_ID: Final = "ce_id"
CE_TYPE: Final = "ce_type"
CE_SOURCE: Final = "ce_source"
CE_SPECVERSION: Final = "ce_specversion"
CE_TIME: Final = "ce_time"
CE_SUBJECT: Final = "ce_subject"
TRACEPARENT: Final = "traceparent"

CE_SPEC_VERSION: Final = "1.0"
CONTENT_TYPE: Final = "application/json"

HEADER_NAMES: Final = (CE_ID, CE_TYPE, CE_SOURCE, CE_SPECVERSION, CE_TIME, CE_SUBJECT, TRACEPARENT)


class CloudEventHeaders(EventModel):
    """The headers every event carries; the value is the JSON payload alone."""

    ce_id: str = Field(
        min_length=1,
        max_length=128,
        description="Unique id of this event; a redelivered event keeps its id.",
    )
    ce_type: str = Field(
        pattern=r"^com\.loanprescreen\.[a-z0-9.-]+\.v[0-9]+$",
        description="Event type, e.g. com.loanprescreen.application.received.v1.",
    )
    ce_source: str = Field(
        min_length=1,
        max_length=256,
        description="URI reference of the producing service, e.g. /loan-prescreen/ingest.",
    )
    ce_specversion: Literal["1.0"] = Field(description="CloudEvents specification version.")
    ce_time: Timestamp = Field(description="When the event was produced (RFC 3339).")
    ce_subject: str = Field(
        min_length=1, max_length=128, description="The application id the event is about."
    )
    traceparent: str | None = Field(
        default=None,
        pattern=r"^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$",
        description="W3C trace context, so one application is traceable across stages.",
    )
