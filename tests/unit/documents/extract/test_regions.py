from __future__ import annotations

import math
import shutil
from pathlib import Path

import pytest
import reportlab
from PIL import Image, ImageDraw, ImageFont

from services.documents.extract.labels import LABELS, Rule
from services.documents.extract.match import Match
from services.documents.extract.regions import PageImage, Zone, reread_field, value_zone
from services.documents.extract.words import Word, group_lines
from services.documents.fields import PageKind

WIDTH, HEIGHT = 1700, 2200
needs_tesseract = pytest.mark.skipif(
    shutil.which("tesseract") is None, reason="the tesseract OCR binary is not installed"
)


def _font(pixels: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(Path(reportlab.__file__).parent / "fonts" / "Vera.ttf"), pixels)


def _label_words(draw: ImageDraw.ImageDraw, x: float, y: float, texts: list[str]) -> list[Word]:
    """Draws a label word by word and returns the boxes a page pass would have reported."""
    font, words = _font(26), []
    for text in texts:
        left, top, right, bottom = draw.textbbox((x, y), text, font=font)
        draw.text((x, y), text, font=font, fill=0)
        words.append(
            Word(
                text=text,
                x0=left / WIDTH,
                y0=top / HEIGHT,
                x1=right / WIDTH,
                y1=bottom / HEIGHT,
                confidence=0.95,
            )
        )
        x = right + 14
    return words


def _form_row(tmp_path: Path, degrees: float) -> tuple[Path, list[Word]]:
    """A 1040-style row: its label on the left, the amount boxed at the far right, slightly
    lower than the label; the page is then tilted by ``degrees`` like a skewed scan."""
    image = Image.new("L", (WIDTH, HEIGHT), 235)
    draw = ImageDraw.Draw(image)
    words = _label_words(draw, 180, 1000, ["This", "is", "your", "total", "income"])
    draw.rectangle((1300, 995, 1610, 1050), outline=40, width=3)
    draw.text((1390, 1008), "40,057.83", font=_font(30), fill=20)
    if degrees:
        image = image.rotate(-degrees, resample=Image.Resampling.BILINEAR, fillcolor=235)
    path = tmp_path / "row.png"
    image.save(path)
    return path, words


def test_the_zone_right_of_a_label_runs_to_the_page_edge_and_below_its_baseline() -> None:
    label = Match(tuple([Word(text="Net", x0=0.1, y0=0.5, x1=0.14, y1=0.51)]), 1.0)
    zone = value_zone([*label.words], label, Rule(("Net",), "right"))
    assert zone.x0 == pytest.approx(0.14) and zone.x1 == 1.0
    assert zone.y0 < 0.5 and zone.y1 > 0.515


def test_the_zone_below_a_label_stops_at_the_next_cell() -> None:
    words = [
        Word(text="Wages", x0=0.1, y0=0.2, x1=0.15, y1=0.21),
        Word(text="Tax", x0=0.4, y0=0.2, x1=0.43, y1=0.21),
    ]
    label = Match((words[0],), 1.0)
    zone = value_zone(words, label, Rule(("Wages",), "below"))
    assert zone.y0 < 0.21 < zone.y1
    assert zone.x1 < 0.4
    assert zone.holds(Word(text="1.00", x0=0.12, y0=0.215, x1=0.16, y1=0.225))
    assert not zone.holds(words[1])


def test_zone_membership_is_by_the_words_centre() -> None:
    zone = Zone(0.0, 0.0, 0.5, 0.5)
    assert zone.holds(Word(text="a", x0=0.4, y0=0.4, x1=0.55, y1=0.45))
    assert not zone.holds(Word(text="b", x0=0.45, y0=0.4, x1=0.7, y1=0.45))


@needs_tesseract
@pytest.mark.parametrize("degrees", [0.0, 1.5])
def test_a_crop_recovers_an_amount_the_page_pass_missed(tmp_path: Path, degrees: float) -> None:
    path, words = _form_row(tmp_path, degrees)
    rules = LABELS[PageKind.FORM_1040]["total_income"]
    # The page pass found the label but nothing to its right.
    reading = reread_field(
        PageImage(path, math.radians(degrees)), words, group_lines(words), rules, "money"
    )
    assert reading is not None
    assert reading.value == "40057.83"
    assert 0 < reading.confidence <= 1


@needs_tesseract
def test_no_label_means_no_crop_and_no_guess(tmp_path: Path) -> None:
    path, _ = _form_row(tmp_path, 0.0)
    words = [Word(text="Unrelated", x0=0.1, y0=0.45, x1=0.2, y1=0.46)]
    rules = LABELS[PageKind.FORM_1040]["total_income"]
    assert reread_field(PageImage(path, 0.0), words, group_lines(words), rules, "money") is None
