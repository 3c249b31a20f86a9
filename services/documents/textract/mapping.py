"""Pure functions from Textract AnalyzeDocument responses to the normalised ``ExtractedPage``.

Every value goes through ``fields.normalise``; one that does not read as its field's type is
dropped, never guessed. A field found twice on a page keeps its more confident reading. The
confidence of a form field is the weaker of its key's and its value's, so a clearly read number
under a barely read label is not trusted more than the label.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any, Final, Literal

from services.common.contracts.base import EventModel
from services.documents.fields import (
    FIELDS,
    ExtractedField,
    ExtractedPage,
    PageKind,
    Transaction,
    normalise,
    normalise_date,
)
from services.documents.textract.blocks import BlockGraph, KeyValue, Line, Table
from services.documents.textract.labels import (
    FORM_LABELS,
    KIND_KEYWORDS,
    Part,
    Target,
    label_key,
    without_box_code,
)
from services.documents.textract.transactions import transactions

Operation = Literal["analyze_document", "analyze_id", "lending"]

UNCLASSIFIED_CONFIDENCE: Final = 0.3
"""Kind confidence of a page no keyword voted for: OTHER, but only because nothing matched."""
_KEYWORD_CAP: Final = 0.9
_RANGE_SEPARATOR: Final = re.compile(r"\s+(?:-|to|through|thru)\s+|\s*[\u2013\u2014]\s*", re.I)
_YEAR_LINE: Final = re.compile(
    r"(?:form (?:w 2|1040) |wage and tax statement )?((?:19|20)\d\d)(?: form (?:w 2|1040))?"
)


class TextractResult(EventModel):
    """What one Textract call yielded, in a form ``Once`` can store and replay."""

    operation: Operation
    pages: tuple[ExtractedPage, ...]
    job_id: str | None = None
    warnings: tuple[str, ...] = ()


class FieldSink:
    """Collects a page's fields: normalises, drops unreadable values, keeps the best reading."""

    def __init__(self, kind: PageKind) -> None:
        self.kind = kind
        self._fields: dict[str, ExtractedField] = {}
        self._names: dict[str, dict[Part, tuple[str, float]]] = {}

    def offer(self, field: str, raw: str, confidence: float) -> None:
        field_type = FIELDS[self.kind].get(field)
        if field_type is None:
            return
        value = normalise(field_type, raw)
        if value is None:
            return
        confidence = round(min(1.0, max(0.0, confidence)), 4)
        current = self._fields.get(field)
        if current is None or confidence > current.confidence:
            self._fields[field] = ExtractedField(
                value=value, confidence=confidence, source="textract"
            )

    def put(self, target: Target, lines: Sequence[str], confidence: float) -> None:
        """Route a printed value (as lines) to its field, taking the part the target names."""
        lines = [line for line in (" ".join(item.split()) for item in lines) if line]
        if not lines:
            return
        if target.part == "whole":
            self.offer(target.field, " ".join(lines), confidence)
        elif target.part == "first_line":
            self.offer(target.field, lines[0], confidence)
        elif target.part in ("range_start", "range_end"):
            bounds = split_range(" ".join(lines))
            if bounds is not None:
                raw = bounds[0] if target.part == "range_start" else bounds[1]
                self.offer(target.field, raw, confidence)
        else:
            self._names.setdefault(target.field, {})[target.part] = (" ".join(lines), confidence)

    def fields(self) -> dict[str, ExtractedField]:
        # A name is reported only when both halves were printed: half a name is not a name.
        for field, parts in self._names.items():
            first, last = parts.get("name_first"), parts.get("name_last")
            if first is not None and last is not None:
                self.offer(field, f"{first[0]} {last[0]}", min(first[1], last[1]))
        self._names.clear()
        return dict(sorted(self._fields.items()))


