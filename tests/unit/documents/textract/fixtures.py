"""Builders for Textract responses shaped as the service model requires.

The blocks link up the way Textract links them (PAGE → LINE → WORD, KEY → VALUE, TABLE → CELL
→ WORD), so the mapping code is exercised on the graph, not on a simplified copy of it.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import boto3
from botocore.stub import Stubber

Block = dict[str, Any]


def geometry(top: float, left: float = 0.1, width: float = 0.3, height: float = 0.02) -> Block:
    return {
        "BoundingBox": {"Width": width, "Height": height, "Left": left, "Top": top},
        "Polygon": [
            {"X": left, "Y": top},
            {"X": left + width, "Y": top},
            {"X": left + width, "Y": top + height},
            {"X": left, "Y": top + height},
        ],
    }


class Blocks:
    """Accumulates one page's blocks, numbering ids and stacking lines down the page."""

    def __init__(self, page: int = 1) -> None:
        self.page = page
        self._count = 0
        self._top = 0.02
        self.blocks: list[Block] = []
        self._page_block: Block = self._new("PAGE", confidence=None, top=0.0)
        self._page_block["Geometry"] = geometry(0.0, left=0.0, width=1.0, height=1.0)

    def _new(self, block_type: str, *, confidence: float | None, top: float | None) -> Block:
        self._count += 1
        block: Block = {
            "BlockType": block_type,
            "Id": f"p{self.page}-{block_type.lower()}-{self._count:04d}",
            "Page": self.page,
            "Geometry": geometry(self._top if top is None else top),
        }
        if confidence is not None:
            block["Confidence"] = confidence
        self.blocks.append(block)
        return block

    @staticmethod
    def _child(block: Block, ids: Sequence[str], kind: str = "CHILD") -> None:
        if ids:
            block.setdefault("Relationships", []).append({"Type": kind, "Ids": list(ids)})

    def line(self, text: str, confidence: float = 99.0) -> list[str]:
        """A LINE and its WORDs; the word ids."""
        line = self._new("LINE", confidence=confidence, top=None)
        line["Text"] = text
        words = []
        for token in text.split():
            word = self._new("WORD", confidence=confidence, top=self._top)
            word["Text"] = token
            word["TextType"] = "PRINTED"
            words.append(word["Id"])
        self._child(line, words)
        self._child(self._page_block, [line["Id"]])
        self._top += 0.03
        return words

    def field(
        self,
        key: str,
        value_lines: Sequence[str],
        *,
        key_confidence: float = 96.0,
        value_confidence: float = 94.0,
    ) -> None:
        """A KEY/VALUE pair of KEY_VALUE_SET blocks over freshly printed lines."""
        key_words = self.line(key, key_confidence)
        value_words = [w for text in value_lines for w in self.line(text, value_confidence)]
        value = self._new("KEY_VALUE_SET", confidence=value_confidence, top=None)
        value["EntityTypes"] = ["VALUE"]
        self._child(value, value_words)
        key_block = self._new("KEY_VALUE_SET", confidence=key_confidence, top=None)
        key_block["EntityTypes"] = ["KEY"]
        self._child(key_block, [value["Id"]], "VALUE")
        self._child(key_block, key_words)

    def table(self, rows: Sequence[Sequence[str]], confidence: float = 92.0) -> None:
        """A TABLE of CELLs; each non-empty cell is also a printed line."""
        table = self._new("TABLE", confidence=confidence, top=None)
        table["EntityTypes"] = ["STRUCTURED_TABLE"]
        cells = []
        for row_index, row in enumerate(rows, start=1):
            for column_index, text in enumerate(row, start=1):
                words = self.line(text, confidence) if text else []
                cell = self._new("CELL", confidence=confidence, top=None)
                cell.update(RowIndex=row_index, ColumnIndex=column_index, RowSpan=1, ColumnSpan=1)
                if row_index == 1:
                    cell["EntityTypes"] = ["COLUMN_HEADER"]
                self._child(cell, words)
                cells.append(cell["Id"])
        self._child(table, cells)


def analyze_document_response(*pages: Blocks) -> dict[str, Any]:
    return {
        "DocumentMetadata": {"Pages": len(pages)},
        "Blocks": [block for page in pages for block in page.blocks],
        "AnalyzeDocumentModelVersion": "1.0",
    }


def detection(text: str, confidence: float, normalized: str | None = None) -> dict[str, Any]:
    found: dict[str, Any] = {"Text": text, "Confidence": confidence}
    if normalized is not None:
        found["NormalizedValue"] = {"Value": normalized, "ValueType": "DATE"}
    return found


def id_field(
    kind: str, text: str, confidence: float = 97.5, normalized: str | None = None
) -> dict[str, Any]:
    return {
        "Type": {"Text": kind, "Confidence": 99.0},
        "ValueDetection": detection(text, confidence, normalized),
    }


def lending_field(
    kind: str, values: Sequence[str], *, key: str | None = None, confidence: float = 95.0
) -> dict[str, Any]:
    field: dict[str, Any] = {
        "Type": kind,
        "ValueDetections": [
            {"Text": value, "Confidence": confidence, "Geometry": geometry(0.2 + 0.03 * i)}
            for i, value in enumerate(values)
        ],
    }
    if key is not None:
        field["KeyDetection"] = {"Text": key, "Confidence": 98.0, "Geometry": geometry(0.15)}
    return field


def lending_result(
    page: int, page_type: str, confidence: float, extractions: list[dict[str, Any]]
) -> dict[str, Any]:
    return {
        "Page": page,
        "PageClassification": {
            "PageType": [{"Value": page_type, "Confidence": confidence}],
            "PageNumber": [{"Value": "1", "Confidence": 99.0}],
        },
        "Extractions": extractions,
    }


@contextmanager
def stubbed_textract() -> Iterator[tuple[Any, Stubber]]:
    """A real botocore textract client whose calls are answered by a Stubber, offline."""
    session = boto3.session.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1"
    )
    client = session.client("textract")
    with Stubber(client) as stubber:
        yield client, stubber
        stubber.assert_no_pending_responses()


class FakeClock:
    """A monotonic clock that only moves when the adapter sleeps."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
