"""AnalyzeDocument through a stubbed client: forms, tables, kinds, confidences and errors."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest

from services.common.errors import PermanentError, TransientError
from services.documents.fields import PageKind, Transaction
from services.documents.textract import TextractAdapter, TextractResult
from tests.unit.documents.textract.fixtures import (
    Blocks,
    analyze_document_response,
    stubbed_textract,
)

IMAGE = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
EXPECTED_REQUEST = {"Document": {"Bytes": IMAGE}, "FeatureTypes": ["FORMS", "TABLES"]}


def w2_page() -> Blocks:
    page = Blocks()
    page.line("Form W-2 Wage and Tax Statement")
    page.line("2023", confidence=97.0)
    page.field("a Employee's social security number", ["123-45-6789"])
    page.field("b Employer identification number (EIN)", ["12-3456789"])
    page.field(
        "c Employer's name, address, and ZIP code",
        ["Acme Widgets Inc", "100 Main St", "Springfield, IL 62701"],
    )
    page.field("e Employee's first name and initial", ["Dana R"])
    page.field("Last name", ["Reyes"], value_confidence=91.0)
    page.field("f Employee's address and ZIP code", ["42 Oak Ave", "Springfield, IL 62704"])
    page.field(
        "1 Wages, tips, other compensation",
        ["48,250.00"],
        key_confidence=95.0,
        value_confidence=88.5,
    )
    page.field(
        "2 Federal income tax withheld", ["5,120.33"], key_confidence=72.0, value_confidence=99.0
    )
    page.field("3 Social security wages", ["see attached"])
    page.field("5 Medicare wages and tips", ["48250.00"])
    return page


def bank_page() -> Blocks:
    page = Blocks()
    page.line("First Example Bank")
    page.line("Account Statement")
    page.field("Account Number:", ["XXXXXX4321"])
    page.field("Statement Period:", ["03/01/2024 - 03/31/2024"])
    page.field("Account Holder", ["DANA REYES", "42 OAK AVE"])
    page.field("Beginning Balance", ["$1,200.00"])
    page.field("Ending Balance", ["$1,935.50"])
    page.table(
        [
            ["Date", "Description", "Withdrawals", "Deposits", "Balance"],
            ["03/05", "PAYROLL ACME WIDGETS", "", "2,000.00", "3,200.00"],
            ["03/12", "RENT MARCH", "1,250.00", "", "1,950.00"],
            ["", "Subtotal", "1,250.00", "2,000.00", ""],
            ["03/20", "COFFEE", "14.50", "", "1,935.50"],
        ]
    )
    return page


def run(response: dict[str, Any], **kwargs: Any) -> TextractResult:
    with stubbed_textract() as (client, stubber):
        stubber.add_response("analyze_document", response, EXPECTED_REQUEST)
        return TextractAdapter(client).analyze_document(IMAGE, **kwargs)


def values(result: TextractResult) -> dict[str, str]:
    return {name: field.value for name, field in result.pages[0].fields.items()}


def test_w2_fields_come_out_normalised_and_classified() -> None:
    result = run(analyze_document_response(w2_page()))

    (page,) = result.pages
    assert page.kind is PageKind.W2
    assert 0.5 < page.kind_confidence < 0.9
    assert values(result) == {
        "employee_ssn_last4": "6789",
        "employer_ein": "12-3456789",
        "employer_name": "Acme Widgets Inc",
        "employee_name": "Dana R Reyes",
        "employee_address": "42 Oak Ave Springfield, IL 62704",
        "wages": "48250.00",
        "federal_tax_withheld": "5120.33",
        "medicare_wages": "48250.00",
        "tax_year": "2023",
    }
    assert all(field.source == "textract" for field in page.fields.values())


def test_the_full_ssn_never_leaves_the_adapter() -> None:
    result = run(analyze_document_response(w2_page()))

    assert "123-45-6789" not in result.model_dump_json()
    assert "123456789" not in result.model_dump_json()


def test_a_value_that_does_not_normalise_is_dropped() -> None:
    result = run(analyze_document_response(w2_page()))

    assert "social_security_wages" not in result.pages[0].fields


def test_confidence_is_the_weaker_of_key_and_value() -> None:
    fields = run(analyze_document_response(w2_page())).pages[0].fields

    assert fields["wages"].confidence == pytest.approx(0.885)
    assert fields["federal_tax_withheld"].confidence == pytest.approx(0.72)
    assert fields["employee_name"].confidence == pytest.approx(0.91)
    assert all(0 <= field.confidence <= 1 for field in fields.values())


def test_bank_statement_forms_and_transactions() -> None:
    result = run(
        analyze_document_response(bank_page()),
        kind=PageKind.BANK_STATEMENT,
        kind_confidence=0.97,
    )

    (page,) = result.pages
    assert (page.kind, page.kind_confidence) == (PageKind.BANK_STATEMENT, 0.97)
    assert values(result) == {
        "account_last4": "4321",
        "period_start": "2024-03-01",
        "period_end": "2024-03-31",
        "account_holder": "DANA REYES",
        "opening_balance": "1200.00",
        "closing_balance": "1935.50",
    }
    assert page.transactions == (
        Transaction(
            posted_on=date(2024, 3, 5),
            description="PAYROLL ACME WIDGETS",
            amount="2000.00",
            balance="3200.00",
        ),
        Transaction(
            posted_on=date(2024, 3, 12),
            description="RENT MARCH",
            amount="-1250.00",
            balance="1950.00",
        ),
        Transaction(
            posted_on=date(2024, 3, 20), description="COFFEE", amount="-14.50", balance="1935.50"
        ),
    )


def test_a_bank_page_is_recognised_without_a_hint() -> None:
    result = run(analyze_document_response(bank_page()))

    assert result.pages[0].kind is PageKind.BANK_STATEMENT
    assert len(result.pages[0].transactions) == 3


def test_a_page_with_no_known_words_is_other_with_low_confidence() -> None:
    page = Blocks()
    page.line("Dear customer, thank you for your letter")
    result = run(analyze_document_response(page))

    assert result.pages[0].kind is PageKind.OTHER
    assert result.pages[0].kind_confidence < 0.5
    assert result.pages[0].fields == {}


def test_the_result_survives_a_json_round_trip() -> None:
    result = run(analyze_document_response(bank_page()), kind=PageKind.BANK_STATEMENT)

    stored = json.loads(json.dumps(result.model_dump(mode="json")))
    assert TextractResult.model_validate(stored) == result


@pytest.mark.parametrize(
    ("code", "status", "error"),
    [
        ("ThrottlingException", 400, TransientError),
        ("ProvisionedThroughputExceededException", 400, TransientError),
        ("InternalServerError", 500, TransientError),
        ("InvalidParameterException", 400, PermanentError),
        ("UnsupportedDocumentException", 400, PermanentError),
        ("BadDocumentException", 400, PermanentError),
        ("DocumentTooLargeException", 400, PermanentError),
        ("AccessDeniedException", 400, PermanentError),
    ],
)
def test_service_errors_map_to_transient_or_permanent(
    code: str, status: int, error: type[Exception]
) -> None:
    with stubbed_textract() as (client, stubber):
        stubber.add_client_error(
            "analyze_document",
            service_error_code=code,
            service_message="refused",
            http_status_code=status,
            expected_params=EXPECTED_REQUEST,
        )
        with pytest.raises(error) as caught:
            TextractAdapter(client).analyze_document(IMAGE)
    assert code in str(caught.value)
    if error is PermanentError:
        assert not isinstance(caught.value, TransientError)


def test_documents_too_large_or_empty_are_refused_before_any_call() -> None:
    with stubbed_textract() as (client, _):
        adapter = TextractAdapter(client)
        with pytest.raises(PermanentError):
            adapter.analyze_document(b"")
        with pytest.raises(PermanentError):
            adapter.analyze_document(b"\x00" * (10 * 1024 * 1024 + 1))


def test_unsupported_features_are_a_programming_error() -> None:
    with stubbed_textract() as (client, _), pytest.raises(ValueError, match="features"):
        TextractAdapter(client).analyze_document(IMAGE, features=["QUERIES"])
