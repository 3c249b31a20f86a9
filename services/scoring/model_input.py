"""What the model and the policy are given for a live application and its bureau file.

The model row and the policy input are built from explicit lists of fields. Marital status,
dependents and past outcomes are on neither list, so no bank spec or table can read them
through this stage: a model that asks for such a column is refused when the stage starts.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final

import numpy as np
from numpy.typing import NDArray

from services.common.contracts.application import ApplicationData
from services.scoring.bureau import CreditReport, bureau_debt_to_income
from services.scoring.policy import PolicyInput

Row = dict[str, float | str]
Table = dict[str, NDArray[Any]]

MAX_DEBT_TO_INCOME: Final = 1000.0
"""The contracts' ceiling for a debt-to-income ratio, in percent."""

# Historical column -> how a live application (or its bureau file) fills it. Age is left out
# too: the policy reads it for legal capacity and the term limit, the model never does.
MODEL_COLUMNS: Final[Mapping[str, Callable[[ApplicationData, CreditReport], float | str]]] = {
    "annual_income": lambda a, _: a.financials.annual_income,
    # The bureau's score, not the stated one: the decision rests on the file that was pulled.
    "credit_score": lambda _, r: r.credit_score,
    "employment_status": lambda a, _: a.employment.employment_status.value,
    "years_employed": lambda a, _: a.employment.years_employed,
    "debt_to_income_ratio": lambda a, _: a.financials.debt_to_income_ratio,
    "savings_balance": lambda a, _: a.financials.savings_balance,
    "checking_balance": lambda a, _: a.financials.checking_balance,
    "home_ownership": lambda a, _: a.household.home_ownership.value,
    "education_level": lambda a, _: a.household.education_level.value,
    "loan_purpose": lambda a, _: a.loan.product.value,
    "requested_loan_amount": lambda a, _: a.loan.amount,
    "existing_loans": lambda a, _: a.financials.existing_loans,
    "payment_history": lambda a, _: a.financials.payment_history.value,
    "loan_term": lambda a, _: a.loan.term_years,
}


def model_row(application: ApplicationData, report: CreditReport) -> Row:
    return {column: read(application, report) for column, read in MODEL_COLUMNS.items()}


def table_of(rows: Sequence[Row]) -> Table:
    """One row per application, in the column layout the model was trained on."""
    table: Table = {}
    for column in rows[0]:
        values = [row[column] for row in rows]
        table[column] = np.asarray(values, dtype=str if isinstance(values[0], str) else np.float64)
    return table


def policy_input(
    application: ApplicationData,
    report: CreditReport,
    *,
    post_loan_dti: float,
    bankruptcy_lookback_months: int,
) -> PolicyInput:
    """The knock-out facts: the bureau's score and bankruptcy, DTI after the new loan."""
    since = report.months_since_bankruptcy
    return PolicyInput(
        age=application.household.age,
        credit_score=report.credit_score,
        product=application.loan.product,
        debt_to_income_ratio=post_loan_dti,
        annual_income=application.financials.annual_income,
        employment_status=application.employment.employment_status,
        education_level=application.household.education_level,
        home_ownership=application.household.home_ownership,
        term_years=application.loan.term_years,
        amount=application.loan.amount,
        recent_bankruptcy=since is not None and since <= bankruptcy_lookback_months,
    )


def verified_debt_to_income(report: CreditReport, annual_income: float) -> float | None:
    """The bureau's monthly debts over ``annual_income`` / 12, in percent; None without income."""
    if annual_income <= 0:
        return None
    ratio = bureau_debt_to_income(report, annual_income / 12)
    return round(min(ratio, MAX_DEBT_TO_INCOME), 2)
