"""The record written to the dead-letter topic when an event cannot be processed."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from services.common.contracts.base import EventModel

PayloadProtection = Literal["none", "sealed", "withheld"]
FailureKind = Literal["undecodable", "invalid", "handler_error", "retries_exhausted", "rejected"]


class OriginalRecord(EventModel):
    """Where the failed event came from, so it can be found and replayed."""

    topic: str = Field(description="Topic the event was consumed from.")
    partition: int = Field(ge=0)
    offset: int = Field(ge=0)
    key: str | None = Field(default=None, description="Message key (the application id).")
    timestamp_ms: int | None = Field(default=None, description="Broker timestamp of the event.")
    headers: dict[str, str] = Field(
        default_factory=dict, description="Original Kafka headers (CloudEvents attributes)."
    )


class FailureDetail(EventModel):
    kind: FailureKind
    error_class: str = Field(description="Exception class name, e.g. ValidationError.")
    message: str = Field(max_length=4000, description="Error message with personal data redacted.")
    errors: list[str] = Field(
        default_factory=list,
        description="Field paths and messages of validation errors, when the payload was invalid.",
    )
    attempts: int = Field(ge=1, description="How many times the stage tried the event.")


class DeadLetter(EventModel):
    """A failed event, its provenance and why it failed."""

    stage: str = Field(description="Service or stage that gave up on the event.")
    failed_at: datetime
    original: OriginalRecord
    failure: FailureDetail
    payload_b64: str = Field(
        description=(
            "The original message value, base64 encoded, byte for byte, for replay; sealed "
            "(AES-256-GCM, nonce first) or empty when payload_protection says so."
        )
    )
    payload_protection: PayloadProtection = Field(
        default="none",
        description=(
            "none: payload_b64 is the value as consumed. sealed: the value came from a topic "
            "carrying raw personal data and is encrypted with the dead-letter sealing key. "
            "withheld: such a value with no sealing key configured; it was not stored."
        ),
    )
