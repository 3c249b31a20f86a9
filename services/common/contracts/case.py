"""The case: one application travelling along the configurable chain of screening stages.

Every stage topic carries the same shape, so a bank can reorder the stages (for example fraud
before documents). Each topic's model makes its own stage's section required; sections of
stages that have not run yet are absent.
"""

from __future__ import annotations

from typing import Any, Self, TypeVar
from uuid import UUID

from pydantic import Field, model_validator

from services.common.contracts.application import ReceivedApplication
from services.common.contracts.base import EventModel
from services.common.contracts.primitives import Timestamp
from services.common.contracts.stages import (
    DocumentsResult,
    EarlyOutcome,
    FraudResult,
    ScoringResult,
)

CaseT = TypeVar("CaseT", bound="ApplicationCase")


class ApplicationCase(EventModel):
    """Shared shape of every event between ingest and offers."""

    application_id: UUID = Field(description="Application id; also the Kafka message key.")
    received_at: Timestamp = Field(description="When ingest accepted the application.")
    application: ReceivedApplication
    documents: DocumentsResult | None = Field(default=None, description="Documents stage result.")
    fraud: FraudResult | None = Field(default=None, description="Fraud stage result.")
    scoring: ScoringResult | None = Field(default=None, description="Scoring stage result.")
    early_outcome: EarlyOutcome | None = Field(
        default=None,
        description="Set by the stage that ended the application; later stages pass it on.",
    )
    revision: int = Field(
        default=0,
        ge=0,
        le=1000,
        description=(
            "0 as submitted. A stage that resumes an application it had put on hold (documents, "
            "once the awaited files are uploaded) emits the next revision, which later stages "
            "treat as new work; an application still ends in one decision."
        ),
    )

    @model_validator(mode="after")
    def _skipped_only_after_early_end(self) -> Self:
        for name, result in (
            ("documents", self.documents),
            ("fraud", self.fraud),
            ("scoring", self.scoring),
        ):
            if result is not None and result.status == "skipped" and self.early_outcome is None:
                raise ValueError(f"{name} is 'skipped' but no stage ended the application early")
        return self

    @property
    def idempotency_qualifier(self) -> str:
        """Distinguishes a resumed revision from a duplicate of the same application."""
        return f"r{self.revision}" if self.revision else ""

    @property
    def ended_early(self) -> bool:
        return self.early_outcome is not None

    def advance(self, target: type[CaseT], **updates: Any) -> CaseT:
        """This case as the next topic's event, with the given sections added or replaced."""
        fields = {name: getattr(self, name) for name in type(self).model_fields}
        return target.model_validate({**fields, **updates})


class ApplicationReceived(ApplicationCase):
    """An application ingest accepted and de-duplicated; no stage has run yet."""


class DocumentsVerified(ApplicationCase):
    """The case after the documents stage."""

    documents: DocumentsResult = Field(description="Documents stage result.")


class FraudScreened(ApplicationCase):
    """The case after the fraud stage."""

    fraud: FraudResult = Field(description="Fraud stage result.")


class Scored(ApplicationCase):
    """The case after the scoring stage."""

    scoring: ScoringResult = Field(description="Scoring stage result.")
