"""Content sniffing: the bytes decide the type, never the name."""

from __future__ import annotations

import pytest

from services.common.docstore import (
    EmptyDocument,
    FileKind,
    InvalidDocument,
    TruncatedDocument,
    UnsupportedDocumentType,
    sniff,
)
from services.common.docstore.sniff import PDF_TAIL_WINDOW
from tests.unit.docstore import samples


@pytest.mark.parametrize(
    ("data", "kind", "content_type", "extension"),
    [
        (samples.pdf(), FileKind.PDF, "application/pdf", "pdf"),
        (samples.pdf(version="2.0"), FileKind.PDF, "application/pdf", "pdf"),
        (b"%PDF-1.4\n%%EOF", FileKind.PDF, "application/pdf", "pdf"),
        (samples.png(), FileKind.PNG, "image/png", "png"),
        (b"\x89PNG\r\n\x1a\n", FileKind.PNG, "image/png", "png"),
        (samples.jpeg(), FileKind.JPEG, "image/jpeg", "jpg"),
        (b"\xff\xd8\xff\xdb", FileKind.JPEG, "image/jpeg", "jpg"),
        (samples.tiff(), FileKind.TIFF, "image/tiff", "tif"),
        (samples.tiff(big_endian=True), FileKind.TIFF, "image/tiff", "tif"),
    ],
    ids=["pdf", "pdf-2.0", "pdf-minimal", "png", "png-sig", "jpeg", "jpeg-dqt", "tiff", "tiff-mm"],
)
def test_detects_each_supported_type(
    data: bytes, kind: FileKind, content_type: str, extension: str
) -> None:
    detected = sniff(data)
    assert detected is kind
    assert detected.content_type == content_type
    assert detected.extension == extension


def test_empty_is_rejected() -> None:
    with pytest.raises(EmptyDocument):
        sniff(b"")


@pytest.mark.parametrize(
    "data",
    [
        b"Dear underwriter, please find my W-2 attached.\n",
        b"<html><body>%PDF-1.7</body></html>",
        b" %PDF-1.7\n%%EOF",
        b"%PDF-\n%%EOF",
        b"%PDF-x.y\n%%EOF",
        b"\x89PNG\r\n\x1a",
        b"\xff\xd8",
        b"II+\x00\x08\x00\x00\x00",
        b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00",
        b"GIF89a\x01\x00\x01\x00",
        b"PK\x03\x04",
        b"\x7fELF\x02\x01\x01",
    ],
    ids=[
        "text",
        "html",
        "leading-space",
        "pdf-no-version",
        "pdf-bad-version",
        "png-short",
        "jpeg-short",
        "bigtiff",
        "heic",
        "gif",
        "zip",
        "elf",
    ],
)
def test_anything_else_is_unsupported(data: bytes) -> None:
    with pytest.raises(UnsupportedDocumentType):
        sniff(data)


def test_a_text_file_named_pdf_is_still_text() -> None:
    # The name never reaches sniffing; the content is what it is.
    with pytest.raises(UnsupportedDocumentType):
        sniff(b"This is a plain text file that someone renamed to statement.pdf\n")


def test_truncated_pdf_is_rejected() -> None:
    whole = samples.pdf()
    with pytest.raises(TruncatedDocument):
        sniff(whole[: len(whole) // 2])


def test_pdf_whose_eof_marker_is_far_from_the_end_is_rejected() -> None:
    with pytest.raises(TruncatedDocument):
        sniff(samples.pdf() + b"\x00" * (PDF_TAIL_WINDOW + 1))


def test_pdf_with_a_little_trailing_data_after_eof_is_accepted() -> None:
    assert sniff(samples.pdf() + b"\r\n\x00\x00") is FileKind.PDF


def test_content_errors_are_invalid_documents() -> None:
    for error in (EmptyDocument, UnsupportedDocumentType, TruncatedDocument):
        assert issubclass(error, InvalidDocument)


@pytest.mark.parametrize(
    ("content_type", "kind"),
    [
        ("application/pdf", FileKind.PDF),
        ("Application/PDF; charset=binary", FileKind.PDF),
        ("image/png", FileKind.PNG),
        ("image/jpeg", FileKind.JPEG),
        ("image/tiff", FileKind.TIFF),
    ],
)
def test_kind_from_content_type(content_type: str, kind: FileKind) -> None:
    assert FileKind.from_content_type(content_type) is kind


@pytest.mark.parametrize("content_type", ["image/heic", "text/plain", "", "application/pdfx"])
def test_unknown_content_type_is_unsupported(content_type: str) -> None:
    with pytest.raises(UnsupportedDocumentType):
        FileKind.from_content_type(content_type)
