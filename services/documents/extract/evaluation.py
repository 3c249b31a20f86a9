"""Accuracy and speed of the local pipeline on a freshly generated synthetic sample set.

A field is right only if its value equals the ground truth exactly; a field the extractor left
out counts as wrong, a field it reported that the truth lacks is ignored. Time is wall-clock
per page in this one process, with tesseract single-threaded.

The baseline, measured in the same run: one plain full-page Tesseract pass (automatic layout,
one thread) on the first ``BASELINE_PAGES`` scanned pages, the cost the issue's goal is set
against. The pipeline makes that pass and more only where it left a field unread.
"""

from __future__ import annotations

import time
from collections import defaultdict
from pathlib import Path

from services.documents.extract.pipeline import extract_pdf, extract_scan
from services.documents.extract.words import run_tesseract
from services.documents.fields import ExtractedPage
from services.documents.synthetic import generate_sample_set

BASELINE_PAGES = 6


class _Tally:
    def __init__(self) -> None:
        self.right: defaultdict[str, int] = defaultdict(int)
        self.total: defaultdict[str, int] = defaultdict(int)

    def add(self, kind: str, right: int, total: int) -> None:
        self.right[kind] += right
        self.total[kind] += total

    def share(self) -> float:
        total = sum(self.total.values())
        return round(sum(self.right.values()) / total, 4) if total else 1.0

    def by_kind(self) -> dict[str, float]:
        return {k: round(self.right[k] / n, 4) for k, n in sorted(self.total.items()) if n}


def _compare(
    got: list[ExtractedPage], truth: tuple[ExtractedPage, ...], kinds: _Tally, fields: _Tally
) -> None:
    for index, expected in enumerate(truth):
        page = got[index] if index < len(got) else None
        kind = expected.kind.value
        kinds.add(kind, int(page is not None and page.kind is expected.kind), 1)
        right = sum(
            1
            for name, field in expected.fields.items()
            if page is not None and name in page.fields and page.fields[name].value == field.value
        )
        fields.add(kind, right, len(expected.fields))


def evaluate(samples: int, seed: int, workdir: Path) -> dict[str, object]:
    """Generates ``samples`` applicants' documents under ``workdir`` and scores both paths."""
    documents = generate_sample_set(workdir, samples=samples, seed=seed)
    kinds, digital, scanned = _Tally(), _Tally(), _Tally()
    digital_s = scanned_s = 0.0
    pages = scanned_pages = 0
    for document in documents:
        started = time.perf_counter()
        from_pdf = extract_pdf(document.digital_pdf)
        digital_s += time.perf_counter() - started
        started = time.perf_counter()
        from_scan = extract_scan(document.scanned_pages)
        scanned_s += time.perf_counter() - started
        pages += len(document.truth)
        scanned_pages += len(document.scanned_pages)
        _compare(from_pdf, document.truth, kinds, digital)
        _compare(from_scan, document.truth, kinds, scanned)
    baseline = [page for document in documents for page in document.scanned_pages][:BASELINE_PAGES]
    started = time.perf_counter()
    for image in baseline:
        run_tesseract(str(image), None, psm=3)
    baseline_s = time.perf_counter() - started
    return {
        "pages": pages,
        "classification_accuracy": kinds.share(),
        "field_accuracy_digital": digital.share(),
        "field_accuracy_scanned": scanned.share(),
        "s_per_page_digital": round(digital_s / max(pages, 1), 4),
        "s_per_page_scanned": round(scanned_s / max(scanned_pages, 1), 4),
        "baseline_s_per_page_plain_tesseract": round(baseline_s / max(len(baseline), 1), 4),
        "baseline_pages": len(baseline),
        "classification_accuracy_by_kind": kinds.by_kind(),
        "field_accuracy_digital_by_kind": digital.by_kind(),
        "field_accuracy_scanned_by_kind": scanned.by_kind(),
    }
