"""The pure mapping helpers: label lookup, periods, keyword kinds, other forms, tables."""

from __future__ import annotations

from datetime import date

import pytest

from services.documents.fields import FIELDS, PageKind
from services.documents.textract.blocks import Table
from services.documents.textract.labels import FORM_LABELS, LENDING_TYPES, Target
from services.documents.textract.mapping import classify, document_pages, lookup, split_range
from services.documents.textract.transactions import transactions
from tests.unit.documents.textract.fixtures import Blocks, analyze_document_response


@pytest.mark.parametrize(
    ("printed", "expected"),
    [
        ("03/01/2024 - 03/31/2024", ("2024-03-01", "2024-03-31")),
        ("March 1, 2024 to March 31, 2024", ("2024-03-01", "2024-03-31")),
        ("03/01/2024-03/31/2024", ("2024-03-01", "2024-03-31")),
        ("2024-03-01 \u2013 2024-03-15", ("2024-03-01", "2024-03-15")),
        ("03/01/2024", None),
        ("last month", None),
    ],
)
def test_periods_split_into_two_dates(printed: str, expected: tuple[str, str] | None) -> None:
    assert split_range(printed) == expected


def test_labels_match_with_or_without_box_codes() -> None:
    labels = FORM_LABELS[PageKind.W2]
    assert lookup(labels, "1 Wages, tips, other compensation") == (Target("wages"),)
    assert lookup(labels, "Wages, tips, other compensation") == (Target("wages"),)
    assert lookup(labels, "Box 2 Federal income tax withheld:") == (Target("federal_tax_withheld"),)
    assert lookup(labels, "12a See instructions for box 12") == ()


def test_every_table_targets_only_fields_of_its_kind() -> None:
    for tables in (FORM_LABELS, LENDING_TYPES):
        for kind, table in tables.items():
            for targets in table.values():
                fields = targets if isinstance(targets, tuple) else (targets,)
                assert {target.field for target in fields} <= FIELDS[kind].keys(), kind


@pytest.mark.parametrize(
    ("lines", "kind"),
    [
        (["EARNINGS STATEMENT", "Gross Pay", "Net Pay"], PageKind.PAY_STUB),
        (["Form 1040 U.S. Individual Income Tax Return 2023"], PageKind.FORM_1040),
        (["City Power & Light", "Service Address", "Amount Due"], PageKind.UTILITY_BILL),
        (["ILLINOIS DRIVER LICENSE"], PageKind.GOVERNMENT_ID),
        (
            ["Harbor Labs LLC", "Profit & Loss", "Total Revenue", "Net Profit"],
            PageKind.PROFIT_AND_LOSS,
        ),
        (["INCOME STATEMENT", "Total Expenses", "Net Income"], PageKind.PROFIT_AND_LOSS),
    ],
)
def test_keyword_classifier(lines: list[str], kind: PageKind) -> None:
    found, confidence = classify(lines)
    assert found is kind
    assert 0 < confidence <= 0.9


def test_form_1040_lines_and_split_name() -> None:
    page = Blocks()
    page.line("Form 1040 U.S. Individual Income Tax Return 2023")
    page.field("Your first name and middle initial", ["DANA R"])
    page.field("Last name", ["REYES"])
    page.field("Your social security number", ["123 45 6789"])
    page.field("1z Add lines 1a through 1h", ["48,250."])
    page.field(
        "9 Add lines 1z, 2b, 3b, 4b, 5b, 6b, 7, and 8. This is your total income", ["51,010"]
    )
    page.field("11 Subtract line 10 from line 9. This is your adjusted gross income", ["49,600"])

    (result,) = document_pages(analyze_document_response(page), kind=PageKind.FORM_1040)

    assert {name: field.value for name, field in result.fields.items()} == {
        "taxpayer_name": "DANA R REYES",
        "taxpayer_ssn_last4": "6789",
        "wages": "48250.00",
        "total_income": "51010.00",
        "adjusted_gross_income": "49600.00",
    }


def test_profit_and_loss_statement_fields() -> None:
    page = Blocks()
    page.line("Harbor Labs LLC")
    page.line("PROFIT AND LOSS STATEMENT")
    page.field("Business Name", ["Harbor Labs LLC", "12 Market Plaza"])
    page.field("Business owner:", ["Dana Reyes"])
    page.field("For the period", ["01/01/2024 - 12/31/2024"])
    page.field("Total Revenue", ["$152,400.00"])
    page.field("Total Operating Expenses", ["61,310.55"])
    page.field("Net Profit (Loss)", ["91,089.45"], key_confidence=98.0, value_confidence=82.0)

    (result,) = document_pages(analyze_document_response(page))

    assert result.kind is PageKind.PROFIT_AND_LOSS
    assert {name: field.value for name, field in result.fields.items()} == {
        "business_name": "Harbor Labs LLC",
        "owner_name": "Dana Reyes",
        "period_start": "2024-01-01",
        "period_end": "2024-12-31",
        "gross_revenue": "152400.00",
        "total_expenses": "61310.55",
        "net_profit": "91089.45",
    }
    assert result.fields["net_profit"].confidence == pytest.approx(0.82)


def test_half_a_name_is_not_reported() -> None:
    page = Blocks()
    page.field("Last name", ["Reyes"])

    (result,) = document_pages(analyze_document_response(page), kind=PageKind.W2)

    assert "employee_name" not in result.fields


def test_utility_bill_fields() -> None:
    page = Blocks()
    page.field("Bill Date:", ["April 2, 2024"])
    page.field("Total Amount Due", ["$84.17"], key_confidence=99.0, value_confidence=85.0)
    page.field("Service Address", ["42 Oak Ave", "Springfield IL 62704"])

    (result,) = document_pages(analyze_document_response(page), kind=PageKind.UTILITY_BILL)

    assert result.fields["bill_date"].value == "2024-04-02"
    assert result.fields["amount_due"].value == "84.17"
    assert result.fields["amount_due"].confidence == pytest.approx(0.85)
    assert result.fields["service_address"].value == "42 Oak Ave Springfield IL 62704"


def test_signed_amount_column_and_tables_without_a_header() -> None:
    listing = Table(
        page=1,
        rows=(
            ("Posting Date", "Transaction Details", "Amount", "Running Balance"),
            ("2024-03-02", "CARD PURCHASE", "-42.10", "957.90"),
            ("Mar 4", "TRANSFER IN", "500.00", ""),
            ("03/09", "", "n/a", ""),
        ),
    )
    summary = Table(page=1, rows=(("Fees", "0.00"), ("Interest", "0.12")))

    found = transactions([summary, listing], year_hint=2024)

    assert [(t.posted_on, t.description, t.amount, t.balance) for t in found] == [
        (date(2024, 3, 2), "CARD PURCHASE", "-42.10", "957.90"),
        (date(2024, 3, 4), "TRANSFER IN", "500.00", None),
    ]
    assert transactions([listing], year_hint=None)[1:] == ()
