"""The synthetic documents: deterministic, readable, internally consistent, truthful."""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import numpy as np
import pdfplumber
import pytest
from PIL import Image

from services.documents.fields import FIELDS, PageKind, normalise
from services.documents.synthetic import (
    ALL_KINDS,
    ApplicantFacts,
    GeneratedDocument,
    default_kinds,
    facts_from_application,
    facts_from_row,
    generate_documents,
    generate_sample_set,
)
from services.documents.synthetic.generator import lay_out
from services.documents.synthetic.layout import Text
from services.documents.synthetic.render_scan import render_clean
from tests.unit.contracts.samples import submission

FACTS = ApplicantFacts(
    full_name="Dana Reyes",
    date_of_birth=date(1997, 6, 2),
    address_line1="12 Elm Street",
    city="Springfield",
    region="IL",
    postal_code="62701",
    ssn_last4="6789",
    employer_name="Bluegate Foods Inc.",
    annual_income=Decimal("70437.36"),
    employment_start=date(2018, 4, 9),
    application_date=date(2025, 3, 14),
)
MONEY = re.compile(r"-?\$?\d{1,3}(?:,\d{3})*\.\d{2}")
DATES = re.compile(r"\d{2}/\d{2}/\d{4}|[A-Z][a-z]{2} \d{2}, \d{4}")


@pytest.fixture(scope="module")
def full_set(tmp_path_factory: pytest.TempPathFactory) -> list[GeneratedDocument]:
    return generate_documents(FACTS, tmp_path_factory.mktemp("full"), seed=11, kinds=ALL_KINDS)


def pdf_pages(path: Path) -> list[str]:
    with pdfplumber.open(path) as pdf:
        return [page.extract_text() or "" for page in pdf.pages]


def printed_values(field_type: str, text: str) -> set[str]:
    """Every value of ``field_type`` the text shows, in canonical form."""
    if field_type == "money":
        tokens = MONEY.findall(text)
    elif field_type == "date":
        tokens = DATES.findall(text)
    elif field_type == "year":
        tokens = re.findall(r"\b(?:19|20)\d\d\b", text)
    else:
        tokens = re.findall(r"\d{4}\b", text)
    return {value for token in tokens if (value := normalise(field_type, token))}  # type: ignore[arg-type]


def test_every_kind_is_generated_with_matching_page_counts(
    full_set: list[GeneratedDocument],
) -> None:
    assert [doc.kind for doc in full_set] == list(ALL_KINDS)
    for doc in full_set:
        assert len(pdf_pages(doc.digital_pdf)) == len(doc.truth) == len(doc.scanned_pages)
        assert [page.page_number for page in doc.truth] == list(range(1, len(doc.truth) + 1))
    statement = next(doc for doc in full_set if doc.kind is PageKind.BANK_STATEMENT)
    assert 2 <= len(statement.truth) <= 3


def test_the_text_layer_shows_every_truth_value(full_set: list[GeneratedDocument]) -> None:
    for doc in full_set:
        for text, page in zip(pdf_pages(doc.digital_pdf), doc.truth, strict=True):
            collapsed = " ".join(text.split())
            for name, field in page.fields.items():
                field_type = FIELDS[doc.kind][name]
                if field_type == "text":
                    # Addresses print over two lines; each part must be there.
                    for part in field.value.split(", "):
                        assert part in collapsed, (doc.kind, name, part)
                else:
                    assert field.value in printed_values(field_type, text), (doc.kind, name)
            for row in page.transactions:
                assert row.amount in printed_values("money", text)
                assert row.posted_on.isoformat() in printed_values("date", text)
                assert row.description in collapsed


def test_truth_uses_known_fields_in_canonical_form(full_set: list[GeneratedDocument]) -> None:
    for doc in full_set:
        for page in doc.truth:
            assert page.kind is doc.kind and page.kind_confidence == 1.0
            assert set(page.fields) <= set(FIELDS[doc.kind])
            for name, field in page.fields.items():
                assert field.source == "ground_truth" and field.confidence == 1.0
                assert normalise(FIELDS[doc.kind][name], field.value) == field.value, name
        stored = doc.truth_json.read_text(encoding="utf-8")
        assert '"ground_truth"' in stored