def split_range(text: str) -> tuple[str, str] | None:
    """A printed period such as ``03/01/2024 - 03/31/2024`` as two ISO dates."""
    parts = _RANGE_SEPARATOR.split(text)
    candidates = [(parts[0], parts[1])] if len(parts) == 2 else []
    # Without spaces the hyphen is ambiguous with ISO dates; try every hyphen as the divider.
    candidates += [(text[:i], text[i + 1 :]) for i, char in enumerate(text) if char == "-"]
    for left, right in candidates:
        start, end = normalise_date(left.strip()), normalise_date(right.strip())
        if start is not None and end is not None:
            return start, end
    return None


def classify(lines: Sequence[str]) -> tuple[PageKind, float]:
    """A keyword vote over a page's printed lines, for when the caller does not know the kind.

    The confidence grows with the number of matching phrases and shrinks with votes for other
    kinds, and never exceeds 0.9: a keyword vote is weaker evidence than a trained classifier.
    """
    text = " " + " \n ".join(label_key(line) for line in lines) + " "
    votes = {
        kind: sum(1 for phrase in phrases if f" {label_key(phrase)} " in text)
        for kind, phrases in KIND_KEYWORDS.items()
    }
    best = max(votes, key=lambda kind: votes[kind])
    top, total = votes[best], sum(votes.values())
    if top == 0:
        return PageKind.OTHER, UNCLASSIFIED_CONFIDENCE
    return best, round(_KEYWORD_CAP * (top / total) * (1 - 0.5**top), 4)


def document_pages(
    response: Mapping[str, Any],
    *,
    kind: PageKind | None = None,
    kind_confidence: float = 1.0,
) -> tuple[ExtractedPage, ...]:
    """Pages of an AnalyzeDocument (FORMS, TABLES) response.

    ``kind`` is the page kind when the caller already knows it (from Analyze Lending or the
    local classifier); otherwise each page is classified by ``classify``.
    """
    graph = BlockGraph(response.get("Blocks", ()))
    pairs, lines, tables = graph.key_values(), graph.lines(), graph.tables()
    pages = []
    for number in graph.pages():
        page_lines = [line for line in lines if line.page == number]
        if kind is None:
            page_kind, page_confidence = classify([line.text for line in page_lines])
        else:
            page_kind, page_confidence = kind, kind_confidence
        pages.append(
            _page(
                number,
                page_kind,
                page_confidence,
                [pair for pair in pairs if pair.page == number],
                page_lines,
                [table for table in tables if table.page == number],
            )
        )
    return tuple(pages)


def _page(
    number: int,
    kind: PageKind,
    kind_confidence: float,
    pairs: Sequence[KeyValue],
    lines: Sequence[Line],
    tables: Sequence[Table],
) -> ExtractedPage:
    sink = FieldSink(kind)
    labels = FORM_LABELS[kind]
    for pair in pairs:
        for target in lookup(labels, pair.key):
            sink.put(target, pair.lines, pair.confidence)
    found = sink.fields()
    if "tax_year" in FIELDS[kind] and "tax_year" not in found:
        # The year on a W-2 or 1040 is printed large on its own, not as a labelled field.
        for line in lines:
            if match := _YEAR_LINE.fullmatch(label_key(line.text)):
                sink.offer("tax_year", match.group(1), line.confidence)
        found = sink.fields()
    moves: tuple[Transaction, ...] = ()
    if kind == PageKind.BANK_STATEMENT:
        period = found.get("period_end") or found.get("period_start")
        moves = transactions(tables, year_hint=int(period.value[:4]) if period else None)
    return ExtractedPage(
        page_number=number,
        kind=kind,
        kind_confidence=round(min(1.0, max(0.0, kind_confidence)), 4),
        fields=found,
        transactions=moves,
    )


def lookup(labels: Mapping[str, tuple[Target, ...]], printed: str) -> tuple[Target, ...]:
    """The targets of a printed label, with or without its leading box or line code."""
    key = label_key(printed)
    return labels.get(key) or labels.get(without_box_code(key)) or ()
