"""A tiny document model, so the plain-text and the HTML part say exactly the same thing."""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from html import escape
from typing import Final

_INDENT: Final = "  "
_WIDTH: Final = 76


def _fill(text: str, *, first: str = "", rest: str = "") -> str:
    # Never split a word or at a hyphen: amounts, rates and the reference stay whole.
    return textwrap.fill(
        text,
        width=_WIDTH,
        initial_indent=first,
        subsequent_indent=rest,
        break_long_words=False,
        break_on_hyphens=False,
    )


@dataclass(frozen=True)
class Paragraph:
    text: str


@dataclass(frozen=True)
class Items:
    """A bulleted list: bullets, not numbers, since every number shown must be the decision's."""

    items: tuple[str, ...]


@dataclass(frozen=True)
class Table:
    title: str
    rows: tuple[tuple[str, str], ...]


Block = Paragraph | Items | Table


def text(blocks: list[Block]) -> str:
    parts: list[str] = []
    for block in blocks:
        if isinstance(block, Paragraph):
            parts.append(_fill(block.text))
        elif isinstance(block, Items):
            bullet, hanging = f"{_INDENT}- ", _INDENT * 2
            parts.append("\n".join(_fill(i, first=bullet, rest=hanging) for i in block.items))
        else:
            width = max(len(label) for label, _ in block.rows) + 1
            rows = [f"{_INDENT}{label + ':':<{width}} {value}" for label, value in block.rows]
            parts.append("\n".join([block.title, *rows]))
    return "\n\n".join(parts) + "\n"


def html(blocks: list[Block], *, title: str) -> str:
    parts = [
        '<!DOCTYPE html>\n<html><head><meta charset="utf-8">',
        f"<title>{escape(title)}</title></head><body>",
    ]
    for block in blocks:
        if isinstance(block, Paragraph):
            parts.append(f"<p>{escape(block.text)}</p>")
        elif isinstance(block, Items):
            parts.append("<ul>" + "".join(f"<li>{escape(i)}</li>" for i in block.items) + "</ul>")
        else:
            rows = "".join(
                f'<tr><th scope="row">{escape(label)}</th><td>{escape(value)}</td></tr>'
                for label, value in block.rows
            )
            parts.append(f"<table><caption>{escape(block.title)}</caption>{rows}</table>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"
