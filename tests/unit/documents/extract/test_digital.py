from __future__ import annotations

import pytest

from services.documents.extract import extract_pdf
from services.documents.fields import PageKind
from services.documents.synthetic import GeneratedDocument, generate_sample_set


@pytest.fixture(scope="module")
def digital_set(tmp_path_factory: pytest.TempPathFactory) -> list[GeneratedDocument]:
    """Three applicants' documents, text layer only: fast enough for exact checks."""
    return generate_sample_set(tmp_path_factory.mktemp("digital"), samples=3, seed=21, scans=False)


def test_every_digital_page_is_classified_and_read_exactly(
    digital_set: list[GeneratedDocument],
) -> None:
    for document in digital_set:
        pages = extract_pdf(document.digital_pdf)
        assert len(pages) == len(document.truth)
        for page, truth in zip(pages, document.truth, strict=True):
            assert page.kind is truth.kind, document.digital_pdf
            assert page.kind_confidence > 0.5
            got = {name: field.value for name, field in page.fields.items()}
            expected = {name: field.value for name, field in truth.fields.items()}
            assert got == expected, (document.digital_pdf, page.page_number)
            assert all(field.source == "text_layer" for field in page.fields.values())
            assert all(field.confidence > 0.9 for field in page.fields.values())


def test_bank_statement_transactions_match_on_every_page(
    digital_set: list[GeneratedDocument],
) -> None:
    statements = [d for d in digital_set if d.kind is PageKind.BANK_STATEMENT]
    assert statements
    for document in statements:
        pages = extract_pdf(document.digital_pdf)
        assert [p.transactions for p in pages] == [t.transactions for t in document.truth]
