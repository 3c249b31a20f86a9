"""The one normalised result every extractor produces: the local text-layer and OCR pipeline,
the Amazon Textract adapter, and the synthetic generator's ground truth alike.

A page has a kind and fields; a field has a normalised value and a confidence. Values are text
in one canonical form per field type, so results from different extractors compare with ``==``:

- ``money``: a plain decimal with two places, no separators: ``"48250.00"``, ``"-12.50"``;
- ``date``: ISO 8601, ``"2024-03-31"``;
- ``year``: four digits, ``"2024"``;
- ``last4``: the last four digits of an SSN or account number, ``"6789"``; never more;
- ``text``: single spaces, as printed (names upper- or mixed-case as on the document).

Bank statements also have transactions (date, description, amount, running balance). A
profit-and-loss statement's money is for the period it prints, whatever its length.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from enum import StrEnum
from typing import Final, Literal

from pydantic import Field

from services.common.contracts.base import EventModel
from services.common.contracts.primitives import Probability


class PageKind(StrEnum):
    W2 = "w2"
    PAY_STUB = "pay_stub"
    BANK_STATEMENT = "bank_statement"
    GOVERNMENT_ID = "government_id"
    FORM_1040 = "form_1040"
    UTILITY_BILL = "utility_bill"
    PROFIT_AND_LOSS = "profit_and_loss"
    OTHER = "other"


FieldType = Literal["money", "date", "year", "last4", "text"]

FIELDS: Final[dict[PageKind, dict[str, FieldType]]] = {
    PageKind.W2: {
        "employee_name": "text",
        "employee_ssn_last4": "last4",
        "employee_address": "text",
        "employer_name": "text",
        "employer_ein": "text",
        "tax_year": "year",
        "wages": "money",  # box 1
        "federal_tax_withheld": "money",  # box 2
        "social_security_wages": "money",  # box 3
        "medicare_wages": "money",  # box 5
    },
    PageKind.PAY_STUB: {
        "employee_name": "text",
        "employer_name": "text",
        "pay_period_start": "date",
        "pay_period_end": "date",
        "pay_date": "date",
        "gross_pay": "money",
        "net_pay": "money",
        "ytd_gross": "money",
    },
    PageKind.BANK_STATEMENT: {
        "account_holder": "text",
        "bank_name": "text",
        "account_last4": "last4",
        "period_start": "date",
        "period_end": "date",
        "opening_balance": "money",
        "closing_balance": "money",
    },
    PageKind.GOVERNMENT_ID: {
        "full_name": "text",
        "date_of_birth": "date",
        "document_number_last4": "last4",
        "address": "text",
        "issuing_state": "text",
        "expiration_date": "date",
    },
    PageKind.FORM_1040: {
        "taxpayer_name": "text",
        "taxpayer_ssn_last4": "last4",
        "tax_year": "year",
        "wages": "money",  # line 1z
        "business_income": "money",  # line 8 via Schedule C profit
        "total_income": "money",  # line 9
        "adjusted_gross_income": "money",  # line 11
    },
    PageKind.UTILITY_BILL: {
        "account_holder": "text",
        "service_address": "text",
        "provider": "text",
        "bill_date": "date",
        "amount_due": "money",
    },
    PageKind.PROFIT_AND_LOSS: {
        "business_name": "text",
        "owner_name": "text",
        "period_start": "date",
        "period_end": "date",
        "gross_revenue": "money",  # total revenue for the period
        "total_expenses": "money",
        "net_profit": "money",  # for the period printed, not annualised
    },
    PageKind.OTHER: {},
}
"""Every field an extractor may report, per page kind, with its type."""

Extractor = Literal["text_layer", "ocr", "textract", "ground_truth"]


class ExtractedField(EventModel):
    value: str = Field(description="Normalised as the module docstring says for its type.")
    confidence: Probability
    source: Extractor


class Transaction(EventModel):
    posted_on: date
    description: str = Field(max_length=200)
    amount: str = Field(description="Money: negative for a debit.")
    balance: str | None = Field(default=None, description="Money: running balance, if printed.")


class ExtractedPage(EventModel):
    page_number: int = Field(ge=1, description="1-based, within its file.")
    kind: PageKind
    kind_confidence: Probability
    fields: dict[str, ExtractedField] = Field(default_factory=dict)
    transactions: tuple[Transaction, ...] = ()


def normalise(field_type: FieldType, raw: str) -> str | None:
    """``raw`` in the canonical form of ``field_type``; None if it cannot be read as one."""
    text = " ".join(raw.split())
    if not text:
        return None
    if field_type == "money":
        return normalise_money(text)
    if field_type == "date":
        return normalise_date(text)
    if field_type == "year":
        match = re.fullmatch(r"\D*((?:19|20)\d\d)\D*", text)
        return match.group(1) if match else None
    if field_type == "last4":
        digits = re.sub(r"\D", "", text)
        return digits[-4:] if len(digits) >= 4 else None
    return text


def normalise_money(text: str) -> str | None:
    negative = text.startswith("-") or (text.startswith("(") and text.endswith(")"))
    cleaned = re.sub(r"[^\d.]", "", text)
    if not cleaned or cleaned.count(".") > 1:
        return None
    try:
        amount = Decimal(cleaned).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    except InvalidOperation:
        return None
    return f"{-amount if negative else amount:.2f}"


_MONTHS: Final = {
    name: index
    for index, names in enumerate(
        (
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ),
        start=1,
    )
    for name in names
}


def normalise_date(text: str) -> str | None:
    """ISO, US ``MM/DD/YYYY`` (or ``-``), or ``Mon DD, YYYY`` / ``DD Mon YYYY``."""
    candidates = []
    if match := re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})", text):
        candidates.append((int(match[1]), int(match[2]), int(match[3])))
    elif match := re.fullmatch(r"(\d{1,2})[/-](\d{1,2})[/-](\d{4})", text):
        candidates.append((int(match[3]), int(match[1]), int(match[2])))
    elif match := re.fullmatch(r"([A-Za-z]+)\.? (\d{1,2}),? (\d{4})", text):
        month = _MONTHS.get(match[1].lower())
        if month:
            candidates.append((int(match[3]), month, int(match[2])))
    elif match := re.fullmatch(r"(\d{1,2}) ([A-Za-z]+)\.? (\d{4})", text):
        month = _MONTHS.get(match[2].lower())
        if month:
            candidates.append((int(match[3]), month, int(match[1])))
    for year, month, day in candidates:
        try:
            return date(year, month, day).isoformat()
        except ValueError:
            return None
    return None
