"""What a narrative may say: the structured, non-identifying facts of one decision.

The offers stage builds these from figures it computed and reasons the stages gave; the
template writer phrases them, a language model may phrase them too, and the verifier checks
every generated text against them. Nothing here identifies the applicant: no name, address,
SSN, date of birth, e-mail, phone or free text the applicant typed.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from services.common.contracts.base import EventModel
from services.common.contracts.decision import DecisionOutcome
from services.common.contracts.primitives import CurrencyCode, LoanProduct
from services.common.contracts.stages import MAX_PRINCIPAL_REASONS, RiskGrade

NarrativePurpose = Literal["explanation", "offer_letter"]
"""explanation: why the decision (approval, counter-offer, referral, or decline with steps);
offer_letter: the offers set out for the applicant to accept (approvals and counter-offers)."""

NarrativeSource = Literal["llm", "template"]


class OfferFacts(EventModel):
    """One offer as computed; money in the application's currency, rates in % p.a."""

    label: str = Field(
        min_length=1, max_length=60, description="Why this option, e.g. 'lowest monthly payment'."
    )
    product: LoanProduct
    amount: float = Field(gt=0)
    term_months: int = Field(ge=1, le=480)
    interest_rate: float = Field(ge=0, le=100)
    apr: float = Field(ge=0, le=100)
    monthly_payment: float = Field(gt=0)
    total_interest: float = Field(ge=0)
    fees: float = Field(ge=0, description="Finance charges paid up front (origination fee).")


class ReasonFacts(EventModel):
    """A principal reason: its code, its plain-language text and what the applicant can do."""

    code: str = Field(pattern=r"^[A-Z][A-Z0-9_]{1,63}$")
    text: str = Field(min_length=1, max_length=300)
    action: str | None = Field(default=None, max_length=300)


class NarrativeFacts(EventModel):
    """Everything one narrative may state, and nothing else."""

    outcome: DecisionOutcome
    currency: CurrencyCode = "USD"
    requested_product: LoanProduct
    requested_amount: float = Field(gt=0)
    requested_term_months: int = Field(ge=1, le=480)
    risk_grade: RiskGrade | None = None
    reasons: tuple[ReasonFacts, ...] = Field(default=(), max_length=MAX_PRINCIPAL_REASONS)
    offers: tuple[OfferFacts, ...] = Field(default=(), max_length=3)
    disclosures: tuple[str, ...] = Field(
        default=(), max_length=6, description="Required statements, verbatim, from the catalogue."
    )


class Narrative(EventModel):
    """A verified text and where it came from."""

    purpose: NarrativePurpose
    text: str = Field(min_length=1, max_length=4000)
    source: NarrativeSource
    model_id: str | None = Field(default=None, max_length=200, description="When source is llm.")
