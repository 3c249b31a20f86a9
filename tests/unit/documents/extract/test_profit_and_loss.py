"""Profit-and-loss statements: classified and read from the text layer and from bare words."""

from __future__ import annotations

import random
from datetime import date
from decimal import Decimal
from pathlib import Path

from services.documents.extract import extract_pdf
from services.documents.extract.anchors import extract_fields
from services.documents.extract.classify import classify
from services.documents.extract.words import group_lines
from services.documents.fields import PageKind
from services.documents.synthetic import generate_documents, invent_facts
from tests.unit.documents.extract.test_anchors import line


def test_generated_statements_are_classified_and_read_exactly(tmp_path: Path) -> None:
    periods = set()
    for seed in range(4):
        facts = invent_facts(
            random.Random(seed),
            annual_income=Decimal("58340.27") + seed * 7919,
            age=45,
            years_employed=9,
            application_date=date(2025, 6 + seed, 10),
            self_employed=True,
        )
        (document,) = generate_documents(
            facts, tmp_path / str(seed), seed=seed, kinds=[PageKind.PROFIT_AND_LOSS], scans=False
        )
        (page,) = extract_pdf(document.digital_pdf)
        (truth,) = document.truth
        assert page.kind is PageKind.PROFIT_AND_LOSS
        assert page.kind_confidence > 0.5
        got = {name: field.value for name, field in page.fields.items()}
        assert got == {name: field.value for name, field in truth.fields.items()}
        assert len(got) == 7
        periods.add(got["period_start"][5:])
    assert periods != {"01-01"}  # trailing twelve months as well as tax years


def test_an_income_statement_in_other_words_is_read() -> None:
    words = (
        line(0.05, "Harbor", "Labs", "LLC")
        + line(0.07, "Income", "Statement")
        + line(0.10, "Owner:", "Dana", "Reyes")
        + line(0.12, "Reporting", "period", "07/01/2024", "-", "12/31/2024")
        + line(0.20, "Total", "income", "$91,204.10")
        + line(0.22, "Total", "operating", "expenses", "(30,880.00)")
        + line(0.26, "Net", "income", "60,324.10")
    )
    kind, confidence = classify(words)
    assert kind is PageKind.PROFIT_AND_LOSS and confidence > 0.5
    fields = extract_fields(kind, words, group_lines(words), "ocr")
    assert {name: field.value for name, field in fields.items()} == {
        "business_name": "Harbor Labs LLC",
        "owner_name": "Dana Reyes",
        "period_start": "2024-07-01",
        "period_end": "2024-12-31",
        "gross_revenue": "91204.10",
        "total_expenses": "-30880.00",
        "net_profit": "60324.10",
    }


def test_a_tax_return_mentioning_profit_is_not_a_statement() -> None:
    words = (
        line(0.05, "Form", "1040", "U.S.", "Individual", "Income", "Tax", "Return")
        + line(0.10, "Net", "profit", "or", "(loss)", "12,000.00")
        + line(0.12, "Filing", "Status")
    )
    assert classify(words)[0] is PageKind.FORM_1040
