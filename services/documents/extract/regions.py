"""A closer look at one field of a scanned page: OCR only the zone where its value must be.

Full-page OCR drops or garbles a value now and then (an amount inside a ruled box, a year in
large display type) even though the label beside it was read. The label's box and the rule's
direction say where the value is printed, so that zone alone is cut from the straightened
image, enlarged if its type is small, and recognised as one line or one block, restricted to
the characters the value's type can contain. The new words replace the page's words inside
the zone and the field's usual rules read them again.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from PIL import Image, ImageOps

from services.documents.extract.anchors import Reading, extract_field, reach
from services.documents.extract.labels import DATE_US, EIN, LAST4, MONEY, YEAR, Rule
from services.documents.extract.match import Match, find_phrase
from services.documents.extract.words import Word, group_lines, parse_tsv, run_tesseract

WHITELISTS: Final[dict[str, str]] = {
    # No minus or parentheses: a box's left edge read as "-" would flip the sign.
    MONEY: "0123456789$,.",
    DATE_US: "0123456789/",
    YEAR: "0123456789",
    LAST4: "0123456789Xx*-",
    EIN: "0123456789-",
}
"""Characters a value of each pattern can contain: a box edge then cannot become a letter."""
TARGET_HEIGHT: Final = 36
"""Pixels of label height the crop is enlarged to; tesseract misses glyphs much smaller."""
MAX_SCALE: Final = 3.0
LABELS_TRIED: Final = 2
"""Matches of a label re-read per field: the best two cover a misread duplicate."""


@dataclass(frozen=True)
class Zone:
    """A rectangle in page fractions of the straightened page."""

    x0: float
    y0: float
    x1: float
    y1: float

    def holds(self, word: Word) -> bool:
        centre_x = (word.x0 + word.x1) / 2
        return self.x0 <= centre_x <= self.x1 and self.y0 <= word.cy <= self.y1


def value_zone(words: list[Word], label: Match, rule: Rule) -> Zone:
    """Where ``rule`` expects the value of ``label``, padded for skew and ruled boxes."""
    h = label.height
    if rule.direction == "right":
        # Form values sit in a box at the line's far end and often a little lower than
        # their label, whose small type hangs at the top of the row.
        return Zone(label.x1, label.y0 - 0.6 * h, 1.0, label.y1 + 1.2 * h)
    if rule.direction == "left":
        return Zone(0.0, label.y0 - 0.6 * h, label.x0, label.y1 + 1.2 * h)
    right = max(reach(words, label, rule), label.x1) + 2 * h
    depth = (rule.max_gap + 1.5 * rule.lines) * h
    if rule.direction == "below":
        return Zone(label.x0 - 2 * h, label.y1 - 0.2 * h, right, label.y1 + depth)
    return Zone(label.x0 - 2 * h, label.y0 - depth, right, label.y0 + 0.2 * h)


class PageImage:
    """The scanned page turned upright by the tilt its OCR reported, loaded once per page."""

    def __init__(self, path: Path, angle: float) -> None:
        self.path, self.angle = path, angle
        self._image: Image.Image | None = None

    @property
    def image(self) -> Image.Image:
        if self._image is None:
            with Image.open(self.path) as raw:
                grey = raw.convert("L")
            if self.angle:
                # Straightened boxes were turned by -angle about the centre; turning the
                # pixels the same way makes their fractions address the same text.
                grey = grey.rotate(
                    math.degrees(self.angle), resample=Image.Resampling.BILINEAR, fillcolor=255
                )
            self._image = grey
        return self._image

    def read(
        self, zone: Zone, label_height: float, *, psm: int, whitelist: str | None
    ) -> list[Word]:
        """Words inside ``zone``, in page fractions."""
        width, height = self.image.size
        box = (
            max(0, int(zone.x0 * width)),
            max(0, int(zone.y0 * height)),
            min(width, math.ceil(zone.x1 * width)),
            min(height, math.ceil(zone.y1 * height)),
        )
        if box[2] - box[0] < 4 or box[3] - box[1] < 4:
            return []
        crop = ImageOps.autocontrast(self.image.crop(box), cutoff=1)
        scale = min(MAX_SCALE, max(1.0, TARGET_HEIGHT / max(label_height * height, 1.0)))
        if scale > 1.0:
            size = (round(crop.width * scale), round(crop.height * scale))
            crop = crop.resize(size, Image.Resampling.LANCZOS)
        # A white margin keeps glyphs touching the cut from being taken for noise.
        crop = ImageOps.expand(crop, border=12, fill=255)
        buffer = io.BytesIO()
        crop.save(buffer, format="PNG", compress_level=1)
        options = ("-c", f"tessedit_char_whitelist={whitelist}") if whitelist else ()
        tsv = run_tesseract("stdin", buffer.getvalue(), psm=psm, options=options)
        return [
            _to_page(word, crop.size, box, (width, height))
            for word in parse_tsv(tsv, straighten=False)
        ]


def _to_page(
    word: Word, crop_size: tuple[int, int], box: tuple[int, int, int, int], page: tuple[int, int]
) -> Word:
    """A word's box from fractions of the padded, enlarged crop to fractions of the page."""
    crop_w, crop_h = crop_size
    inner_w, inner_h = box[2] - box[0], box[3] - box[1]
    sx, sy = inner_w / (crop_w - 24), inner_h / (crop_h - 24)

    def x(f: float) -> float:
        return (box[0] + (f * crop_w - 12) * sx) / page[0]

    def y(f: float) -> float:
        return (box[1] + (f * crop_h - 12) * sy) / page[1]

    return word.model_copy(
        update={"x0": x(word.x0), "x1": x(word.x1), "y0": y(word.y0), "y1": y(word.y1)}
    )


def reread_field(
    page: PageImage,
    words: list[Word],
    lines: list[list[Word]],
    rules: tuple[Rule, ...],
    field_type: str,
) -> Reading | None:
    """The field read again from OCR of its value zones alone, or None if still unreadable."""
    for rule in rules:
        whitelist = WHITELISTS.get(rule.pattern) if rule.pattern else None
        # One line suffices beside a label; below it, the zone may hold a second line.
        psm = 7 if rule.direction in ("right", "left") else 6
        for phrase in rule.labels:
            for label in find_phrase(lines, phrase)[:LABELS_TRIED]:
                zone = value_zone(words, label, rule)
                fresh = page.read(zone, label.height, psm=psm, whitelist=whitelist)
                if not fresh:
                    continue
                kept = [w for w in words if not zone.holds(w) or w in label.words]
                combined = kept + fresh
                reading = extract_field(combined, group_lines(combined), (rule,), field_type)
                if reading is not None:
                    return reading
    return None
