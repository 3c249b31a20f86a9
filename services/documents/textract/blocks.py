"""Reading the block graph Textract returns: key/value pairs, tables and lines, per page.

Blocks refer to each other by id: a KEY block's CHILD words spell the label and its VALUE
relationship names the VALUE block, whose CHILD words (and selection marks) hold the answer; a
TABLE's CHILD cells carry their row and column; a LINE's CHILD words say which printed line a
word sits on, which is how a multi-line value (a name above an address) is split into lines.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

Block = Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class KeyValue:
    page: int
    key: str
    lines: tuple[str, ...]
    confidence: float
    """The weaker of the key's and the value's confidence, 0..1."""
    selected: bool | None = None


@dataclass(frozen=True, slots=True)
class Line:
    page: int
    text: str
    confidence: float


@dataclass(frozen=True, slots=True)
class Table:
    page: int
    rows: tuple[tuple[str, ...], ...]


def percent(value: Any) -> float:
    """A Textract 0..100 confidence as 0..1, clamped against rounding drift."""
    try:
        return min(1.0, max(0.0, float(value) / 100.0))
    except (TypeError, ValueError):
        return 0.0


class BlockGraph:
    """Index over one response's ``Blocks``."""

    def __init__(self, blocks: Sequence[Block]) -> None:
        self._blocks = list(blocks)
        self._by_id: dict[str, Block] = {str(b["Id"]): b for b in self._blocks if "Id" in b}
        self._line_of_word: dict[str, str] = {}
        for block in self._blocks:
            if block.get("BlockType") == "LINE":
                for word_id in _related_ids(block, "CHILD"):
                    self._line_of_word[word_id] = str(block["Id"])

    def pages(self) -> list[int]:
        numbers = {page_of(b) for b in self._blocks if b.get("BlockType") == "PAGE"}
        numbers |= {page_of(b) for b in self._blocks}
        return sorted(numbers)

    def lines(self) -> list[Line]:
        return [
            Line(page_of(b), str(b.get("Text", "")), percent(b.get("Confidence")))
            for b in self._blocks
            if b.get("BlockType") == "LINE"
        ]

    def key_values(self) -> list[KeyValue]:
        pairs = []
        for block in self._blocks:
            if block.get("BlockType") != "KEY_VALUE_SET" or "KEY" not in block.get(
                "EntityTypes", ()
            ):
                continue
            key_text = " ".join(self._word_lines(block))
            for value in self._related(block, "VALUE"):
                confidence = min(percent(block.get("Confidence")), percent(value.get("Confidence")))
                pairs.append(
                    KeyValue(
                        page=page_of(block),
                        key=key_text,
                        lines=tuple(self._word_lines(value)),
                        confidence=confidence,
                        selected=self._selection(value),
                    )
                )
        return pairs

    def tables(self) -> list[Table]:
        tables = []
        for block in self._blocks:
            if block.get("BlockType") != "TABLE":
                continue
            cells = [c for c in self._related(block, "CHILD") if c.get("BlockType") == "CELL"]
            if not cells:
                continue
            n_rows = max(int(c.get("RowIndex", 1)) for c in cells)
            n_cols = max(int(c.get("ColumnIndex", 1)) for c in cells)
            grid = [["" for _ in range(n_cols)] for _ in range(n_rows)]
            for cell in cells:
                row, col = int(cell.get("RowIndex", 1)) - 1, int(cell.get("ColumnIndex", 1)) - 1
                if row >= 0 and col >= 0:
                    grid[row][col] = " ".join(self._word_lines(cell))
            tables.append(Table(page_of(block), tuple(tuple(row) for row in grid)))
        return tables

    def _related(self, block: Block, kind: str) -> Iterable[Block]:
        for ident in _related_ids(block, kind):
            if ident in self._by_id:
                yield self._by_id[ident]

    def _word_lines(self, block: Block) -> list[str]:
        """The block's words, grouped by the printed line each sits on."""
        lines: list[list[str]] = []
        current_line: str | None = None
        for child in self._related(block, "CHILD"):
            if child.get("BlockType") != "WORD":
                continue
            line_id = self._line_of_word.get(str(child["Id"]))
            if not lines or (line_id is not None and line_id != current_line):
                lines.append([])
                current_line = line_id
            lines[-1].append(str(child.get("Text", "")))
        return [" ".join(words) for words in lines if any(words)]

    def _selection(self, block: Block) -> bool | None:
        for child in self._related(block, "CHILD"):
            if child.get("BlockType") == "SELECTION_ELEMENT":
                return child.get("SelectionStatus") == "SELECTED"
        return None


def page_of(block: Block) -> int:
    # Synchronous responses for a single image leave Page out; it is page 1.
    return max(1, int(block.get("Page", 1)))


def _related_ids(block: Block, kind: str) -> list[str]:
    return [
        str(ident)
        for relation in block.get("Relationships", ())
        if relation.get("Type") == kind
        for ident in relation.get("Ids", ())
    ]
