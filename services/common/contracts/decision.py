"""The final decision on an application, written only by the offers service."""

from __future__ import annotations

from enum import StrEnum
from typing import Literal, Self
from uuid import UUID

from pydantic import Field, model_validator

from services.common.contracts.application import LoanRequest
from services.common.contracts.base import EventModel
from services.common.contracts.primitives import (
    CurrencyCode,
    LoanProduct,
    Money,
    Percent,
    Probability,
    ReasonCodeValue,
    StageName,
    Timestamp,
    VersionLabel,
)
from services.common.contracts.stages import MAX_PRINCIPAL_REASONS

MAX_OFFERS = 10


NarrativeSource = Literal["llm", "template"]


class DecisionOutcome(StrEnum):
    APPROVED = "approved"
    COUNTER_OFFERED = "counter_offered"
    REFERRED = "referred"
    DECLINED = "declined"


class PrincipalReason(EventModel):
    """One reason behind the decision and what the applicant could do about it."""

    code: ReasonCodeValue
    text: str = Field(min_length=1, max_length=300, description="The reason in plain language.")
    action: str | None = Field(
        default=None,
        max_length=300,
        description=(
            "Actionable step, e.g. 'Reduce your debt-to-income ratio by 5 points'. Absent when "
            "nothing the applicant does would change the answer."
        ),
    )


class Offer(EventModel):
    """One loan the applicant can take, with the figures they compare side by side."""

    offer_id: str = Field(
        min_length=1,
        max_length=64,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$",
        description="Identifier of the offer, unique within the decision.",
    )
    product: LoanProduct
    secured: bool = Field(default=False, description="Whether the loan needs collateral.")
    amount: Money = Field(gt=0, description="Principal offered.")
    currency: CurrencyCode = "USD"
    interest_rate: Percent = Field(description="Nominal interest rate, % p.a.")
    apr: Percent = Field(description="Annual percentage rate including fees, % p.a.")
    term_months: int = Field(ge=1, le=480, description="Tenure in months.")
    monthly_payment: Money = Field(description="Annuity payment per month.")
    total_interest: Money = Field(description="Interest paid over the whole term.")
    label: str | None = Field(
        default=None,
        max_length=60,
        description="Why this option: 'lowest monthly payment', 'smaller amount', ...",
    )
    fees: Money = Field(default=0.0, description="Origination fee paid at closing.")
    final_payment: Money | None = Field(
        default=None, description="The last payment, adjusted by cents so the balance ends at 0."
    )


class LoanDecision(EventModel):
    """The answer to an application: what was decided, why, by which stage, and the offers."""

    application_id: UUID = Field(description="Application id; also the Kafka message key.")
    customer_id: str = Field(min_length=1, max_length=64)
    outcome: DecisionOutcome
    decided_by: StageName = Field(
        description="Stage whose result decided: an early-ending stage, or offers."
    )
    reasons: tuple[PrincipalReason, ...] = Field(
        default=(),
        max_length=MAX_PRINCIPAL_REASONS,
        description="Principal reasons, most important first; required for a decline.",
    )
    offers: tuple[Offer, ...] = Field(
        default=(),
        max_length=MAX_OFFERS,
        description="Offers; at least one when approved or counter-offered, none otherwise.",
    )
    requested: LoanRequest = Field(description="What the applicant asked for.")
    narrative: str | None = Field(
        default=None,
        max_length=4000,
        description=(
            "Personalised explanation for the applicant. Every figure and reason in it comes "
            "from this event; the text only phrases them."
        ),
    )
    received_at: Timestamp = Field(description="When ingest accepted the application.")
    decided_at: Timestamp = Field(description="When the decision was made.")
    policy_version: VersionLabel = Field(description="Version of the credit policy applied.")
    narrative_source: NarrativeSource | None = Field(
        default=None,
        description="llm: a language model phrased it and every figure and reason was verified; "
        "template: written from the same facts without a model.",
    )
    model_version: VersionLabel | None = Field(
        default=None, description="Version of the default model that scored the application."
    )
    catalogue_version: VersionLabel | None = Field(
        default=None, description="Version of the product catalogue the offers were priced from."
    )
    stage_timings_ms: dict[StageName, float] = Field(
        default_factory=dict,
        max_length=len(StageName),
        description="Milliseconds each stage took, from the previous stage's completion.",
    )
    revision: int = Field(
        default=0, ge=0, le=1000, description="The revision of the application that was decided."
    )
    probability_of_default: Probability | None = Field(
        default=None,
        description="The default model's estimate the decision used; none if it never scored.",
    )

    @model_validator(mode="after")
    def _outcome_matches_offers_and_reasons(self) -> Self:
        with_offers = {DecisionOutcome.APPROVED, DecisionOutcome.COUNTER_OFFERED}
        if self.outcome in with_offers and not self.offers:
            raise ValueError(f"a decision of {self.outcome.value} needs at least one offer")
        if self.outcome not in with_offers and self.offers:
            raise ValueError(f"a decision of {self.outcome.value} carries no offers")
        if self.outcome is DecisionOutcome.DECLINED and not self.reasons:
            raise ValueError("a decline must state its principal reasons")
        if self.decided_at < self.received_at:
            raise ValueError("decided_at is earlier than received_at")
        return self
