"""Detect a document's type from its first bytes; the file name is never consulted.

Only the formats the documents stage can read are accepted: PDF, PNG, JPEG and baseline TIFF.
A PDF must also end like one (``%%EOF`` near the end), which catches the common case of an
upload cut short without parsing the file.
"""

from __future__ import annotations

from enum import StrEnum

from services.common.docstore.errors import (
    EmptyDocument,
    TruncatedDocument,
    UnsupportedDocumentType,
)

PDF_MAGIC = b"%PDF-"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
JPEG_MAGIC = b"\xff\xd8\xff"
TIFF_LE_MAGIC = b"II*\x00"
TIFF_BE_MAGIC = b"MM\x00*"

PDF_EOF_MARKER = b"%%EOF"
PDF_TAIL_WINDOW = 1024
"""How far from the end ``%%EOF`` may sit; readers look in the last 1024 bytes too."""


class FileKind(StrEnum):
    """The file format detected from the content."""

    PDF = "pdf"
    PNG = "png"
    JPEG = "jpeg"
    TIFF = "tiff"

    @property
    def content_type(self) -> str:
        """The IANA media type."""
        return _CONTENT_TYPES[self]

    @property
    def extension(self) -> str:
        """The file extension used in store keys (without the dot)."""
        return _EXTENSIONS[self]

    @classmethod
    def from_content_type(cls, content_type: str) -> FileKind:
        """The kind for a media type, ignoring parameters and case."""
        bare = content_type.split(";", 1)[0].strip().lower()
        for kind, known in _CONTENT_TYPES.items():
            if bare == known:
                return kind
        raise UnsupportedDocumentType(f"media type {bare!r} is not accepted")

    @classmethod
    def from_extension(cls, extension: str) -> FileKind:
        """The kind whose store-key extension is ``extension``."""
        for kind, known in _EXTENSIONS.items():
            if extension == known:
                return kind
        raise UnsupportedDocumentType(f"extension {extension!r} is not a store extension")


_CONTENT_TYPES: dict[FileKind, str] = {
    FileKind.PDF: "application/pdf",
    FileKind.PNG: "image/png",
    FileKind.JPEG: "image/jpeg",
    FileKind.TIFF: "image/tiff",
}
_EXTENSIONS: dict[FileKind, str] = {
    FileKind.PDF: "pdf",
    FileKind.PNG: "png",
    FileKind.JPEG: "jpg",
    FileKind.TIFF: "tif",
}


def _is_pdf_header(data: bytes) -> bool:
    # "%PDF-" then a version such as 1.7 or 2.0.
    return (
        data.startswith(PDF_MAGIC)
        and len(data) >= 8
        and data[5:6].isdigit()
        and data[6:7] == b"."
        and data[7:8].isdigit()
    )


def sniff(data: bytes) -> FileKind:
    """The kind of ``data``, or raise if it is empty, unsupported or a truncated PDF."""
    if not data:
        raise EmptyDocument("document is empty")
    if _is_pdf_header(data):
        if PDF_EOF_MARKER not in data[-PDF_TAIL_WINDOW:]:
            raise TruncatedDocument("PDF has no %%EOF marker near its end; it looks truncated")
        return FileKind.PDF
    if data.startswith(PNG_MAGIC):
        return FileKind.PNG
    if data.startswith(JPEG_MAGIC):
        return FileKind.JPEG
    if data.startswith((TIFF_LE_MAGIC, TIFF_BE_MAGIC)):
        return FileKind.TIFF
    raise UnsupportedDocumentType("content is not a PDF, PNG, JPEG or TIFF document")
