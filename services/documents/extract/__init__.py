"""Local document extraction: page kind and normalised fields from digital PDFs (text layer)
and scanned page images (Tesseract OCR), anchored on the labels each form prints."""

from __future__ import annotations

from services.documents.extract.classify import classify
from services.documents.extract.pipeline import extract_pdf, extract_scan
from services.documents.extract.words import OcrUnavailableError, Word, ocr_words, pdf_words

__all__ = [
    "OcrUnavailableError",
    "Word",
    "classify",
    "extract_pdf",
    "extract_scan",
    "ocr_words",
    "pdf_words",
]