def test_the_same_seed_gives_the_same_documents(tmp_path: Path) -> None:
    kinds = (PageKind.W2, PageKind.BANK_STATEMENT)
    first = generate_documents(FACTS, tmp_path / "a", seed=5, kinds=kinds, scans=False)
    second = generate_documents(FACTS, tmp_path / "b", seed=5, kinds=kinds, scans=False)
    other = generate_documents(FACTS, tmp_path / "c", seed=6, kinds=kinds, scans=False)
    assert [d.truth for d in first] == [d.truth for d in second]
    for one, two in zip(first, second, strict=True):
        assert pdf_pages(one.digital_pdf) == pdf_pages(two.digital_pdf)
        assert one.digital_pdf.read_bytes() == two.digital_pdf.read_bytes()
    assert [d.truth for d in first] != [d.truth for d in other]


def test_bank_balances_add_up_and_some_statements_overdraw(tmp_path: Path) -> None:
    overdrawn = 0
    for seed in range(8):
        (doc,) = generate_documents(
            FACTS, tmp_path / str(seed), seed=seed, kinds=[PageKind.BANK_STATEMENT], scans=False
        )
        first, last = doc.truth[0].fields, doc.truth[-1].fields
        balance = Decimal(first["opening_balance"].value)
        rows = [row for page in doc.truth for row in page.transactions]
        for row in rows:
            balance += Decimal(row.amount)
            assert row.balance == f"{balance:.2f}"
        assert f"{balance:.2f}" == first["closing_balance"].value == last["closing_balance"].value
        overdrawn += any(row.description == "NSF/OVERDRAFT FEE" for row in rows)
        payroll = [row for row in rows if row.description.startswith("PAYROLL")]
        assert len(payroll) >= 2 and len({row.amount for row in payroll}) == 1
    assert overdrawn >= 1


def test_payroll_deposits_equal_the_pay_stubs_net_pay(full_set: list[GeneratedDocument]) -> None:
    stub = next(doc for doc in full_set if doc.kind is PageKind.PAY_STUB).truth[0]
    statement = next(doc for doc in full_set if doc.kind is PageKind.BANK_STATEMENT)
    deposits = {
        row.amount
        for page in statement.truth
        for row in page.transactions
        if row.description.startswith("PAYROLL")
    }
    assert deposits == {stub.fields["net_pay"].value}
    assert Decimal(stub.fields["gross_pay"].value) * 26 == pytest.approx(
        FACTS.annual_income, abs=Decimal("1")
    )


def test_scans_are_degraded_images_of_the_pages(full_set: list[GeneratedDocument]) -> None:
    w2 = next(doc for doc in full_set if doc.kind is PageKind.W2)
    with Image.open(w2.scanned_pages[0]) as scan:
        assert scan.size == (1700, 2200)
        pixels = np.asarray(scan.convert("L"), dtype=np.int16)
    card = next(doc for doc in full_set if doc.kind is PageKind.GOVERNMENT_ID)
    with Image.open(card.scanned_pages[0]) as image:
        assert 900 <= image.width <= 1100 and 550 <= image.height <= 700
    (sheet,) = lay_out(FACTS, PageKind.W2, seed=11)
    clean = np.asarray(render_clean(sheet.page), dtype=np.int16)
    assert pixels.shape == clean.shape
    # Skew, blur, noise and JPEG leave almost no pixel where the clean render has it.
    assert np.abs(pixels - clean).mean() > 8
    assert (np.abs(pixels - clean) > 4).mean() > 0.5


def test_income_mismatch_scales_every_income_document(tmp_path: Path) -> None:
    kinds = (PageKind.W2, PageKind.PAY_STUB, PageKind.FORM_1040, PageKind.PROFIT_AND_LOSS)
    honest = generate_documents(FACTS, tmp_path / "a", seed=3, kinds=kinds, scans=False)
    low = generate_documents(
        FACTS, tmp_path / "b", seed=3, kinds=kinds, scans=False, income_mismatch=0.6
    )
    wages = Decimal(low[0].truth[0].fields["wages"].value)
    assert wages == (FACTS.annual_income * Decimal("0.6")).quantize(Decimal("0.01"))
    assert Decimal(honest[0].truth[0].fields["wages"].value) == FACTS.annual_income
    gross = Decimal(low[1].truth[0].fields["gross_pay"].value)
    assert gross * 26 == pytest.approx(wages, abs=Decimal("1"))
    assert low[2].truth[0].fields["wages"].value == f"{wages:.2f}"
    assert low[3].truth[0].fields["net_profit"].value == f"{wages:.2f}"
    assert honest[3].truth[0].fields["net_profit"].value == f"{FACTS.annual_income:.2f}"
    with pytest.raises(ValueError, match="factor"):
        generate_documents(FACTS, tmp_path / "c", seed=3, kinds=kinds, income_mismatch=1.5)


