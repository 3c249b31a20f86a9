"""From a file to normalised pages: words, then the page's kind, then that kind's fields."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from services.documents.extract.anchors import extract_fields
from services.documents.extract.classify import classify
from services.documents.extract.labels import COMBINED, LABELS
from services.documents.extract.tables import transactions
from services.documents.extract.words import Word, group_lines, merge, ocr_words, pdf_words
from services.documents.fields import ExtractedPage, Extractor, PageKind


def extract_page(words: list[Word], page_number: int, source: Extractor) -> ExtractedPage:
    kind, confidence = classify(words)
    lines = group_lines(words)
    return ExtractedPage(
        page_number=page_number,
        kind=kind,
        kind_confidence=confidence,
        fields=extract_fields(kind, words, lines, source),
        transactions=transactions(lines) if kind is PageKind.BANK_STATEMENT else (),
    )


def extract_pdf(path: Path) -> list[ExtractedPage]:
    """Every page of a digital PDF, read from its text layer."""
    return [
        extract_page(words, number, "text_layer")
        for number, words in enumerate(pdf_words(path), start=1)
    ]


def extract_scan(image_paths: Sequence[Path]) -> list[ExtractedPage]:
    """One page per scanned image, read by OCR, numbered in the order given."""
    return [scan_page(path, number) for number, path in enumerate(image_paths, start=1)]


def scan_page(path: Path, page_number: int) -> ExtractedPage:
    """OCR with automatic layout first; a page that leaves fields unread gets a second,
    sparse-text look at a binarised copy, whose new words are added to the first's."""
    words = ocr_words(path)
    page = extract_page(words, page_number, "ocr")
    if not _incomplete(page):
        return page
    words = merge(words, ocr_words(path, psm=11, binarise=True))
    return extract_page(words, page_number, "ocr")


def _incomplete(page: ExtractedPage) -> bool:
    if page.kind is PageKind.OTHER:
        return True
    wanted = {name for name in LABELS[page.kind] if not name.startswith("_")}
    wanted |= set(COMBINED.get(page.kind, {}))
    return not wanted <= set(page.fields)
