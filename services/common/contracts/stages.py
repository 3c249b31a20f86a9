"""What each screening stage records about an application, and how a stage ends one early.

Every stage result has a status, reason codes, when it completed and which version produced
it. Fields that later work fills are optional, so those additions stay backward compatible.
A stage that receives an application another stage already ended records ``"skipped"``.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal
from uuid import UUID

from pydantic import Field

from services.common.contracts.base import EventModel
from services.common.contracts.documents import DocumentKind
from services.common.contracts.primitives import (
    CreditScore,
    LoanProduct,
    Money,
    Probability,
    ReasonCodeValue,
    SignedMoney,
    StageName,
    Timestamp,
    VersionLabel,
)

MAX_STAGE_REASONS = 20
MAX_PRINCIPAL_REASONS = 4
"""Adverse-action notices state at most four principal reasons."""

MAX_POLICY_RULES = 20


class Reason(EventModel):
    """A reason code and its short, human-readable description."""

    code: ReasonCodeValue
    description: str = Field(min_length=1, max_length=200, description="Short explanation.")


StageReasons = Annotated[
    tuple[Reason, ...],
    Field(max_length=MAX_STAGE_REASONS, description="Why the stage reached its status."),
]

DocumentsStatus = Literal["pass", "refer", "reject", "awaiting_documents", "skipped"]
FraudStatus = Literal["pass", "refer", "reject", "skipped"]
ScoringStatus = Literal["pass", "refer", "reject", "skipped"]


class _StageResult(EventModel):
    reasons: StageReasons = ()
    completed_at: Timestamp = Field(description="When the stage finished its work.")
    stage_version: VersionLabel = Field(description="Version of the stage service and its rules.")
    model_version: VersionLabel | None = Field(
        default=None, description="Version of the model or external analysis used, if any."
    )


class BankStatementSummary(EventModel):
    """How the applicant's account behaved over the statements uploaded: figures, no entries."""

    months: int = Field(ge=0, le=120, description="Calendar months the statements cover.")
    average_month_end_balance: SignedMoney
    minimum_month_end_balance: SignedMoney
    balance_stability: Probability = Field(
        description="1 - coefficient of variation of the running balances, floored at 0."
    )
    overdrafts: int = Field(
        ge=0, le=10_000, description="Times the balance went below zero, plus NSF fees."
    )
    regular_monthly_income: Money = Field(description="Recurring deposits, per month.")
    spending_volatility: float = Field(
        ge=0, le=1000, allow_inf_nan=False, description="Coefficient of variation of weekly debits."
    )


class DocumentsResult(_StageResult):
    """Document classification, extraction and identity verification."""

    status: DocumentsStatus
    documents_reviewed: int | None = Field(default=None, ge=0, description="Files examined.")
    missing_documents: tuple[DocumentKind, ...] = Field(
        default=(), max_length=20, description="Expected documents that were not found."
    )
    verified_annual_income: Money | None = Field(
        default=None, description="Gross annual income evidenced by the documents."
    )
    income_source: DocumentKind | None = Field(
        default=None, description="Document the verified income was read from."
    )
    identity_verified: bool | None = Field(
        default=None, description="Whether the identity document matched the applicant."
    )
    identity_confidence: Probability | None = Field(
        default=None, description="Confidence of the identity match, 0 to 1."
    )
    business_revenue: Money | None = Field(
        default=None, description="Self-employed: yearly revenue from a profit-and-loss statement."
    )
    business_profit: SignedMoney | None = Field(
        default=None,
        description="Self-employed: yearly net profit (profit-and-loss statement, else Form 1040).",
    )
    bank_statements: BankStatementSummary | None = Field(
        default=None, description="Bank statement analytics, when statements were uploaded."
    )


class WatchlistBand(StrEnum):
    """Strength of the best match against sanctions lists and internal blocklists."""

    NONE = "none"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


PolicyRuleId = Annotated[
    str,
    Field(
        min_length=1,
        max_length=64,
        pattern=r"^[A-Z][A-Z0-9-]*$",
        description="Stable identifier of a policy rule: KO-03, GR-D (credit), FR-01 (fraud).",
    ),
]


MAX_WATCHLIST_MATCHES = 10
MAX_MATCH_PARTS = 16


class Clearance(EventModel):
    """A compliance analyst cleared this match as not the applicant; the why is in the audit."""

    cleared_by: str = Field(min_length=1, max_length=100, description="The analyst's id.")
    cleared_at: Timestamp


class WatchlistMatch(EventModel):
    """One list entry the applicant's name matched, explained.

    The matched name itself is not repeated: it is close to the applicant's own name. The uid
    names the list entry, where compliance reads it.
    """

    uid: str = Field(min_length=1, max_length=64, description="List entry, e.g. sdn:12345.")
    band: Literal["hit", "review"] = Field(
        description="hit: refer to compliance, never approve automatically; review: a person looks."
    )
    score: Probability = Field(description="Combined match score after date and country checks.")
    matched_alias: bool = Field(description="Whether an alias, not the primary name, matched.")
    parts: dict[str, float] = Field(
        default_factory=dict,
        max_length=MAX_MATCH_PARTS,
        description="The score's parts: name signals and the date-of-birth and country effects.",
    )
    cleared: Clearance | None = Field(
        default=None, description="Set when an analyst cleared it: it did not count."
    )


