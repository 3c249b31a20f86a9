"""A small business's financial statement: a one-page profit-and-loss (P&L) statement.

The period is the twelve full months before the application or the last tax year, so its net
profit is the documented income (the figure Form 1040 line 8 shows for the self-employed).
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal
from typing import Final

from services.documents.synthetic.facts import ApplicantFacts
from services.documents.synthetic.figures import Figures
from services.documents.synthetic.forms import employer_address
from services.documents.synthetic.layout import (
    CENT,
    LETTER,
    Page,
    Sheet,
    money,
    printed_date,
    printed_money,
)

REVENUE_LINES: Final = (
    "Service revenue",
    "Product sales",
    "Consulting fees",
    "Contract work",
    "Other revenue",
)
EXPENSE_LINES: Final = (
    "Rent and occupancy",
    "Office supplies",
    "Advertising and marketing",
    "Insurance",
    "Vehicle and travel",
    "Professional fees",
    "Software and subscriptions",
    "Contract labor",
    "Telephone and internet",
    "Bank and card fees",
)


def reporting_period(
    application_date: date, tax_year: int, rng: random.Random
) -> tuple[date, date]:
    """Twelve full months: the trailing twelve before the application, or the tax year."""
    if rng.random() < 0.5:
        return date(tax_year, 1, 1), date(tax_year, 12, 31)
    end = application_date.replace(day=1) - timedelta(days=1)
    first = end.year * 12 + end.month - 1 - 11  # months since year 0, eleven before the end's
    return date(first // 12, first % 12 + 1, 1), end


def split(total: Decimal, parts: int, rng: random.Random) -> list[Decimal]:
    """``total`` in ``parts`` uneven amounts that add up to it to the cent."""
    weights = [rng.uniform(1.0, 3.0) for _ in range(parts)]
    whole = sum(weights)
    amounts = [(total * Decimal(str(w / whole))).quantize(CENT) for w in weights[:-1]]
    return [*amounts, total - sum(amounts, Decimal(0))]


def profit_and_loss(facts: ApplicantFacts, figures: Figures, rng: random.Random) -> list[Sheet]:
    start, end = reporting_period(facts.application_date, figures.tax_year, rng)
    profit = figures.documented_income
    expense_share = Decimal(str(round(rng.uniform(0.3, 0.6), 3)))
    revenue = (profit / (1 - expense_share)).quantize(CENT)
    expenses = revenue - profit
    revenue_names = rng.sample(REVENUE_LINES, rng.randint(2, 3))
    expense_names = rng.sample(EXPENSE_LINES, rng.randint(4, 6))
    revenue_lines = list(zip(revenue_names, split(revenue, len(revenue_names), rng), strict=True))
    expense_lines = list(zip(expense_names, split(expenses, len(expense_names), rng), strict=True))
    street, town = employer_address(facts, rng)
    prepared = end + timedelta(days=rng.randint(3, 20))
    page = Page(*LETTER)
    page.text(306, 60, facts.employer_name, 15, face="bold", align="center")
    page.text(306, 80, "PROFIT AND LOSS STATEMENT", 13, face="bold", align="center")
    page.text(
        306,
        96,
        f"For the period {printed_date(start)} - {printed_date(end)}",
        9.5,
        align="center",
    )
    info = (
        ("Business owner:", facts.full_name),
        ("Business address:", f"{street}, {town}"),
        ("Accounting basis:", "Cash"),
        ("Prepared on:", printed_date(prepared)),
    )
    for row, (label, value) in enumerate(info):
        baseline = 128 + 14 * row
        page.text(36, baseline, label, 9)
        page.text(140, baseline, value, 9.5, face="bold" if row == 0 else "regular")

    def section(top: float, title: str, rows: list[tuple[str, Decimal]], total: str) -> float:
        page.rect(36, top, 540, 16, fill=0.86)
        page.text(44, top + 11, title, 9.5, face="bold")
        page.text(568, top + 11, "Amount", 9.5, face="bold", align="right")
        y = top + 32
        for label, amount in rows:
            page.text(56, y, label, 9.5)
            page.text(568, y, printed_money(amount), 9.5, face="mono", align="right")
            y += 16
        page.line(420, y - 9, 576, y - 9)
        subtotal = sum((amount for _, amount in rows), Decimal(0))
        page.text(44, y + 4, total, 10, face="bold")
        page.text(568, y + 4, printed_money(subtotal), 10, face="mono", align="right")
        return y + 30

    y = section(196, "Revenue", revenue_lines, "Total revenue")
    y = section(y, "Expenses", expense_lines, "Total expenses")
    page.line(36, y - 6, 576, y - 6, 0.8)
    page.line(36, y - 3, 576, y - 3, 0.8)
    page.text(44, y + 14, "Net profit", 11, face="bold")
    page.text(568, y + 14, printed_money(profit, dollar=True), 11, face="mono", align="right")
    page.text(
        36,
        y + 48,
        "Unaudited; prepared from the business's books by the owner.",
        7.5,
    )
    fields = {
        "business_name": facts.employer_name,
        "owner_name": facts.full_name,
        "period_start": start.isoformat(),
        "period_end": end.isoformat(),
        "gross_revenue": money(revenue),
        "total_expenses": money(expenses),
        "net_profit": money(profit),
    }
    return [Sheet(page, fields)]
