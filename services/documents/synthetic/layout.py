"""A tiny page description that both renderers draw: one layout, a PDF and a raster image.

Coordinates are PDF points measured from the page's top-left corner, so the raster renderer
only scales them; a text item's ``y`` is its baseline. Keeping one description guarantees the
scan shows exactly what the digital PDF shows, which the ground truth relies on.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Literal

from services.documents.fields import ExtractedField, ExtractedPage, PageKind, Transaction

Align = Literal["left", "right", "center"]
Face = Literal["regular", "bold", "mono"]

LETTER = (612.0, 792.0)
CARD = (243.0, 153.0)  # ID-1 card, 3.375 x 2.125 in


@dataclass(frozen=True)
class Text:
    x: float
    y: float
    text: str
    size: float = 9.0
    face: Face = "regular"
    align: Align = "left"


@dataclass(frozen=True)
class Rect:
    x: float
    y: float
    width: float
    height: float
    fill: float | None = None  # grey level, 0 black to 1 white; None leaves it empty
    stroke: float = 0.6  # line width; 0 draws no outline


@dataclass(frozen=True)
class Line:
    x1: float
    y1: float
    x2: float
    y2: float
    width: float = 0.6


Item = Text | Rect | Line


@dataclass
class Page:
    width: float
    height: float
    items: list[Item] = field(default_factory=list)

    def text(
        self,
        x: float,
        y: float,
        text: str,
        size: float = 9.0,
        face: Face = "regular",
        align: Align = "left",
    ) -> None:
        self.items.append(Text(x, y, text, size, face, align))

    def rect(
        self,
        x: float,
        y: float,
        width: float,
        height: float,
        fill: float | None = None,
        stroke: float = 0.6,
    ) -> None:
        self.items.append(Rect(x, y, width, height, fill, stroke))

    def line(self, x1: float, y1: float, x2: float, y2: float, width: float = 0.6) -> None:
        self.items.append(Line(x1, y1, x2, y2, width))

    def boxed(
        self, x: float, y: float, width: float, height: float, label: str, *values: str
    ) -> None:
        """A form box: a small label at the top and the entry below it, one value a line."""
        self.rect(x, y, width, height)
        self.text(x + 3, y + 8, label, 6.0)
        for index, value in enumerate(values):
            self.text(x + 6, y + 20 + 11 * index, value, 9.5, face="mono")


@dataclass
class Sheet:
    """One page's layout and what it shows, in canonical form."""

    page: Page
    fields: dict[str, str]
    transactions: tuple[Transaction, ...] = ()


def truth_pages(kind: PageKind, sheets: list[Sheet]) -> tuple[ExtractedPage, ...]:
    return tuple(
        ExtractedPage(
            page_number=number,
            kind=kind,
            kind_confidence=1.0,
            fields={
                name: ExtractedField(value=value, confidence=1.0, source="ground_truth")
                for name, value in sheet.fields.items()
            },
            transactions=sheet.transactions,
        )
        for number, sheet in enumerate(sheets, start=1)
    )


CENT = Decimal("0.01")


def money(amount: Decimal) -> str:
    """Canonical money, as the ground truth stores it."""
    return f"{amount.quantize(CENT):.2f}"


def printed_money(amount: Decimal, *, dollar: bool = False) -> str:
    """Money as printed on a document: thousands separators, a leading minus for debits."""
    sign = "-" if amount < 0 else ""
    return f"{sign}{'$' if dollar else ''}{abs(amount.quantize(CENT)):,.2f}"


def printed_date(day: date) -> str:
    return day.strftime("%m/%d/%Y")


def long_date(day: date) -> str:
    return day.strftime("%b %d, %Y")
