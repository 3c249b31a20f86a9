"""Words with boxes from either source, in one coordinate system, and their grouping into lines.

Coordinates are fractions of the page (0..1, origin top-left) so a rule written against a
digital PDF in points applies unchanged to a 200-dpi scan or a 300-dpi card.
"""

from __future__ import annotations

import functools
import io
import math
import os
import shutil
import statistics
import subprocess
from collections import defaultdict
from pathlib import Path
from typing import Final

import pdfplumber
from PIL import Image, ImageOps
from pydantic import Field

from services.common.contracts.base import EventModel
from services.common.contracts.primitives import Probability

BINARY_THRESHOLD: Final = 150
"""Grey level (after stretching the contrast) above which a pixel counts as paper."""


class Word(EventModel):
    text: str = Field(min_length=1)
    x0: float
    y0: float
    x1: float
    y1: float
    confidence: Probability = 1.0

    @property
    def cy(self) -> float:
        return (self.y0 + self.y1) / 2

    @property
    def height(self) -> float:
        return self.y1 - self.y0


class OcrUnavailableError(RuntimeError):
    """No ``tesseract`` binary on the PATH."""


def pdf_words(path: Path) -> list[list[Word]]:
    """The text layer's words of every page, in page order."""
    pages: list[list[Word]] = []
    with pdfplumber.open(path) as pdf:
        for page in pdf.pages:
            width, height = float(page.width), float(page.height)
            pages.append(
                [
                    Word(
                        text=raw["text"],
                        x0=float(raw["x0"]) / width,
                        y0=float(raw["top"]) / height,
                        x1=float(raw["x1"]) / width,
                        y1=float(raw["bottom"]) / height,
                    )
                    for raw in page.extract_words(keep_blank_chars=False, use_text_flow=False)
                    if raw["text"].strip()
                ]
            )
    return pages


def tesseract_binary() -> str:
    found = shutil.which("tesseract")
    if found is None:
        raise OcrUnavailableError("tesseract is not installed or not on the PATH")
    return found


@functools.cache
def tesseract_version() -> str:
    """The installed Tesseract's version, e.g. ``5.3.0``: part of the stage's model version."""
    completed = subprocess.run(  # noqa: S603 - our own binary, fixed arguments
        [tesseract_binary(), "--version"], capture_output=True, text=True, timeout=30, check=True
    )
    first = (completed.stdout or completed.stderr).split()
    return first[1] if len(first) > 1 else "unknown"


def ocr_words(image_path: Path, *, psm: int = 3, binarise: bool = False) -> list[Word]:
    """Tesseract's words of one page image, straightened for the scan's skew.

    ``psm`` 3 (automatic layout) reads most pages best; ``binarise`` with ``psm`` 11 (sparse
    text) is the second look that recovers what layout analysis dropped inside shaded boxes.
    """
    return ocr_page(image_path, psm=psm, binarise=binarise)[0]


def ocr_page(image_path: Path, *, psm: int = 3, binarise: bool = False) -> tuple[list[Word], float]:
    """``ocr_words`` and the page's estimated tilt in radians, which a later crop of the same
    image needs to line up with the straightened boxes."""
    source, data = str(image_path), None
    if binarise:
        source, data = "stdin", _binarised(image_path)
    return parse_tsv_skew(run_tesseract(source, data, psm=psm))


def run_tesseract(
    source: str, data: bytes | None, *, psm: int, options: tuple[str, ...] = ()
) -> str:
    """Tesseract's TSV for ``source`` (a path, or ``stdin`` with ``data``)."""
    # One thread per page: the benchmark is per core, and OpenMP threads only add contention
    # when several pages are recognised in parallel processes.
    env = {**os.environ, "OMP_THREAD_LIMIT": "1"}
    # The binary comes from the PATH lookup and every argument is ours: no shell, no user text.
    completed = subprocess.run(  # noqa: S603
        [tesseract_binary(), source, "stdout", "--psm", str(psm), *options, "tsv"],
        input=data,
        capture_output=True,
        check=True,
        env=env,
        timeout=120,
    )
    return completed.stdout.decode("utf-8", errors="replace")


def _binarised(image_path: Path) -> bytes:
    """Black text on white: a shaded band's grey no longer reads as a picture to skip."""
    with Image.open(image_path) as image:
        grey = ImageOps.autocontrast(image.convert("L"), cutoff=1)
    ink = grey.point(lambda value: 255 if value > BINARY_THRESHOLD else 0)
    buffer = io.BytesIO()
    ink.save(buffer, format="PNG", compress_level=1)
    return buffer.getvalue()


