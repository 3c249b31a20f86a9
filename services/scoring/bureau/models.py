"""What scoring learns about an applicant from the credit bureau and from the bank's own books.

The models hold figures, never identity: a report is keyed by the caller's SSN token and carries
no name, address or number, so it can be logged, cached and attached to events as it is.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import IntEnum, StrEnum
from typing import Annotated, Final, Self

from pydantic import Field, model_validator

from services.common.contracts.base import EventModel
from services.common.contracts.primitives import CreditScore, Money, Probability, Timestamp

THIN_FILE_MAX_TRADELINES: Final = 2
"""A file with this many tradelines or fewer says too little for a bureau score to be trusted."""

MAX_TRADELINES: Final = 100

Months = Annotated[int, Field(ge=0, le=1200)]
EventCount = Annotated[int, Field(ge=0, le=100)]


class TradelineKind(StrEnum):
    REVOLVING = "revolving"
    INSTALLMENT = "installment"
    MORTGAGE = "mortgage"


class Delinquency(IntEnum):
    """Worst payment status as bureaus bucket it, in days past due; 90 stands for 90 or more."""

    CURRENT = 0
    DAYS_30 = 30
    DAYS_60 = 60
    DAYS_90_PLUS = 90


class Tradeline(EventModel):
    """One open credit account as the bureau reports it."""

    kind: TradelineKind
    balance: Money = Field(description="Balance currently owed.")
    limit_or_original_amount: Money = Field(
        description="Credit limit of a revolving account, original principal of a loan."
    )
    monthly_payment: Money = Field(description="Scheduled (or minimum) monthly payment.")
    months_open: Months = Field(description="Age of the account in months.")
    worst_delinquency_24m: Delinquency = Field(
        default=Delinquency.CURRENT,
        description="Worst status in the last 24 months: 0, 30, 60 or 90 (90 or more) days.",
    )


def revolving_utilization(tradelines: Iterable[Tradeline]) -> float:
    """Revolving balances over revolving limits, capped at 1; 0 when there is no limit."""
    revolving = [line for line in tradelines if line.kind is TradelineKind.REVOLVING]
    limits = sum(line.limit_or_original_amount for line in revolving)
    if limits == 0:
        return 0.0
    return min(1.0, sum(line.balance for line in revolving) / limits)


class CreditReport(EventModel):
    """A consumer credit report reduced to what the credit policy and the model use."""

    report_id: str = Field(min_length=1, max_length=64, description="The bureau's reference.")
    bureau: str = Field(min_length=1, max_length=64, description="Which bureau answered.")
    pulled_at: Timestamp = Field(description="When the report was pulled.")
    credit_score: CreditScore = Field(description="The bureau's score.")
    tradelines: tuple[Tradeline, ...] = Field(default=(), max_length=MAX_TRADELINES)
    revolving_utilization: Probability = Field(
        description="Revolving balances over revolving limits, 0 to 1; 0 without revolving lines."
    )
    inquiries_6m: EventCount = Field(description="Hard inquiries in the last 6 months.")
    inquiries_12m: EventCount = Field(description="Hard inquiries in the last 12 months.")
    delinquencies_30d_24m: EventCount = Field(description="30-day lates in the last 24 months.")
    delinquencies_60d_24m: EventCount = Field(description="60-day lates in the last 24 months.")
    delinquencies_90d_plus_24m: EventCount = Field(
        description="Payments 90 or more days late in the last 24 months."
    )
    public_records: EventCount = Field(description="Public records such as bankruptcies.")
    months_since_bankruptcy: Months | None = Field(
        default=None, description="Months since the most recent bankruptcy; None if there is none."
    )
    oldest_tradeline_months: Months = Field(
        description="Age of the oldest account ever reported, open or closed; 0 for no file."
    )
    total_monthly_debt: Money = Field(description="Sum of scheduled monthly debt payments.")

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        # Counts that contradict each other point at a broken adapter, not at the applicant.
        if self.inquiries_6m > self.inquiries_12m:
            raise ValueError("inquiries_6m cannot exceed inquiries_12m")
        if self.months_since_bankruptcy is not None and self.public_records == 0:
            raise ValueError("a bankruptcy is a public record: public_records must be at least 1")
        if any(line.months_open > self.oldest_tradeline_months for line in self.tradelines):
            raise ValueError("no tradeline can be older than oldest_tradeline_months")
        return self

    @property
    def loan_count(self) -> int:
        """Open installment loans and mortgages: what applicants mean by "existing loans".

        Cards and other revolving lines are left out because applicants do not count them.
        """
        return sum(1 for line in self.tradelines if line.kind is not TradelineKind.REVOLVING)

    @property
    def is_thin_file(self) -> bool:
        return len(self.tradelines) <= THIN_FILE_MAX_TRADELINES


class InternalRelationship(EventModel):
    """What the bank's own books say about a customer."""

    loan_count: EventCount = Field(description="Loans with this bank currently open.")
    internal_exposure: Money = Field(
        description="Outstanding balance of the open loans with this bank."
    )
    monthly_payments: Money = Field(description="Scheduled monthly payments on those loans.")
    worst_days_past_due_24m: int = Field(
        ge=0, le=3650, description="Worst days past due on any loan with the bank, last 24 months."
    )
    months_as_customer: Months = Field(description="How long the customer has banked here.")
    closed_loan_count: EventCount = Field(description="Earlier loans with this bank, repaid.")
    on_time_payment_ratio: Probability | None = Field(
        default=None,
        description="Share of instalments of the earlier loans paid on time; None without any.",
    )

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.loan_count == 0 and (self.internal_exposure > 0 or self.monthly_payments > 0):
            raise ValueError("exposure and payments need at least one open loan")
        if (self.closed_loan_count == 0) != (self.on_time_payment_ratio is None):
            raise ValueError("on_time_payment_ratio is set exactly when there are earlier loans")
        return self
