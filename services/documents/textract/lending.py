"""Pure functions from AnalyzeID and GetLendingAnalysis responses to ``ExtractedPage``.

AnalyzeID names its fields (``FIRST_NAME``, ``DATE_OF_BIRTH`` ...), so no label matching is
needed; dates come with a normalised form, which is preferred over the printed text. Analyze
Lending classifies each page (``PageType``) and extracts typed fields; the types this adapter
reads are the tables in ``labels``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Final

from services.documents.fields import ExtractedPage, PageKind
from services.documents.textract.blocks import percent
from services.documents.textract.labels import EXPENSE_TYPES, LENDING_PAGE_TYPES, LENDING_TYPES
from services.documents.textract.mapping import FieldSink

Reading = tuple[str, float]

UNTYPED_ID_CONFIDENCE: Final = 0.5
"""Kind confidence of an AnalyzeID result that did not say what kind of ID it read."""
_ISO_PREFIX: Final = re.compile(r"(\d{4}-\d{2}-\d{2})(?:T.*)?")


def identity_pages(response: Mapping[str, Any]) -> tuple[ExtractedPage, ...]:
    """One government-ID page per identity document in an AnalyzeID response."""
    pages = []
    for document in response.get("IdentityDocuments", ()):
        readings = _id_readings(document.get("IdentityDocumentFields", ()))
        id_type = readings.get("ID_TYPE")
        sink = FieldSink(PageKind.GOVERNMENT_ID)
        for field, (raw, confidence) in identity_fields(readings).items():
            sink.offer(field, raw, confidence)
        pages.append(
            ExtractedPage(
                page_number=max(1, int(document.get("DocumentIndex", 1))),
                kind=PageKind.GOVERNMENT_ID,
                kind_confidence=id_type[1] if id_type else UNTYPED_ID_CONFIDENCE,
                fields=sink.fields(),
            )
        )
    return tuple(pages)


def identity_fields(readings: Mapping[str, Reading]) -> dict[str, Reading]:
    """Our government-ID fields (raw text, confidence) from AnalyzeID field readings."""
    out: dict[str, Reading] = {}
    name = _joined(readings, ("FIRST_NAME", "MIDDLE_NAME", "LAST_NAME"), " ")
    if name is not None and "FIRST_NAME" in readings and "LAST_NAME" in readings:
        out["full_name"] = name
    for field, source in (
        ("date_of_birth", "DATE_OF_BIRTH"),
        ("document_number_last4", "DOCUMENT_NUMBER"),
        ("expiration_date", "EXPIRATION_DATE"),
    ):
        if source in readings:
            out[field] = readings[source]
    if state := readings.get("STATE_NAME") or readings.get("STATE_IN_ADDRESS"):
        out["issuing_state"] = state
    if address := _address(readings):
        out["address"] = address
    return out


def lending_pages(results: Iterable[Mapping[str, Any]]) -> tuple[ExtractedPage, ...]:
    """Pages of every GetLendingAnalysis ``Results`` entry, collected across NextToken pages.

    A page listed twice keeps the entry classified with more confidence.
    """
    pages: dict[int, ExtractedPage] = {}
    for result in results:
        page = _lending_page(result)
        current = pages.get(page.page_number)
        if current is None or page.kind_confidence > current.kind_confidence:
            pages[page.page_number] = page
    return tuple(pages[number] for number in sorted(pages))


def page_kind(classification: Mapping[str, Any]) -> tuple[PageKind, float]:
    """The most confident ``PageType`` prediction, as our kind."""
    predictions = list(classification.get("PageType", ()))
    if not predictions:
        return PageKind.OTHER, 0.0
    best = max(predictions, key=lambda prediction: float(prediction.get("Confidence", 0.0)))
    kind = LENDING_PAGE_TYPES.get(str(best.get("Value", "")), PageKind.OTHER)
    return kind, percent(best.get("Confidence"))


def _lending_page(result: Mapping[str, Any]) -> ExtractedPage:
    kind, confidence = page_kind(result.get("PageClassification", {}))
    sink = FieldSink(kind)
    for extraction in result.get("Extractions", ()):
        if lending := extraction.get("LendingDocument"):
            _lending_fields(sink, lending.get("LendingFields", ()))
        if expense := extraction.get("ExpenseDocument"):
            _expense_fields(sink, expense.get("SummaryFields", ()))
        if identity := extraction.get("IdentityDocument"):
            readings = _id_readings(identity.get("IdentityDocumentFields", ()))
            for field, (raw, reading_confidence) in identity_fields(readings).items():
                sink.offer(field, raw, reading_confidence)
    return ExtractedPage(
        page_number=max(1, int(result.get("Page", 1))),
        kind=kind,
        kind_confidence=round(confidence, 4),
        fields=sink.fields(),
    )


def _lending_fields(sink: FieldSink, fields: Iterable[Mapping[str, Any]]) -> None:
    table = LENDING_TYPES.get(sink.kind, {})
    for field in fields:
        target = table.get(str(field.get("Type", "")))
        if target is None:
            continue
        values = [value for value in field.get("ValueDetections", ()) if value.get("Text")]
        if not values:
            continue
        confidences = [percent(value.get("Confidence")) for value in values]
        if key := field.get("KeyDetection"):
            confidences.append(percent(key.get("Confidence")))
        lines = [line for value in values for line in str(value["Text"]).splitlines()]
        sink.put(target, lines, min(confidences))


def _expense_fields(sink: FieldSink, fields: Iterable[Mapping[str, Any]]) -> None:
    table = EXPENSE_TYPES.get(sink.kind, {})
    for field in fields:
        target = table.get(str(field.get("Type", {}).get("Text", "")))
        value = field.get("ValueDetection", {})
        if target is None or not value.get("Text"):
            continue
        confidences = [percent(value.get("Confidence"))]
        if label := field.get("LabelDetection"):
            confidences.append(percent(label.get("Confidence")))
        sink.put(target, str(value["Text"]).splitlines(), min(confidences))


def _id_readings(fields: Iterable[Mapping[str, Any]]) -> dict[str, Reading]:
    """AnalyzeID field type → (text, weaker of type and value confidence); empty ones left out."""
    readings: dict[str, Reading] = {}
    for field in fields:
        kind = field.get("Type", {})
        value = field.get("ValueDetection", {})
        text = " ".join(str(value.get("Text", "")).split())
        normalised = value.get("NormalizedValue", {})
        if normalised.get("ValueType") == "DATE" and (
            match := _ISO_PREFIX.fullmatch(str(normalised.get("Value", "")))
        ):
            text = match.group(1)
        if not text:
            continue
        confidence = percent(value.get("Confidence"))
        if "Confidence" in kind:
            confidence = min(confidence, percent(kind["Confidence"]))
        readings[str(kind.get("Text", ""))] = (text, confidence)
    return readings


def _joined(readings: Mapping[str, Reading], names: Sequence[str], glue: str) -> Reading | None:
    parts = [readings[name] for name in names if name in readings]
    if not parts:
        return None
    return glue.join(text for text, _ in parts), min(confidence for _, confidence in parts)


def _address(readings: Mapping[str, Reading]) -> Reading | None:
    street = readings.get("ADDRESS")
    if street is None:
        return None
    parts = [street]
    city = readings.get("CITY_IN_ADDRESS")
    # Some IDs return the whole address in ADDRESS; do not repeat the city and state then.
    if city is not None and city[0].lower() not in street[0].lower():
        parts.append(city)
        tail = _joined(readings, ("STATE_IN_ADDRESS", "ZIP_CODE_IN_ADDRESS"), " ")
        if tail is not None:
            parts.append(tail)
    return ", ".join(text for text, _ in parts), min(confidence for _, confidence in parts)
