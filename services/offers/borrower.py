"""The applicant as the offers stage prices for them: figures the earlier stages verified first.

Income is the documents' verified income when there is one, else the stated income; existing
monthly debts come from the bureau (scoring's verified debt-to-income) when it answered, else
from the stated ratio; the credit score is the bureau's when there is one. Nothing here
identifies the applicant.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from services.common.contracts import ApplicationCase
from services.common.contracts.primitives import EmploymentStatus, HomeOwnership
from services.common.contracts.stages import RiskGrade

CENT = Decimal("0.01")


@dataclass(frozen=True, slots=True)
class Borrower:
    age: int
    employment_status: EmploymentStatus
    home_ownership: HomeOwnership
    credit_score: int
    risk_grade: RiskGrade | None
    monthly_income: Decimal
    existing_monthly_debts: Decimal

    def payment_capacity(self, max_dti_percent: float) -> Decimal:
        """The largest new monthly payment that keeps debt-to-income at or under the cap."""
        room = self.monthly_income * Decimal(str(max_dti_percent)) / 100
        capacity = room - self.existing_monthly_debts
        return max(Decimal("0.00"), capacity.quantize(CENT, rounding=ROUND_HALF_UP))

    def dti_after(self, payment: Decimal) -> Decimal:
        """Debt-to-income in percent with ``payment`` added; 999.99 without income."""
        if self.monthly_income <= 0:
            return Decimal("999.99")
        ratio = (self.existing_monthly_debts + payment) / self.monthly_income * 100
        return ratio.quantize(CENT, rounding=ROUND_HALF_UP)


def borrower_of(case: ApplicationCase) -> Borrower:
    application = case.application
    documents, scoring = case.documents, case.scoring
    verified_income = documents.verified_annual_income if documents is not None else None
    annual = (
        verified_income if verified_income is not None else application.financials.annual_income
    )
    monthly_income = (Decimal(str(annual)) / 12).quantize(CENT, rounding=ROUND_HALF_UP)
    dti = application.financials.debt_to_income_ratio
    if scoring is not None and scoring.verified_debt_to_income_ratio is not None:
        dti = scoring.verified_debt_to_income_ratio
    debts = (monthly_income * Decimal(str(dti)) / 100).quantize(CENT, rounding=ROUND_HALF_UP)
    bureau = scoring.bureau_credit_score if scoring is not None else None
    return Borrower(
        age=application.household.age,
        employment_status=application.employment.employment_status,
        home_ownership=application.household.home_ownership,
        credit_score=bureau if bureau is not None else application.financials.credit_score,
        risk_grade=scoring.risk_grade if scoring is not None else None,
        monthly_income=monthly_income,
        existing_monthly_debts=debts,
    )
