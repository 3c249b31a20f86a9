"""The money every document shares, worked out once so the documents agree with each other:
the pay stub's net pay is the bank statement's payroll deposit, the W-2 wages are Form 1040's
line 1z, and all of them follow from the documented (not necessarily the stated) income."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Final

from services.documents.synthetic.facts import ApplicantFacts
from services.documents.synthetic.layout import CENT

PERIODS_PER_YEAR: Final = 26  # biweekly, the most common US schedule
SOCIAL_SECURITY_RATE: Final = Decimal("0.062")
MEDICARE_RATE: Final = Decimal("0.0145")
# The Social Security wage base by year; box 3 of the W-2 stops there.
WAGE_BASE: Final = {2022: 147_000, 2023: 160_200, 2024: 168_600, 2025: 176_100}
NO_INCOME_TAX_STATES: Final = frozenset({"TX", "WA", "FL", "NV", "SD", "WY", "AK", "TN", "NH"})


@dataclass(frozen=True)
class Figures:
    documented_income: Decimal
    tax_year: int
    w2_wages: Decimal
    federal_rate: Decimal
    state_rate: Decimal
    pay_dates: tuple[date, ...]  # every payday of the schedule up to the application
    gross_pay: Decimal
    deductions: tuple[tuple[str, Decimal], ...]

    @property
    def net_pay(self) -> Decimal:
        return self.gross_pay - sum((amount for _, amount in self.deductions), Decimal(0))

    @property
    def pay_date(self) -> date:
        return self.pay_dates[-1]

    def periods_to_date(self, payday: date, employment_start: date) -> int:
        """Paydays in ``payday``'s calendar year up to it, counting only those employed."""
        return (
            sum(
                1
                for day in self.pay_dates
                if day.year == payday.year
                and employment_start + timedelta(days=13) <= day <= payday
            )
            or 1
        )


def compute_figures(facts: ApplicantFacts, rng: random.Random, factor: Decimal) -> Figures:
    documented = (facts.annual_income * factor).quantize(CENT)
    tax_year = facts.tax_year
    year_start, year_end = date(tax_year, 1, 1), date(tax_year, 12, 31)
    employed_days = (year_end - max(facts.employment_start, year_start)).days + 1
    share = min(Decimal(1), Decimal(max(employed_days, 36)) / Decimal(365))
    w2_wages = (documented * share).quantize(CENT)
    federal_rate = Decimal(str(round(0.06 + min(float(documented), 250_000) / 2_500_000, 3)))
    state_rate = (
        Decimal(0)
        if facts.region in NO_INCOME_TAX_STATES
        else Decimal(str(rng.choice((0.03, 0.0425, 0.0495))))
    )
    # Paydays are Fridays; which alternate Friday is the firm's choice.
    anchor = date(2020, 1, 3) + timedelta(days=7 * rng.randint(0, 1))
    last = facts.application_date - timedelta(days=1)
    pay_dates = []
    day = anchor
    while day <= last:
        pay_dates.append(day)
        day += timedelta(days=14)
    gross = (documented / PERIODS_PER_YEAR).quantize(CENT)
    deductions = [
        ("Federal Income Tax", (gross * federal_rate).quantize(CENT)),
        ("Social Security", (gross * SOCIAL_SECURITY_RATE).quantize(CENT)),
        ("Medicare", (gross * MEDICARE_RATE).quantize(CENT)),
    ]
    if state_rate:
        deductions.append((f"{facts.region} State Income Tax", (gross * state_rate).quantize(CENT)))
    # After-tax, so W-2 box 1 stays the full gross and matches the pay stub.
    if rng.random() < 0.5:
        deductions.append(("Roth 401(k)", (gross * Decimal("0.05")).quantize(CENT)))
    return Figures(
        documented_income=documented,
        tax_year=tax_year,
        w2_wages=w2_wages,
        federal_rate=federal_rate,
        state_rate=state_rate,
        pay_dates=tuple(pay_dates[-60:]),
        gross_pay=gross,
        deductions=tuple(deductions),
    )


def social_security_wages(wages: Decimal, year: int) -> Decimal:
    return min(wages, Decimal(WAGE_BASE.get(year, max(WAGE_BASE.values()))))
