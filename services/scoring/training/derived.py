"""Engineered features: named functions of a table's columns, each declaring what it reads.

They are the ones the planning documents name: debt-to-income after the new loan, liquid
balances against the loan, the amount against income. The new loan's payment is the annuity at
the product's reference rate (the middle of its range), not the historical ``monthly_payment``:
that one was paid at the rate the past decision granted, which a live application does not have
yet, and a model must not learn from a past decision's outcome.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from services.scoring.data.products import PRODUCT_PROFILES, annuity_payment

Column = NDArray[np.float64]
Columns = Mapping[str, NDArray[Any]]

REFERENCE_RATES = {name: sum(p.rate_range) / 2 for name, p in PRODUCT_PROFILES.items()}
FALLBACK_RATE = 10.0


@dataclass(frozen=True)
class DerivedFeature:
    reads: tuple[str, ...]
    compute: Callable[[Columns], Column]


def number(columns: Columns, name: str) -> Column:
    values: Column = np.asarray(columns[name], dtype=np.float64)
    return values


def reference_payment(columns: Columns) -> Column:
    """Monthly annuity of the requested amount and term at the product's reference rate."""
    rate = np.array([REFERENCE_RATES.get(str(p), FALLBACK_RATE) for p in columns["loan_purpose"]])
    return annuity_payment(
        number(columns, "requested_loan_amount"), rate, number(columns, "loan_term")
    )


def _monthly_income(columns: Columns) -> Column:
    floored: Column = np.maximum(number(columns, "annual_income") / 12, 250.0)
    return floored


def _payment_to_income(columns: Columns) -> Column:
    ratio: Column = 100 * reference_payment(columns) / _monthly_income(columns)
    return np.minimum(ratio, 300.0)


def _post_loan_dti(columns: Columns) -> Column:
    total: Column = number(columns, "debt_to_income_ratio") + _payment_to_income(columns)
    return np.minimum(total, 300.0)


def _liquidity_to_amount(columns: Columns) -> Column:
    liquid = number(columns, "savings_balance") + np.maximum(number(columns, "checking_balance"), 0)
    amount = np.maximum(number(columns, "requested_loan_amount"), 1.0)
    result: Column = np.log1p(liquid / amount)
    return result


def _amount_to_income(columns: Columns) -> Column:
    amount = number(columns, "requested_loan_amount")
    ratio: Column = amount / np.maximum(number(columns, "annual_income"), 3_000.0)
    return np.minimum(ratio, 50.0)


_LOAN = ("requested_loan_amount", "loan_term", "loan_purpose")

DERIVED_FEATURES: Mapping[str, DerivedFeature] = {
    "payment_to_income": DerivedFeature((*_LOAN, "annual_income"), _payment_to_income),
    "post_loan_dti": DerivedFeature(
        (*_LOAN, "annual_income", "debt_to_income_ratio"), _post_loan_dti
    ),
    "liquidity_to_amount": DerivedFeature(
        ("savings_balance", "checking_balance", "requested_loan_amount"), _liquidity_to_amount
    ),
    "amount_to_income": DerivedFeature(
        ("requested_loan_amount", "annual_income"), _amount_to_income
    ),
}
