"""From one stored file's bytes to its pages: the unit of work a pool worker runs.

A PDF page with a text layer is read from it; a PDF page without one (a scan saved as PDF) is
rendered and read by OCR like a photo. JPEG, PNG and TIFF (every frame) go to OCR. Nothing
here touches Kafka, Redis or the store, so it runs the same in the stage's process pool, in the
evaluation and in tests. Scratch files live in a private temporary directory that is removed
when the file is done.
"""

from __future__ import annotations

import io
import tempfile
from pathlib import Path
from typing import Final

import pdfplumber
from PIL import Image, UnidentifiedImageError

from services.common.errors import PermanentError
from services.documents.extract.pipeline import extract_page, scan_page
from services.documents.extract.words import pdf_words
from services.documents.fields import ExtractedPage

RENDER_DPI: Final = 300
"""Resolution a text-less PDF page is rendered at before OCR, the resolution scans are read at."""
MIN_TEXT_LAYER_WORDS: Final = 5
"""Fewer words than this on a PDF page means a scan with a stray caption, not a text layer."""
_AS_IS: Final = {"JPEG": "jpg", "PNG": "png"}
MAX_PIXELS: Final = 60_000_000
"""Refuse images larger than this (a decompression bomb, not a phone photo)."""


class UnreadableDocumentError(PermanentError):
    """The file cannot be read as what it claims to be; asking again will not help."""


def extract_file(data: bytes, content_type: str, *, max_pages: int) -> list[ExtractedPage]:
    """Every page of one file, classified and with its fields, in page order."""
    with tempfile.TemporaryDirectory(prefix="prescreen-doc-") as scratch:
        directory = Path(scratch)
        if content_type == "application/pdf":
            return _pdf(data, directory, max_pages)
        return _images(data, directory, max_pages)


def _pdf(data: bytes, directory: Path, max_pages: int) -> list[ExtractedPage]:
    path = directory / "document.pdf"
    path.write_bytes(data)
    try:
        pages_words = pdf_words(path)
    except Exception as exc:  # pdfminer raises many types for one broken file
        raise UnreadableDocumentError(f"PDF cannot be parsed: {type(exc).__name__}") from exc
    if not pages_words:
        raise UnreadableDocumentError("PDF has no pages")
    if len(pages_words) > max_pages:
        raise UnreadableDocumentError(f"PDF has {len(pages_words)} pages; at most {max_pages}")
    pages = []
    for number, words in enumerate(pages_words, start=1):
        if len(words) >= MIN_TEXT_LAYER_WORDS:
            pages.append(extract_page(words, number, "text_layer"))
        else:
            pages.append(scan_page(_render(path, number, directory), number))
    return pages


def _render(path: Path, number: int, directory: Path) -> Path:
    image_path = directory / f"page-{number}.png"
    with pdfplumber.open(path) as pdf:
        pdf.pages[number - 1].to_image(resolution=RENDER_DPI).original.convert("L").save(image_path)
    return image_path


def _images(data: bytes, directory: Path, max_pages: int) -> list[ExtractedPage]:
    paths = _image_pages(data, directory, max_pages)
    return [scan_page(path, number) for number, path in enumerate(paths, start=1)]


def _image_pages(data: bytes, directory: Path, max_pages: int) -> list[Path]:
    """One image file per page: the upload itself when it is one JPEG or PNG (re-encoding a
    JPEG adds artefacts), else every frame as a grey PNG."""
    try:
        image = Image.open(io.BytesIO(data))
        frames = getattr(image, "n_frames", 1)
        if frames > max_pages:
            raise UnreadableDocumentError(f"image has {frames} frames; at most {max_pages}")
        if image.width * image.height > MAX_PIXELS:
            raise UnreadableDocumentError("image is larger than a scanned page can be")
        if frames == 1 and image.format in _AS_IS:
            path = directory / f"page-1.{_AS_IS[image.format]}"
            path.write_bytes(data)
            return [path]
        paths = []
        for index in range(frames):
            image.seek(index)
            frame_path = directory / f"page-{index + 1}.png"
            image.convert("L").save(frame_path)
            paths.append(frame_path)
        return paths
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError) as exc:
        raise UnreadableDocumentError(f"image cannot be decoded: {type(exc).__name__}") from exc
