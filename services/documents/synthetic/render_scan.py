"""The scanned rendering: the same layout drawn with Pillow, then made to look scanned.

Drawing the layout directly (rather than rasterising the PDF) keeps a page under a few hundred
milliseconds. Glyphs come from the Bitstream Vera TrueType files that ship inside reportlab,
so no system font and no network are needed. Every degradation is drawn from a seeded
generator: the same seed gives the same pixels.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Final

import numpy as np
import reportlab
from PIL import Image, ImageDraw, ImageEnhance, ImageFilter, ImageFont

from services.documents.synthetic.layout import Line, Page, Rect, Text

DPI: Final = 200
_FONT_FILES: Final = {"regular": "Vera.ttf", "bold": "VeraBd.ttf", "mono": "Vera.ttf"}
_ANCHORS: Final = {"left": "ls", "right": "rs", "center": "ms"}


@cache
def _font(face: str, pixels: int) -> ImageFont.FreeTypeFont:
    directory = Path(reportlab.__file__).parent / "fonts"
    return ImageFont.truetype(str(directory / _FONT_FILES[face]), pixels)


def render_clean(page: Page, dpi: int = DPI) -> Image.Image:
    """The page as a perfect greyscale scan would show it."""
    scale = dpi / 72
    size = (round(page.width * scale), round(page.height * scale))
    image = Image.new("L", size, 255)
    draw = ImageDraw.Draw(image)
    for item in page.items:
        if isinstance(item, Text):
            # Vera runs wider than Helvetica; a slightly smaller size keeps columns apart.
            font = _font(item.face, max(6, round(item.size * scale * 0.92)))
            draw.text(
                (item.x * scale, item.y * scale),
                item.text,
                fill=0,
                font=font,
                anchor=_ANCHORS[item.align],
            )
        elif isinstance(item, Rect):
            box = (
                item.x * scale,
                item.y * scale,
                (item.x + item.width) * scale,
                (item.y + item.height) * scale,
            )
            fill = None if item.fill is None else round(item.fill * 255)
            outline = 0 if item.stroke else None
            width = max(1, round(item.stroke * scale)) if item.stroke else 0
            draw.rectangle(box, fill=fill, outline=outline, width=width)
        elif isinstance(item, Line):
            draw.line(
                (item.x1 * scale, item.y1 * scale, item.x2 * scale, item.y2 * scale),
                fill=0,
                width=max(1, round(item.width * scale)),
            )
    return image


def degrade(image: Image.Image, rng: np.random.Generator) -> tuple[Image.Image, int]:
    """A scanner's and a phone camera's faults: skew, blur, uneven exposure, sensor noise.
    Returns the image and the JPEG quality to save it at, the last fault."""
    angle = float(rng.uniform(-2.0, 2.0))
    # Paper beyond the page edge reads as light grey on a flatbed, not pure white.
    skewed = image.rotate(
        angle, resample=Image.Resampling.BILINEAR, fillcolor=int(rng.integers(200, 240))
    )
    blurred = skewed.filter(ImageFilter.GaussianBlur(radius=float(rng.uniform(0.5, 1.3))))
    contrasted = ImageEnhance.Contrast(blurred).enhance(float(rng.uniform(0.65, 0.95)))
    lit = ImageEnhance.Brightness(contrasted).enhance(float(rng.uniform(0.9, 1.08)))
    pixels = np.asarray(lit, dtype=np.int16)
    noise = rng.normal(0.0, float(rng.uniform(4.0, 12.0)), size=pixels.shape).astype(np.int16)
    noisy = np.clip(pixels + noise, 0, 255).astype(np.uint8)
    quality = int(rng.integers(35, 71))
    return Image.fromarray(noisy), quality


def write_scans(pages: list[Page], stem: Path, *, seed: int, dpi: int = DPI) -> tuple[Path, ...]:
    """One JPEG per page, ``<stem>-scan-<n>.jpg``; the low JPEG quality is the artefact."""
    rng = np.random.default_rng(seed)
    paths = []
    for number, page in enumerate(pages, start=1):
        image, quality = degrade(render_clean(page, dpi), rng)
        path = stem.with_name(f"{stem.name}-scan-{number}.jpg")
        image.save(path, format="JPEG", quality=quality)
        paths.append(path)
    return tuple(paths)