class FraudResult(_StageResult):
    """Watch lists, synthetic-identity signals and velocity checks."""

    status: FraudStatus
    fraud_score: Probability | None = Field(
        default=None,
        description="Weighted score of the fraud rules that fired, 0 to 1 (not a probability).",
    )
    watchlist_band: WatchlistBand | None = Field(
        default=None, description="Band of the strongest watch-list match."
    )
    duplicate_of: UUID | None = Field(
        default=None, description="Earlier application by the same person still in progress."
    )
    watchlist_matches: tuple[WatchlistMatch, ...] = Field(
        default=(), max_length=MAX_WATCHLIST_MATCHES, description="Matches, strongest first."
    )
    watchlist_version: VersionLabel | None = Field(
        default=None, description="Version of the screened lists (hash of their files)."
    )
    fraud_rule_ids: tuple[PolicyRuleId, ...] = Field(
        default=(),
        max_length=MAX_POLICY_RULES,
        description="Fraud rules that fired, then the outcome rule, for audit.",
    )


class RiskGrade(StrEnum):
    """Coarse risk level, A best to E worst."""

    A = "A"
    B = "B"
    C = "C"
    D = "D"
    E = "E"


class MismatchField(StrEnum):
    CREDIT_SCORE = "credit_score"
    EXISTING_LOANS = "existing_loans"
    DEBT_TO_INCOME_RATIO = "debt_to_income_ratio"


class MismatchSeverity(StrEnum):
    """How much a difference matters to fraud screening.

    ``low``: the applicant made themselves look worse than the bureau does, which costs only
    them. ``medium``: they look better than the bureau says. ``high``: much better, by more
    than twice the tolerance.
    """

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


MismatchBucket = Annotated[str, Field(min_length=1, max_length=16)]


class BureauMismatch(EventModel):
    """A stated figure the bureau contradicts, for fraud screening.

    Values appear only as coarse buckets, so the finding can travel on events and into logs
    without carrying the applicant's exact figures.
    """

    field: MismatchField
    stated_bucket: MismatchBucket = Field(description="Bucket of the applicant's own figure.")
    bureau_bucket: MismatchBucket = Field(
        description="Bucket of the figure derived from the bureau."
    )
    severity: MismatchSeverity


class ChallengerScore(EventModel):
    """A challenger model's view of the application, scored in shadow: recorded, never used."""

    model_version: VersionLabel = Field(description="Version of the challenger artifact.")
    probability_of_default: Probability = Field(description="The challenger's estimate.")
    risk_grade: RiskGrade = Field(description="The grade the policy gives that estimate.")


ImprovementTip = Annotated[
    str,
    Field(min_length=1, max_length=300, description="A change the applicant could make."),
]


class ScoringResult(_StageResult):
    """Credit bureau, internal exposure, policy rules and the default model."""

    status: ScoringStatus
    probability_of_default: Probability | None = Field(
        default=None, description="Model estimate of default over the loan term."
    )
    risk_grade: RiskGrade | None = Field(default=None, description="Risk grade from the model.")
    bureau_credit_score: CreditScore | None = Field(
        default=None, description="Score returned by the credit bureau."
    )
    internal_exposure: Money | None = Field(
        default=None, description="Outstanding balance the customer owes this bank."
    )
    verified_debt_to_income_ratio: float | None = Field(
        default=None,
        ge=0,
        le=1000,
        allow_inf_nan=False,
        description="Debt-to-income in percent recomputed from bureau and verified income.",
    )
    eligible_products: tuple[LoanProduct, ...] = Field(
        default=(),
        max_length=20,
        description=(
            "Deprecated, always empty: product alternatives depend on each product's own "
            "pricing, so the offers stage computes them. Kept so older events still validate."
        ),
    )
    bureau_mismatches: tuple[BureauMismatch, ...] = Field(
        default=(),
        max_length=len(MismatchField),
        description="Stated figures the bureau contradicts beyond tolerance, in buckets.",
    )
    challenger: ChallengerScore | None = Field(
        default=None, description="The shadow challenger model's score, when one is configured."
    )
    policy_rule_ids: tuple[PolicyRuleId, ...] = Field(
        default=(),
        max_length=MAX_POLICY_RULES,
        description="Policy rules that decided, for audit: knock-outs matched, then the grade.",
    )
    improvement_tips: tuple[ImprovementTip, ...] = Field(
        default=(),
        max_length=MAX_PRINCIPAL_REASONS,
        description=(
            "Changes that, re-scored by the model and graded by the policy, reach approval; "
            "only for refused applications, empty when nothing within reach does."
        ),
    )


EarlyOutcomeKind = Literal["reject", "refer", "awaiting_documents"]


class EarlyOutcome(EventModel):
    """A stage ended the application. Later stages pass it through untouched and offers
    turns it into the decision, so decisions keep a single writer."""

    outcome: EarlyOutcomeKind = Field(
        description="reject: decline; refer: a person decides; awaiting_documents: ask for more."
    )
    stage: StageName = Field(description="Stage that ended the application.")
    reasons: tuple[Reason, ...] = Field(
        min_length=1,
        max_length=MAX_PRINCIPAL_REASONS,
        description="Principal reasons, most important first.",
    )
    decided_at: Timestamp
