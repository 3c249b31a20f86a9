"""Where each field is printed, per page kind: the labels that announce it and where its value
sits relative to the label.

Rules are tried in order, and within a rule every synonym's matches best first; the first
value that reads as the field's type wins. Some headers carry no label at all (a bank's name,
an employer's name in a pay stub's corner); those anchor on a neighbour that is always there.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

from services.documents.fields import PageKind

Direction = Literal["right", "left", "below", "above"]

# Thousands separators may come back from OCR as either "," or "."; the last separator
# before two digits is the decimal point.
MONEY: Final = r"(?<![\w.,/])\(?-?\$?\s?\d{1,3}(?:[,.]?\d{3})*[.,]\d{2}\)?(?![\d])"
DATE_US: Final = r"(?<!\d)\d{1,2}/\d{1,2}/\d{4}(?!\d)"
DATE_LONG: Final = r"[A-Za-z]{3,9}\.? \d{1,2}, ?\d{4}"
YEAR: Final = r"(?<!\d)(?:1\s?9|2\s?0)\s?\d\s?\d(?!\d)"
LAST4: Final = r"[\w*-]*\d{4}(?!\d)"
EIN: Final = r"(?<!\d)\d{2}-\d{7}(?!\d)"
STATE: Final = r"\b[A-Z]{2}\b"


@dataclass(frozen=True)
class Rule:
    labels: tuple[str, ...]
    direction: Direction
    pattern: str | None = None
    """Searched in the value's text; None takes the nearest phrase (text fields)."""
    occurrence: int = 0
    """Which match of ``pattern`` (a period prints two dates after one label)."""
    lines: int = 1
    """Lines taken below or above the label, joined with ", " (a two-line address)."""
    max_gap: float = 3.0
    """How far below or above the value may start, in label heights."""
    reach: float = 1.0
    """How far right of the label, in label widths, a value below or above may start."""


def rule(*labels: str, direction: Direction = "right", **options: object) -> tuple[Rule, ...]:
    return (Rule(tuple(labels), direction, **options),)  # type: ignore[arg-type]


LABELS: Final[dict[PageKind, dict[str, tuple[Rule, ...]]]] = {
    PageKind.W2: {
        "employee_ssn_last4": rule(
            "Employee's social security number", direction="below", pattern=LAST4
        ),
        "employer_ein": rule(
            "Employer identification number", "Employer ID number", direction="below", pattern=EIN
        ),
        "employer_name": rule("Employer's name, address, and ZIP code", direction="below"),
        "employee_name": rule("Employee's first name and initial Last name", direction="below"),
        "employee_address": rule("Employee's address and ZIP code", direction="below", lines=2),
        "tax_year": rule("Wage and Tax Statement", pattern=YEAR),
        "wages": rule("Wages, tips, other compensation", direction="below", pattern=MONEY),
        "federal_tax_withheld": rule(
            "Federal income tax withheld", direction="below", pattern=MONEY
        ),
        "social_security_wages": rule("Social security wages", direction="below", pattern=MONEY),
        "medicare_wages": rule("Medicare wages and tips", direction="below", pattern=MONEY),
    },
    PageKind.PAY_STUB: {
        "employee_name": rule("Employee", "Employee name", direction="below"),
        "employer_name": rule("Earnings Statement", "Pay Statement", direction="left"),
        "pay_period_start": rule("Pay period", direction="below", pattern=DATE_US),
        "pay_period_end": rule("Pay period", direction="below", pattern=DATE_US, occurrence=1),
        "pay_date": rule("Pay date", "Check date", pattern=DATE_US),
        "gross_pay": rule("Gross pay", pattern=MONEY),
        "net_pay": rule("Net pay", pattern=MONEY),
        "ytd_gross": rule("Gross pay", pattern=MONEY, occurrence=1),
    },
    PageKind.BANK_STATEMENT: {
        "account_holder": rule("Account number", direction="left"),
        "bank_name": rule("Page # of #", direction="left") + rule("Member FDIC", direction="above"),
        "account_last4": rule("Account number", "Account no", pattern=LAST4),
        "period_start": rule("Statement period", pattern=DATE_LONG),
        "period_end": rule("Statement period", pattern=DATE_LONG, occurrence=1),
        "opening_balance": rule("Opening balance", "Beginning balance", pattern=MONEY),
        "closing_balance": rule("Closing balance", "Ending balance", pattern=MONEY),
    },
    PageKind.GOVERNMENT_ID: {
        "full_name": rule("EXP", direction="below"),
        "date_of_birth": rule("DOB", pattern=DATE_US),
        "document_number_last4": rule("DL", "DLN", "LIC", pattern=LAST4),
        "address": rule("DOB", direction="above", lines=2),
        "issuing_state": rule("ISS", pattern=STATE),
        "expiration_date": rule("EXP", pattern=DATE_US),
    },
    PageKind.FORM_1040: {
        "_first_name": rule("Your first name and middle initial", direction="below"),
        "_last_name": rule("Last name", direction="below"),
        "taxpayer_ssn_last4": rule("Your social security number", direction="below", pattern=LAST4),
        "tax_year": rule("Individual Income Tax Return", "For the year", pattern=YEAR),
        "wages": rule("Add lines 1a through 1h", pattern=MONEY),
        "business_income": rule("Additional income from Schedule 1", pattern=MONEY),
        "total_income": rule("This is your total income", pattern=MONEY),
        "adjusted_gross_income": rule("This is your adjusted gross income", pattern=MONEY),
    },
    PageKind.UTILITY_BILL: {
        "account_holder": rule("Customer service", direction="below", max_gap=6.0, reach=0.0),
        "service_address": rule("Service address"),
        "provider": rule("Statement", direction="left")
        + rule("Customer service", direction="above"),
        "bill_date": rule("Bill date", "Statement date", pattern=DATE_LONG),
        "amount_due": rule("Amount due", "Total amount due", pattern=MONEY),
    },
    PageKind.PROFIT_AND_LOSS: {
        # The business's name heads the page, over the statement's title.
        "business_name": rule(
            "Profit and Loss Statement", "Profit and Loss", "Income Statement", direction="above"
        ),
        "owner_name": rule("Business owner", "Owner", "Prepared for"),
        "period_start": rule("For the period", "Reporting period", pattern=DATE_US),
        "period_end": rule("For the period", "Reporting period", pattern=DATE_US, occurrence=1),
        "gross_revenue": rule("Total revenue", "Gross revenue", "Total income", pattern=MONEY),
        "total_expenses": rule("Total expenses", "Total operating expenses", pattern=MONEY),
        "net_profit": rule("Net profit", "Net income", pattern=MONEY),
    },
    PageKind.OTHER: {},
}
"""Helper fields start with ``_`` and are combined by ``COMBINED`` rather than reported."""

COMBINED: Final[dict[PageKind, dict[str, tuple[str, ...]]]] = {
    PageKind.FORM_1040: {"taxpayer_name": ("_first_name", "_last_name")},
}
