"""The one admission decision shared by the HTTP route and the Kafka intake.

``accept`` takes a submission as raw JSON (bytes or text), as JSON-like data, or as an already
decoded ``SubmittedApplication`` (the Kafka runtime decodes with the same model before the
handler runs), and returns either ``Accepted`` with the ``ApplicationReceived`` event ready to
publish, or ``Rejected`` with every violation as a field path and a rule id. It has no I/O and
no clock of its own, so both paths answer the same way for the same input.

Application ids, in order of preference:

1. the submitter's ``application_id``: resubmitting it is recognisably the same application;
2. the ``application_id`` the caller passes: the Kafka intake derives it from the record's
   coordinates (``record_application_id``), so a redelivered or retried record keeps its id
   and the stage stays deterministic; the HTTP route chooses its own;
3. otherwise a fresh random UUID (v4).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Final, Literal
from uuid import UUID

from pydantic import ValidationError
from pydantic_core import PydanticSerializationError, to_json

from services.common.contracts import ApplicationReceived, LoanProduct, SubmittedApplication
from services.common.logs import redact
from services.ingest.protection import Protector
from services.ingest.settings import IngestSettings
from services.ingest.validation import (
    DEFAULT_CLOCK_SKEW,
    PRODUCT_TERMS,
    TermRange,
    Violation,
    validate_application,
)

MAX_VIOLATIONS_LISTED: Final = 50
RECORD_NAMESPACE: Final = UUID("0b7d3f2e-3c1a-5e47-9a0e-6f1f5d2c8a41")
"""Namespace of the uuid5 ids derived from Kafka record coordinates; never change it, or a
redelivered record would get a new id."""

RejectionKind = Literal["too_large", "invalid"]


@dataclass(frozen=True, slots=True)
class IntakeConfig:
    """What ``accept`` needs besides the submission: keys, limits and product policy."""

    protector: Protector
    max_body_bytes: int
    clock_skew: timedelta = DEFAULT_CLOCK_SKEW
    product_terms: Mapping[LoanProduct, TermRange] = field(default_factory=lambda: PRODUCT_TERMS)

    @classmethod
    def from_settings(cls, settings: IngestSettings) -> IntakeConfig:
        return cls(
            protector=Protector.from_settings(settings),
            max_body_bytes=settings.max_body_bytes,
            clock_skew=timedelta(seconds=settings.clock_skew_s),
        )


@dataclass(frozen=True, slots=True)
class Accepted:
    """The application passed; publish ``event`` under ``key``."""

    event: ApplicationReceived

    @property
    def application_id(self) -> UUID:
        return self.event.application_id

    @property
    def key(self) -> str:
        """Kafka key of the received event: the application id."""
        return str(self.event.application_id)


@dataclass(frozen=True, slots=True)
class Rejected:
    """The submission was refused; ``violations`` lists every reason found."""

    kind: RejectionKind
    violations: tuple[Violation, ...]

    @property
    def reason(self) -> str:
        """One line of field paths and rule ids (no values), for dead letters and logs."""
        listed = "; ".join(str(v) for v in self.violations[:MAX_VIOLATIONS_LISTED])
        return f"submission {self.kind}: {len(self.violations)} violation(s): {listed}"


def record_application_id(topic: str, partition: int, offset: int) -> UUID:
    """The id of a submission that came without one, from its Kafka record coordinates."""
    return uuid.uuid5(RECORD_NAMESPACE, f"{topic}:{partition}:{offset}")


def accept(
    raw: bytes | str | Mapping[str, Any] | SubmittedApplication,
    *,
    application_id: UUID | None,
    received_at: datetime,
    config: IntakeConfig,
) -> Accepted | Rejected:
    """Parse, check and protect one submission; see the module docstring for the id."""
    parsed = parse(raw, max_body_bytes=config.max_body_bytes)
    if isinstance(parsed, Rejected):
        return parsed
    violations = validate_application(
        parsed,
        now=received_at,
        clock_skew=config.clock_skew,
        product_terms=config.product_terms,
    )
    if violations:
        return Rejected("invalid", tuple(violations))
    chosen = parsed.application_id or application_id or uuid.uuid4()
    event = ApplicationReceived(
        application_id=chosen,
        received_at=received_at,
        application=config.protector.protect(parsed, chosen),
    )
    return Accepted(event)


def parse(
    raw: bytes | str | Mapping[str, Any] | SubmittedApplication, *, max_body_bytes: int
) -> SubmittedApplication | Rejected:
    """The submission as a model, or why it is not one (size, JSON or types)."""
    if isinstance(raw, SubmittedApplication):
        return raw
    if isinstance(raw, Mapping):
        # Through JSON, so HTTP bodies, Kafka values and Python callers meet the same (JSON
        # mode) validation, and the size limit counts the same bytes.
        try:
            raw = to_json(raw)
        except PydanticSerializationError:
            return Rejected(
                "invalid",
                (Violation("(root)", "not_json", "The submission is not JSON-serialisable."),),
            )
    data = raw.encode() if isinstance(raw, str) else raw
    if len(data) > max_body_bytes:
        return Rejected(
            "too_large",
            (
                Violation(
                    "(root)",
                    "payload_too_large",
                    f"The submission exceeds {max_body_bytes} bytes.",
                ),
            ),
        )
    try:
        return SubmittedApplication.model_validate_json(data)
    except ValidationError as exc:
        return Rejected("invalid", violations_of(exc))


def violations_of(error: ValidationError) -> tuple[Violation, ...]:
    """Pydantic errors as violations: path, error type and message, never the input."""
    return tuple(
        Violation(
            field=".".join(str(part) for part in detail["loc"]) or "(root)",
            rule=detail["type"],
            message=redact(detail["msg"]),
        )
        for detail in error.errors(include_input=False, include_url=False, include_context=False)
    )
