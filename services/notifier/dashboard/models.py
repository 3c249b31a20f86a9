"""What the dashboard publishes: the window's aggregate and the rows of its latest decisions.

Nothing here identifies an applicant: no customer id, no narrative, no contact or identity
field. A row carries the application id (an opaque UUID the bank chose), the product, the
amounts and the reason codes; that is what an operator watching the pipeline needs.
"""

from __future__ import annotations

from datetime import datetime
from typing import Final
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from services.common.contracts.decision import DecisionOutcome, LoanDecision
from services.common.contracts.primitives import LoanProduct

APPROVAL_RATE_COUNTS: Final = (
    "approved + counter_offered decisions over all decisions in the window "
    "(referred and declined count in the denominator)"
)
END_TO_END: Final = "end_to_end"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class OfferFigures(_Frozen):
    """The first offer of a decision: what the applicant was offered first."""

    amount: float
    interest_rate: float
    apr: float
    term_months: int
    currency: str


class LatestDecision(_Frozen):
    """One decision as the latest-decisions table shows it, without personal data."""

    application_id: UUID
    revision: int
    product: LoanProduct
    requested_amount: float
    currency: str
    outcome: DecisionOutcome
    decided_by: str
    reason_codes: tuple[str, ...]
    first_offer: OfferFigures | None
    decided_at: datetime

    @classmethod
    def of(cls, decision: LoanDecision) -> LatestDecision:
        offer = decision.offers[0] if decision.offers else None
        return cls(
            application_id=decision.application_id,
            revision=decision.revision,
            product=decision.requested.product,
            requested_amount=decision.requested.amount,
            currency=decision.requested.currency,
            outcome=decision.outcome,
            decided_by=decision.decided_by.value,
            reason_codes=tuple(reason.code for reason in decision.reasons),
            first_offer=None
            if offer is None
            else OfferFigures(
                amount=offer.amount,
                interest_rate=offer.interest_rate,
                apr=offer.apr,
                term_months=offer.term_months,
                currency=offer.currency,
            ),
            decided_at=decision.decided_at,
        )


class MinuteCounts(_Frozen):
    """Decisions of one minute of decision time, by outcome and by product."""

    start: datetime
    total: int
    by_outcome: dict[DecisionOutcome, int]
    by_product: dict[LoanProduct, int]


class ApprovalRate(_Frozen):
    rate: float | None = Field(description="None when the window holds no decision.")
    approved: int
    counter_offered: int
    decisions: int
    counts: str = APPROVAL_RATE_COUNTS


class ReasonCount(_Frozen):
    code: str
    text: str
    count: int


class ProbabilityBin(_Frozen):
    lower: float
    upper: float
    count: int


class ProbabilityHistogram(_Frozen):
    bins: tuple[ProbabilityBin, ...]
    scored: int
    unscored: int = Field(description="Decisions without a probability of default.")


class LatencyStat(_Frozen):
    """p50 and p99 of one stage's ``stage_timings_ms`` or of received-to-decided time."""

    stage: str
    count: int
    p50_ms: float | None
    p99_ms: float | None


class FeedStats(_Frozen):
    """What the Kafka reader has seen since the process started."""

    records: int
    decisions: int
    skipped_undecodable: int
    skipped_invalid: int
    assigned_partitions: int


class Snapshot(_Frozen):
    """The whole aggregate of the window at ``generated_at``."""

    generated_at: datetime
    window_minutes: int
    window_start: datetime
    window_end: datetime
    decisions: int
    by_outcome: dict[DecisionOutcome, int]
    by_product: dict[LoanProduct, int]
    approval: ApprovalRate
    minutes: tuple[MinuteCounts, ...] = Field(description="Oldest first, empty minutes included.")
    decline_reasons: tuple[ReasonCount, ...] = Field(description="Most frequent first.")
    probability_of_default: ProbabilityHistogram
    latency: tuple[LatencyStat, ...]
    latest: tuple[LatestDecision, ...] = Field(description="Newest decision time first.")
    latest_count: int = Field(description="How many rows ``latest`` holds at most.")
    ignored_outside_window: int = Field(
        description="Decisions read whose decision time fell outside the window."
    )
    feed: FeedStats | None = None
