"""Where what the applicant stated and what the bureau reports disagree.

Scoring decides on the bureau's figures either way; the mismatches go to the fraud stage,
because an applicant who overstates their score or hides debts is a classic fraud signal.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Sequence
from typing import Final

from services.common.contracts.application import FinancialProfile
from services.common.contracts.stages import BureauMismatch, MismatchField, MismatchSeverity
from services.scoring.bureau.models import CreditReport

DEFAULT_SCORE_TOLERANCE: Final = 40
DEFAULT_LOAN_COUNT_TOLERANCE: Final = 1
DEFAULT_DTI_TOLERANCE_POINTS: Final = 10.0

# (lower bound, label) pairs; a value belongs to the last bucket whose bound it reaches.
_SCORE_BUCKETS: Final = (
    (300, "300-579"),
    (580, "580-669"),
    (670, "670-739"),
    (740, "740-799"),
    (800, "800-850"),
)
_LOAN_COUNT_BUCKETS: Final = ((0, "0"), (1, "1"), (2, "2"), (3, "3-4"), (5, "5-9"), (10, "10+"))
_DTI_BUCKETS: Final = (
    (0.0, "0-20"),
    (20.0, "20-36"),
    (36.0, "36-43"),
    (43.0, "43-50"),
    (50.0, "50-100"),
    (100.0, "100+"),
)


def _bucket(value: float, buckets: Sequence[tuple[float, str]]) -> str:
    index = bisect_right(buckets, value, key=_lower_bound) - 1
    return buckets[max(0, index)][1]


def _lower_bound(bucket: tuple[float, str]) -> float:
    return bucket[0]


def _severity(overstated_by: float, tolerance: float) -> MismatchSeverity:
    """``overstated_by`` is how much better the statement makes the applicant look."""
    if overstated_by < 0:
        return MismatchSeverity.LOW
    return MismatchSeverity.HIGH if overstated_by > 2 * tolerance else MismatchSeverity.MEDIUM


def _mismatch(
    field: MismatchField,
    stated: float,
    bureau: float,
    *,
    overstated_by: float,
    tolerance: float,
    buckets: Sequence[tuple[float, str]],
) -> BureauMismatch | None:
    if abs(stated - bureau) <= tolerance:
        return None
    return BureauMismatch(
        field=field,
        stated_bucket=_bucket(stated, buckets),
        bureau_bucket=_bucket(bureau, buckets),
        severity=_severity(overstated_by, tolerance),
    )


def bureau_debt_to_income(report: CreditReport, monthly_income: float) -> float:
    """The bureau's monthly debt over ``monthly_income``, in percent like the stated ratio."""
    return report.total_monthly_debt / monthly_income * 100


def compare(
    stated: FinancialProfile,
    report: CreditReport,
    *,
    monthly_income: float,
    score_tolerance: int = DEFAULT_SCORE_TOLERANCE,
    loan_count_tolerance: int = DEFAULT_LOAN_COUNT_TOLERANCE,
    dti_tolerance_points: float = DEFAULT_DTI_TOLERANCE_POINTS,
) -> tuple[BureauMismatch, ...]:
    """Stated figures the bureau contradicts by more than their tolerance.

    ``monthly_income`` is the gross monthly income to measure the bureau's debts against
    (stated or verified, the caller decides). Without income there is no ratio to compare,
    so the debt-to-income check is skipped.
    """
    if not math.isfinite(monthly_income) or monthly_income < 0:
        raise ValueError("monthly_income must be a finite, non-negative amount")
    found = [
        _mismatch(
            MismatchField.CREDIT_SCORE,
            stated.credit_score,
            report.credit_score,
            overstated_by=stated.credit_score - report.credit_score,
            tolerance=score_tolerance,
            buckets=_SCORE_BUCKETS,
        ),
        _mismatch(
            MismatchField.EXISTING_LOANS,
            stated.existing_loans,
            report.loan_count,
            overstated_by=report.loan_count - stated.existing_loans,
            tolerance=loan_count_tolerance,
            buckets=_LOAN_COUNT_BUCKETS,
        ),
    ]
    if monthly_income > 0:
        bureau_dti = bureau_debt_to_income(report, monthly_income)
        found.append(
            _mismatch(
                MismatchField.DEBT_TO_INCOME_RATIO,
                stated.debt_to_income_ratio,
                bureau_dti,
                overstated_by=bureau_dti - stated.debt_to_income_ratio,
                tolerance=dti_tolerance_points,
                buckets=_DTI_BUCKETS,
            )
        )
    return tuple(mismatch for mismatch in found if mismatch is not None)