def test_omit_drops_documents_without_changing_the_rest(tmp_path: Path) -> None:
    every = generate_documents(FACTS, tmp_path / "a", seed=4, scans=False)
    fewer = generate_documents(
        FACTS, tmp_path / "b", seed=4, scans=False, omit=[PageKind.W2, PageKind.UTILITY_BILL]
    )
    assert {doc.kind for doc in every} - {doc.kind for doc in fewer} == {
        PageKind.W2,
        PageKind.UTILITY_BILL,
    }
    assert not (tmp_path / "b" / "w2.pdf").exists()
    kept = {doc.kind: doc.truth for doc in fewer}
    assert all(doc.truth == kept[doc.kind] for doc in every if doc.kind in kept)


def test_self_employed_income_shows_on_form_1040_and_a_profit_and_loss_statement(
    tmp_path: Path,
) -> None:
    facts = FACTS.model_copy(update={"self_employed": True})
    docs = generate_documents(facts, tmp_path, seed=2, scans=False)
    kinds = {doc.kind for doc in docs}
    assert PageKind.W2 not in kinds and PageKind.PAY_STUB not in kinds
    form = next(doc for doc in docs if doc.kind is PageKind.FORM_1040).truth[0].fields
    assert form["business_income"].value == f"{FACTS.annual_income:.2f}"
    assert "wages" not in form
    assert Decimal(form["adjusted_gross_income"].value) < Decimal(form["total_income"].value)
    statement = next(doc for doc in docs if doc.kind is PageKind.PROFIT_AND_LOSS).truth[0].fields
    assert statement["net_profit"].value == form["business_income"].value
    assert statement["owner_name"].value == FACTS.full_name
    assert statement["business_name"].value == FACTS.employer_name


def test_only_the_self_employed_upload_a_profit_and_loss_statement_by_default() -> None:
    assert PageKind.PROFIT_AND_LOSS not in default_kinds(FACTS)
    assert PageKind.W2 in default_kinds(FACTS)
    own = default_kinds(FACTS.model_copy(update={"self_employed": True}))
    assert PageKind.PROFIT_AND_LOSS in own and PageKind.FORM_1040 in own
    # Seeds follow a kind's place in ALL_KINDS: the newest kind is last, the others unmoved.
    assert ALL_KINDS[-1] is PageKind.PROFIT_AND_LOSS
    assert ALL_KINDS.index(PageKind.UTILITY_BILL) == 5


def test_a_profit_and_loss_statement_adds_up_over_twelve_months(tmp_path: Path) -> None:
    periods = set()
    for seed in range(6):
        (sheet,) = lay_out(FACTS, PageKind.PROFIT_AND_LOSS, seed=seed)
        revenue = Decimal(sheet.fields["gross_revenue"])
        expenses = Decimal(sheet.fields["total_expenses"])
        profit = Decimal(sheet.fields["net_profit"])
        assert revenue - expenses == profit == FACTS.annual_income
        assert 0 < expenses < revenue
        start = date.fromisoformat(sheet.fields["period_start"])
        end = date.fromisoformat(sheet.fields["period_end"])
        assert start.day == 1 and (end + timedelta(days=1)).day == 1
        assert (end.year - start.year) * 12 + end.month - start.month + 1 == 12
        assert end < FACTS.application_date
        periods.add((start, end))
        # The revenue and expense lines printed add up to their totals.
        lines = [
            Decimal(item.text.replace(",", ""))
            for item in sheet.page.items
            if isinstance(item, Text) and item.face == "mono" and item.size == 9.5
        ]
        assert sum(lines, Decimal(0)) == revenue + expenses
    # Both the last tax year and the trailing twelve months are drawn.
    assert (date(2024, 1, 1), date(2024, 12, 31)) in periods
    assert (date(2024, 3, 1), date(2025, 2, 28)) in periods


def test_facts_come_from_applications_and_table_rows() -> None:
    facts = facts_from_application(submission(), seed=1)
    assert (facts.full_name, facts.ssn_last4, facts.region) == ("Dana Reyes", "6789", "IL")
    assert facts.application_date == date(2025, 3, 14) and facts.tax_year == 2024
    row = {
        "age": 40,
        "annual_income": 5_000.0,
        "years_employed": 6,
        "employment_status": "Employed",
    }
    invented = facts_from_row(row, seed=9)
    assert invented == facts_from_row(row, seed=9)
    assert invented.annual_income == Decimal("18000.00") and not invented.self_employed


def test_a_sample_set_covers_every_kind_per_applicant(tmp_path: Path) -> None:
    docs = generate_sample_set(tmp_path, samples=2, seed=1, scans=False)
    assert len(docs) == 2 * len(ALL_KINDS)
    assert (tmp_path / "applicant-001" / "facts.json").exists()
