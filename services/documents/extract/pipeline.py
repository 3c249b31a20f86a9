"""From a file to normalised pages: words, then the page's kind, then that kind's fields."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from services.documents.extract.anchors import extract_fields
from services.documents.extract.classify import classify
from services.documents.extract.labels import COMBINED, LABELS
from services.documents.extract.regions import PageImage, reread_field
from services.documents.extract.tables import transactions
from services.documents.extract.words import (
    Word,
    group_lines,
    merge,
    ocr_page,
    ocr_words,
    pdf_words,
)
from services.documents.fields import FIELDS, ExtractedField, ExtractedPage, Extractor, PageKind


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
    """OCR with automatic layout first. A page that leaves fields unread gets more looks, each
    only if the previous ones left a gap: sparse text on a binarised copy, then layout as one
    column (``--psm 4``, which keeps a ruled box's small label with its row), their new words
    added to the first's; last, just the zone where each still missing value is printed."""
    words, angle = ocr_page(path)
    page = extract_page(words, page_number, "ocr")
    for psm, binarise in ((11, True), (4, False)):
        if not _incomplete(page):
            return page
        words = merge(words, ocr_words(path, psm=psm, binarise=binarise))
        page = extract_page(words, page_number, "ocr")
    if not _incomplete(page) or page.kind is PageKind.OTHER:
        return page
    return _reread_missing(page, words, PageImage(path, angle))


def _reread_missing(page: ExtractedPage, words: list[Word], image: PageImage) -> ExtractedPage:
    lines = group_lines(words)
    types = FIELDS[page.kind]
    found = {name: field.value for name, field in page.fields.items()}
    confidences = {name: field.confidence for name, field in page.fields.items()}
    combined = COMBINED.get(page.kind, {})
    for name, rules in LABELS[page.kind].items():
        parts_of = [whole for whole, parts in combined.items() if name in parts]
        if name in found or any(whole in found for whole in parts_of):
            continue
        if name.startswith("_") and not parts_of:
            continue
        reading = reread_field(
            image, words, lines, rules, "text" if name.startswith("_") else types[name]
        )
        if reading is not None:
            found[name], confidences[name] = reading.value, reading.confidence
    fields = dict(page.fields)
    for name in LABELS[page.kind]:
        if name in found and name not in fields and not name.startswith("_"):
            fields[name] = ExtractedField(
                value=found[name], confidence=confidences[name], source="ocr"
            )
    for whole, parts in combined.items():
        if whole not in fields and all(part in found for part in parts):
            fields[whole] = ExtractedField(
                value=" ".join(found[part] for part in parts),
                confidence=min(confidences[part] for part in parts),
                source="ocr",
            )
    return page.model_copy(update={"fields": fields})


def _incomplete(page: ExtractedPage) -> bool:
    if page.kind is PageKind.OTHER:
        return True
    wanted = {name for name in LABELS[page.kind] if not name.startswith("_")}
    wanted |= set(COMBINED.get(page.kind, {}))
    return not wanted <= set(page.fields)
