"""Every Kafka topic of the platform, its value model and its single writer."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, ClassVar, Final

from services.common.contracts.application import SubmittedApplication
from services.common.contracts.case import (
    ApplicationReceived,
    DocumentsVerified,
    FraudScreened,
    Scored,
)
from services.common.contracts.dead_letter import DeadLetter
from services.common.contracts.decision import LoanDecision
from services.common.contracts.documents import DocumentsUploaded
from services.common.contracts.notifications import DecisionStats, WebhookRetry
from services.common.contracts.topics import ANY_WRITER, TopicSpec

__all__ = ["ANY_WRITER", "DEFAULT_READERS", "UPSTREAM_WRITER", "Topics"]

UPSTREAM_WRITER: Final = "upstream"
"""Writer of a topic that bank systems outside the platform write to."""

CE_TYPE_PREFIX: Final = "com.loanprescreen."

_THIRTY_DAYS_MS: Final = str(30 * 24 * 60 * 60 * 1000)
_SEVEN_DAYS_MS: Final = str(7 * 24 * 60 * 60 * 1000)


class Topics:
    """The topic registry. Services refer to ``Topics.RECEIVED``, never to a name string."""

    SUBMITTED: ClassVar[TopicSpec[SubmittedApplication]] = TopicSpec(
        name="loan.applications.submitted.v1",
        value_model=SubmittedApplication,
        writer=UPSTREAM_WRITER,
        ce_type=f"{CE_TYPE_PREFIX}application.submitted.v1",
        description=(
            "Applications published by upstream bank systems; ingest validates them exactly "
            "like HTTP submissions. Carries the raw SSN: restrict read access to ingest."
        ),
        key="application id chosen by the submitter, else the customer id",
        sensitive=True,
    )
    RECEIVED: ClassVar[TopicSpec[ApplicationReceived]] = TopicSpec(
        name="loan.applications.received.v1",
        value_model=ApplicationReceived,
        writer="ingest",
        ce_type=f"{CE_TYPE_PREFIX}application.received.v1",
        description="Accepted, de-duplicated applications with the SSN tokenized.",
    )
    DOCUMENTS_UPLOADED: ClassVar[TopicSpec[DocumentsUploaded]] = TopicSpec(
        name="loan.applications.documents-uploaded.v1",
        value_model=DocumentsUploaded,
        writer="ingest",
        ce_type=f"{CE_TYPE_PREFIX}application.documents-uploaded.v1",
        description="Files uploaded for a submitted application (references, never content).",
    )
    DOCUMENTS_VERIFIED: ClassVar[TopicSpec[DocumentsVerified]] = TopicSpec(
        name="loan.applications.documents-verified.v1",
        value_model=DocumentsVerified,
        writer="documents",
        ce_type=f"{CE_TYPE_PREFIX}application.documents-verified.v1",
        description="Applications after document classification, extraction and ID checks.",
    )
    FRAUD_SCREENED: ClassVar[TopicSpec[FraudScreened]] = TopicSpec(
        name="loan.applications.fraud-screened.v1",
        value_model=FraudScreened,
        writer="fraud",
        ce_type=f"{CE_TYPE_PREFIX}application.fraud-screened.v1",
        description="Applications after watch-list, identity and velocity screening.",
    )
    SCORED: ClassVar[TopicSpec[Scored]] = TopicSpec(
        name="loan.applications.scored.v1",
        value_model=Scored,
        writer="scoring",
        ce_type=f"{CE_TYPE_PREFIX}application.scored.v1",
        description="Applications after bureau data, credit policy and the default model.",
    )
    DECISIONS: ClassVar[TopicSpec[LoanDecision]] = TopicSpec(
        name="loan.decisions.v1",
        value_model=LoanDecision,
        writer="offers",
        ce_type=f"{CE_TYPE_PREFIX}decision.v1",
        description=(
            "Final decisions with reasons and offers. Offers is the only writer: applications "
            "a stage ended early reach it with their early outcome set."
        ),
    )
    WEBHOOK_RETRIES: ClassVar[TopicSpec[WebhookRetry]] = TopicSpec(
        name="loan.notifier.webhook-retries.v1",
        value_model=WebhookRetry,
        writer="notifier",
        ce_type=f"{CE_TYPE_PREFIX}notifier.webhook-retry.v1",
        description=(
            "Webhook deliveries that failed and are owed another attempt after a backoff; the "
            "notifier dead-letters one after its last attempt."
        ),
        partitions=3,
        config={"retention.ms": _SEVEN_DAYS_MS},
    )
    DECISION_STATS: ClassVar[TopicSpec[DecisionStats]] = TopicSpec(
        name="loan.decision-stats.v1",
        value_model=DecisionStats,
        writer="notifier",
        ce_type=f"{CE_TYPE_PREFIX}decision-stats.v1",
        description=(
            "Decisions per product and outcome in closed one-minute windows of decision time, "
            "for dashboards outside the platform."
        ),
        key="window start, product and outcome",
        partitions=3,
        config={"cleanup.policy": "compact,delete", "retention.ms": _THIRTY_DAYS_MS},
    )
    DLQ: ClassVar[TopicSpec[DeadLetter]] = TopicSpec(
        name="loan.dlq.v1",
        value_model=DeadLetter,
        writer=ANY_WRITER,
        ce_type=f"{CE_TYPE_PREFIX}dead-letter.v1",
        description="Events a stage could not decode or process, with provenance, for replay.",
        partitions=3,
        config={"retention.ms": _THIRTY_DAYS_MS},
    )

    @classmethod
    def all(cls) -> tuple[TopicSpec[Any], ...]:
        """Every registered topic, in pipeline order."""
        return (
            cls.SUBMITTED,
            cls.RECEIVED,
            cls.DOCUMENTS_UPLOADED,
            cls.DOCUMENTS_VERIFIED,
            cls.FRAUD_SCREENED,
            cls.SCORED,
            cls.DECISIONS,
            cls.WEBHOOK_RETRIES,
            cls.DECISION_STATS,
            cls.DLQ,
        )

    @classmethod
    def by_name(cls, name: str) -> TopicSpec[Any]:
        """The spec of the topic called ``name``; ``KeyError`` naming the known topics if none."""
        for spec in cls.all():
            if spec.name == name:
                return spec
        known = ", ".join(spec.name for spec in cls.all())
        raise KeyError(f"unknown topic {name!r}; registered topics: {known}")


DEFAULT_READERS: Final[Mapping[str, tuple[str, ...]]] = MappingProxyType(
    {
        Topics.SUBMITTED.name: ("ingest",),
        Topics.RECEIVED.name: ("documents",),
        Topics.DOCUMENTS_UPLOADED.name: ("documents",),
        Topics.DOCUMENTS_VERIFIED.name: ("fraud",),
        Topics.FRAUD_SCREENED.name: ("scoring",),
        Topics.SCORED.name: ("offers",),
        Topics.DECISIONS.name: ("notifier",),
        Topics.WEBHOOK_RETRIES.name: ("notifier",),
        Topics.DECISION_STATS.name: (),
        Topics.DLQ.name: ("dlq-replay",),
    }
)
"""Who consumes each topic in the default chain. Banks may reorder the stages in
configuration, so this documents the default wiring; it does not enforce it."""
