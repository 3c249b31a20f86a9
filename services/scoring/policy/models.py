"""Typed inputs and results of the credit policy tables.

Every model is frozen and closed: a result stamped on an event must not change after the fact,
and a misspelt or prohibited fact (``marital_status``) must fail at the boundary instead of
being silently ignored by the rules.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, computed_field

from services.common.contracts.primitives import (
    CreditScore,
    EducationLevel,
    EmploymentStatus,
    HomeOwnership,
    LoanProduct,
    Money,
    ReasonCodeValue,
    VersionLabel,
)
from services.common.contracts.stages import RiskGrade

RuleId = Annotated[
    str,
    Field(
        min_length=1,
        max_length=64,
        pattern=r"^[A-Z][A-Z0-9-]*$",
        description="Stable identifier of a policy rule, e.g. KO-03 or GR-A.",
    ),
]


class _PolicyModel(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class PolicyInput(_PolicyModel):
    """The facts the knock-out rules read.

    Marital status is deliberately absent: it is a prohibited basis for a credit decision, so
    the policy cannot even be handed it.
    """

    age: int = Field(ge=0, le=130, description="Age in whole years at application time.")
    credit_score: CreditScore = Field(description="Bureau score, 300 to 850.")
    product: LoanProduct
    debt_to_income_ratio: float = Field(
        ge=0,
        le=1000,
        allow_inf_nan=False,
        description="Debt-to-income after the new loan, in percent: 40.24 means 40.24 %.",
    )
    annual_income: Money = Field(description="Gross annual income.")
    employment_status: EmploymentStatus
    education_level: EducationLevel
    home_ownership: HomeOwnership
    term_years: float = Field(gt=0, le=50, allow_inf_nan=False, description="Loan term in years.")
    amount: Money = Field(gt=0, description="Principal requested.")
    recent_bankruptcy: bool = Field(description="Bankruptcy on the bureau file in the look-back.")

    # Derived rather than accepted so a caller cannot hand the rules an inconsistent value.
    @computed_field(description="Age when the last instalment falls due: age + term_years.")  # type: ignore[prop-decorator]
    @property
    def age_at_maturity(self) -> float:
        return self.age + self.term_years


class KnockOut(_PolicyModel):
    """One knock-out rule that matched: the application cannot pass policy."""

    rule_id: RuleId
    reason_code: ReasonCodeValue
    description: str = Field(min_length=1, max_length=200)


class PolicyTrace(_PolicyModel):
    """What zen evaluated, for audit: the graph nodes visited and the table rows that matched."""

    nodes: tuple[str, ...] = Field(description="Names of the decision-graph nodes, in order.")
    matched_rows: tuple[str, ...] = Field(
        description="Row ids (`_id`) of the table rows that matched, in table order."
    )


class PolicyResult(_PolicyModel):
    """Outcome of the knock-out table for one applicant."""

    knockouts: tuple[KnockOut, ...]
    trace: PolicyTrace
    policy_version: VersionLabel

    @property
    def passed(self) -> bool:
        return not self.knockouts

    @property
    def reason_codes(self) -> tuple[str, ...]:
        return tuple(knockout.reason_code for knockout in self.knockouts)


class GradeBand(StrEnum):
    """What the grade means for the application's route."""

    APPROVE = "approve"
    REFER = "refer"
    DECLINE = "decline"


class GradeResult(_PolicyModel):
    """Risk grade and band the grade table assigns to a probability of default."""

    grade: RiskGrade
    band: GradeBand
    rule_id: RuleId
    policy_version: VersionLabel