def merge(first: list[Word], second: list[Word]) -> list[Word]:
    """``first`` plus the words of ``second`` printed where ``first`` has nothing."""

    def covered(word: Word) -> bool:
        # Thin glyphs ("1", "l") come back a few pixels apart from each pass, so any real
        # overlap with a first-pass word counts, measured on the smaller of the two boxes.
        for other in first:
            width = min(word.x1, other.x1) - max(word.x0, other.x0)
            height = min(word.y1, other.y1) - max(word.y0, other.y0)
            if width > 0 and height > 0:
                smaller = min(
                    (word.x1 - word.x0) * word.height, (other.x1 - other.x0) * other.height
                )
                if width * height >= 0.3 * smaller:
                    return True
        return False

    return first + [word for word in second if not covered(word)]


def parse_tsv(tsv: str, *, straighten: bool = True) -> list[Word]:
    """Words of tesseract's TSV; ``straighten`` turns their boxes back by the page's tilt."""
    if not straighten:
        return _parse(tsv)[0]
    return parse_tsv_skew(tsv)[0]


def parse_tsv_skew(tsv: str) -> tuple[list[Word], float]:
    """Straightened words and the tilt (radians) they were turned back by."""
    words, lines, aspect = _parse(tsv)
    angle = skew(lines, aspect)
    return ([rotate(word, -angle, aspect) for word in words] if angle else words), angle


def _parse(tsv: str) -> tuple[list[Word], list[list[Word]], float]:
    rows = [line.split("\t") for line in tsv.splitlines()[1:]]
    page = next((row for row in rows if len(row) == 12 and row[0] == "1"), None)
    if page is None:
        return [], [], 1.0
    width, height = float(page[8]), float(page[9])
    words: list[Word] = []
    lines: dict[tuple[str, str, str], list[Word]] = defaultdict(list)
    for row in rows:
        if len(row) != 12 or row[0] != "5" or not row[11].strip():
            continue
        confidence = float(row[10])
        if confidence < 0:
            continue
        left, top, w, h = (float(value) for value in row[6:10])
        word = Word(
            text=row[11].strip(),
            x0=left / width,
            y0=top / height,
            x1=(left + w) / width,
            y1=(top + h) / height,
            confidence=min(confidence / 100, 1.0),
        )
        words.append(word)
        lines[(row[1], row[2], row[3] + "." + row[4])].append(word)
    return words, list(lines.values()), width / height


def skew(lines: list[list[Word]], aspect: float) -> float:
    """The page's tilt in radians, from the slope of tesseract's own text lines.

    Tesseract finds skewed lines but reports axis-aligned boxes, so a label and its value at
    opposite ends of a line sit at different heights; straightening the boxes fixes that.
    """
    slopes: list[float] = []
    weights: list[float] = []
    for line in lines:
        if len(line) < 2:
            continue
        xs = [(w.x0 + w.x1) / 2 * aspect for w in line]
        ys = [w.cy for w in line]
        span = max(xs) - min(xs)
        if span < 0.15:
            continue
        mean_x, mean_y = statistics.fmean(xs), statistics.fmean(ys)
        var = sum((x - mean_x) ** 2 for x in xs)
        slopes.append(sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True)) / var)
        weights.append(span)
    if not slopes:
        return 0.0
    ordered = sorted(zip(slopes, weights, strict=True))
    half, running = sum(weights) / 2, 0.0
    for slope, weight in ordered:
        running += weight
        if running >= half:
            return math.atan(slope)
    return 0.0


def rotate(word: Word, angle: float, aspect: float) -> Word:
    """The word's box turned by ``angle`` about the page centre, keeping its size."""
    cx, cy = (word.x0 + word.x1) / 2 * aspect, word.cy
    ox, oy = 0.5 * aspect, 0.5
    cos, sin = math.cos(angle), math.sin(angle)
    nx = ox + (cx - ox) * cos - (cy - oy) * sin
    ny = oy + (cx - ox) * sin + (cy - oy) * cos
    dx, dy = nx / aspect - (word.x0 + word.x1) / 2, ny - cy
    return word.model_copy(
        update={"x0": word.x0 + dx, "x1": word.x1 + dx, "y0": word.y0 + dy, "y1": word.y1 + dy}
    )


def group_lines(words: list[Word]) -> list[list[Word]]:
    """Words in reading order, one list per printed line, each sorted left to right."""
    lines: list[list[Word]] = []
    centres: list[float] = []
    for word in sorted(words, key=lambda w: w.cy):
        if lines:
            line = lines[-1]
            tolerance = 0.5 * max(word.height, statistics.median(w.height for w in line))
            if abs(word.cy - centres[-1]) <= tolerance:
                line.append(word)
                centres[-1] = statistics.fmean(w.cy for w in line)
                continue
        lines.append([word])
        centres.append(word.cy)
    return [sorted(line, key=lambda w: w.x0) for line in lines]
