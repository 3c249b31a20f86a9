"""How each product looks in the historical data: shares, amounts, terms and past pricing.

The terms and rate ranges are the bank's product ranges (Car 0.5-7 years at 7.3-10 %, Home
2-30 at 8.35-15 %, Gold 0.5-3 at 9.25-19 %, Education 5-15 at 8.3-11.8 %, Personal and
Medical 2-5 years at 6-15 %); the shares and amount distributions are the generator's own
choices, set so the table resembles the sample rows (tens of thousands for consumer loans).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np
from numpy.typing import NDArray


@dataclass(frozen=True)
class ProductProfile:
    share: float
    median_amount: float
    amount_sigma: float
    min_amount: float
    max_amount: float
    terms: tuple[float, ...]
    rate_range: tuple[float, float]


PRODUCT_PROFILES: Final[dict[str, ProductProfile]] = {
    "Car": ProductProfile(0.22, 22_000, 0.5, 3_000, 90_000, (1, 2, 3, 4, 5, 6, 7), (7.3, 10.0)),
    "Home": ProductProfile(
        0.08, 240_000, 0.45, 40_000, 900_000, (10, 15, 20, 25, 30), (8.35, 15.0)
    ),
    "Gold": ProductProfile(0.06, 6_000, 0.6, 500, 50_000, (0.5, 1, 2, 3), (9.25, 19.0)),
    "Education": ProductProfile(0.18, 30_000, 0.5, 2_000, 150_000, (5, 7, 10, 12, 15), (8.3, 11.8)),
    "Personal": ProductProfile(0.30, 15_000, 0.6, 1_000, 80_000, (2, 3, 4, 5), (6.0, 15.0)),
    "Medical": ProductProfile(0.16, 12_000, 0.7, 500, 80_000, (2, 3, 4, 5), (6.0, 15.0)),
}


def annuity_payment(
    amount: NDArray[np.float64], rate_percent: NDArray[np.float64], term_years: NDArray[np.float64]
) -> NDArray[np.float64]:
    """Level monthly payment that repays ``amount`` at ``rate_percent`` a year over the term."""
    monthly_rate = rate_percent / 1200
    months = np.round(term_years * 12)
    growth = (1 + monthly_rate) ** months
    with np.errstate(divide="ignore", invalid="ignore"):
        level = amount * monthly_rate * growth / (growth - 1)
    payment: NDArray[np.float64] = np.where(monthly_rate == 0, amount / months, level)
    return payment
