"""One stored file's bytes to its pages: text-layer PDFs, scans saved as PDF, images, refusals.

OCR is slow, so only three pages are read by it here: one image-only PDF page and the two
frames of a TIFF. Everything else is a digital PDF or is refused before OCR starts.
"""

from __future__ import annotations

import io
import random
import shutil
import tempfile
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from PIL import Image

from services.common.errors import PermanentError
from services.documents.extract import extract_pdf, pdf_words
from services.documents.extract import files as files_module
from services.documents.extract.files import UnreadableDocumentError, extract_file
from services.documents.fields import PageKind
from services.documents.synthetic import GeneratedDocument, generate_documents, invent_facts

needs_tesseract = pytest.mark.skipif(
    shutil.which("tesseract") is None, reason="the tesseract OCR binary is not installed"
)


@pytest.fixture(scope="module")
def documents(tmp_path_factory: pytest.TempPathFactory) -> dict[PageKind, GeneratedDocument]:
    facts = invent_facts(
        random.Random(8),
        annual_income=Decimal("58000.00"),
        age=41,
        years_employed=7,
        application_date=date(2025, 4, 9),
    )
    generated = generate_documents(
        facts,
        tmp_path_factory.mktemp("files"),
        seed=17,
        kinds=[PageKind.W2, PageKind.BANK_STATEMENT, PageKind.UTILITY_BILL, PageKind.GOVERNMENT_ID],
        scans=True,
    )
    return {document.kind: document for document in generated}


def image_only_pdf(scan: Path) -> bytes:
    """A scan saved as a PDF: one page holding just the image, no text layer."""
    buffer = io.BytesIO()
    with Image.open(scan) as image:
        image.save(buffer, "PDF", resolution=300)
    return buffer.getvalue()


def two_frame_tiff(scan: Path) -> bytes:
    buffer = io.BytesIO()
    with Image.open(scan) as image:
        image.save(buffer, "TIFF", save_all=True, append_images=[image])
    return buffer.getvalue()


def test_a_digital_pdf_is_read_from_its_text_layer(
    documents: dict[PageKind, GeneratedDocument],
) -> None:
    w2 = documents[PageKind.W2]

    pages = extract_file(w2.digital_pdf.read_bytes(), "application/pdf", max_pages=5)

    assert pages == extract_pdf(w2.digital_pdf)
    (page,) = pages
    assert page.kind is PageKind.W2
    assert {name: f.value for name, f in page.fields.items()} == {
        name: f.value for name, f in w2.truth[0].fields.items()
    }
    assert {f.source for f in page.fields.values()} == {"text_layer"}


def test_every_page_of_a_longer_pdf_comes_back_in_order(
    documents: dict[PageKind, GeneratedDocument],
) -> None:
    statement = documents[PageKind.BANK_STATEMENT]
    assert len(statement.truth) >= 2

    pages = extract_file(
        statement.digital_pdf.read_bytes(), "application/pdf", max_pages=len(statement.truth)
    )

    assert [p.page_number for p in pages] == list(range(1, len(statement.truth) + 1))
    assert pages == extract_pdf(statement.digital_pdf)
    assert {p.kind for p in pages} == {PageKind.BANK_STATEMENT}


def test_a_pdf_with_more_pages_than_allowed_is_refused(
    documents: dict[PageKind, GeneratedDocument],
) -> None:
    statement = documents[PageKind.BANK_STATEMENT]
    pages = len(statement.truth)

    with pytest.raises(UnreadableDocumentError, match=f"PDF has {pages} pages; at most 1"):
        extract_file(statement.digital_pdf.read_bytes(), "application/pdf", max_pages=1)


@needs_tesseract
def test_a_scan_saved_as_pdf_is_read_by_ocr(
    documents: dict[PageKind, GeneratedDocument], tmp_path: Path
) -> None:
    bill = documents[PageKind.UTILITY_BILL]
    data = image_only_pdf(bill.scanned_pages[0])
    (tmp_path / "scan.pdf").write_bytes(data)
    assert pdf_words(tmp_path / "scan.pdf") == [[]]  # really no text layer

    (page,) = extract_file(data, "application/pdf", max_pages=5)

    truth = bill.truth[0]
    assert page.page_number == 1
    assert page.kind is PageKind.UTILITY_BILL
    assert page.fields, "OCR found no fields"
    assert {f.source for f in page.fields.values()} == {"ocr"}
    assert page.fields["amount_due"].value == truth.fields["amount_due"].value


@needs_tesseract
def test_every_frame_of_a_tiff_is_a_page(documents: dict[PageKind, GeneratedDocument]) -> None:
    card = documents[PageKind.GOVERNMENT_ID]
    data = two_frame_tiff(card.scanned_pages[0])

    pages = extract_file(data, "image/tiff", max_pages=2)

    assert [(p.page_number, p.kind) for p in pages] == [
        (1, PageKind.GOVERNMENT_ID),
        (2, PageKind.GOVERNMENT_ID),
    ]
    first, second = pages
    # The same frame twice reads the same; only the page number differs.
    assert second == first.model_copy(update={"page_number": 2})
    assert first.fields["date_of_birth"].value == card.truth[0].fields["date_of_birth"].value


def test_an_image_with_more_frames_than_allowed_is_refused(
    documents: dict[PageKind, GeneratedDocument],
) -> None:
    data = two_frame_tiff(documents[PageKind.GOVERNMENT_ID].scanned_pages[0])

    with pytest.raises(UnreadableDocumentError, match="image has 2 frames; at most 1"):
        extract_file(data, "image/tiff", max_pages=1)


def test_an_image_larger_than_a_page_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(files_module, "MAX_PIXELS", 100)
    buffer = io.BytesIO()
    Image.new("L", (11, 10), color=255).save(buffer, "PNG")

    with pytest.raises(UnreadableDocumentError, match="larger than a scanned page"):
        extract_file(buffer.getvalue(), "image/png", max_pages=5)


@pytest.mark.parametrize(
    ("data", "content_type", "message"),
    [
        (b"%PDF-1.7\nthis is not really a pdf\n", "application/pdf", "PDF cannot be parsed"),
        (b"\x00\x01garbage" * 64, "application/pdf", "PDF cannot be parsed"),
        (b"\xff\xd8\xff\xe0 not a jpeg after all" * 8, "image/jpeg", "image cannot be decoded"),
        (b"\x00\x01garbage" * 64, "image/jpeg", "image cannot be decoded"),
        (b"", "image/png", "image cannot be decoded"),
    ],
    ids=["pdf-header", "pdf-noise", "jpeg-header", "jpeg-noise", "empty-png"],
)
def test_garbage_is_unreadable(data: bytes, content_type: str, message: str) -> None:
    with pytest.raises(UnreadableDocumentError, match=message) as caught:
        extract_file(data, content_type, max_pages=5)
    # Asking again will not help: the runtime must not retry it.
    assert isinstance(caught.value, PermanentError)


def test_scratch_files_are_removed_whatever_the_outcome(
    documents: dict[PageKind, GeneratedDocument], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))

    extract_file(documents[PageKind.W2].digital_pdf.read_bytes(), "application/pdf", max_pages=5)
    with pytest.raises(UnreadableDocumentError):
        extract_file(b"%PDF-1.4\nbroken", "application/pdf", max_pages=5)

    assert list(scratch.iterdir()) == []
