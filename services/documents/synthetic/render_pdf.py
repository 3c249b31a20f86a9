"""The digital rendering: a PDF with a real text layer, drawn with the standard 14 fonts."""

from __future__ import annotations

from pathlib import Path
from typing import Final

from reportlab.pdfgen.canvas import Canvas

from services.documents.synthetic.layout import Line, Page, Rect, Text

PDF_FONTS: Final = {"regular": "Helvetica", "bold": "Helvetica-Bold", "mono": "Courier"}


def write_pdf(pages: list[Page], path: Path, *, title: str) -> None:
    """One PDF, pages in order. ``invariant`` pins creation dates and ids, so the same layout
    always gives the same bytes and determinism is testable on the file itself."""
    first = pages[0]
    canvas = Canvas(str(path), pagesize=(first.width, first.height), invariant=1)
    canvas.setTitle(title)
    canvas.setAuthor("loan-prescreen synthetic documents")
    for page in pages:
        canvas.setPageSize((page.width, page.height))
        for item in page.items:
            _draw(canvas, page.height, item)
        canvas.showPage()
    canvas.save()


def _draw(canvas: Canvas, height: float, item: Text | Rect | Line) -> None:
    if isinstance(item, Text):
        canvas.setFillGray(0)
        canvas.setFont(PDF_FONTS[item.face], item.size)
        y = height - item.y
        if item.align == "right":
            canvas.drawRightString(item.x, y, item.text)
        elif item.align == "center":
            canvas.drawCentredString(item.x, y, item.text)
        else:
            canvas.drawString(item.x, y, item.text)
    elif isinstance(item, Rect):
        if item.fill is not None:
            canvas.setFillGray(item.fill)
        canvas.setLineWidth(item.stroke or 0.1)
        canvas.rect(
            item.x,
            height - item.y - item.height,
            item.width,
            item.height,
            stroke=1 if item.stroke else 0,
            fill=1 if item.fill is not None else 0,
        )
    else:
        canvas.setLineWidth(item.width)
        canvas.line(item.x1, height - item.y1, item.x2, height - item.y2)
