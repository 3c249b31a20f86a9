"""Writing and reading application tables: the 21 historical columns plus the outcome label.

A generated table is written as CSV (or TSV when the file name ends in ``.tsv``, like the
historical sample) with the historical columns in their published order and one more,
``defaulted`` (1 when the loan defaulted). What only the generator knows — each row's true
default probability — never goes into the table, where a model could learn from it; a sidecar
``<file>.meta.json`` records the seed, the row count, the rates and the ``oracle_auc``.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Final

import numpy as np
from sklearn.metrics import roc_auc_score

from services.common.contracts import HISTORICAL_COLUMNS
from services.scoring.data.generator import GeneratedTable

LABEL_COLUMN: Final = "defaulted"
TABLE_COLUMNS: Final = (*HISTORICAL_COLUMNS, LABEL_COLUMN)
GENERATOR_VERSION: Final = "1"
MONEY_COLUMNS: Final = frozenset(
    {
        "annual_income",
        "savings_balance",
        "checking_balance",
        "requested_loan_amount",
        "monthly_payment",
        "debt_to_income_ratio",
        "interest_rate",
    }
)


@dataclass(frozen=True)
class TableSummary:
    """What ``prescreen data generate`` reports, and the sidecar holds."""

    path: str
    rows: int
    seed: int
    default_rate: float
    approval_rate: float
    oracle_auc: float
    generator_version: str = GENERATOR_VERSION


def delimiter_for(path: Path) -> str:
    return "\t" if path.suffix.lower() == ".tsv" else ","


def meta_path(path: Path) -> Path:
    return path.with_name(path.name + ".meta.json")


def write_table(table: GeneratedTable, path: Path, *, seed: int) -> TableSummary:
    """Write ``table`` and its sidecar; returns the summary."""
    path.parent.mkdir(parents=True, exist_ok=True)
    columns = [*(table.columns[name] for name in HISTORICAL_COLUMNS), table.defaulted]
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, delimiter=delimiter_for(path), lineterminator="\n")
        writer.writerow(TABLE_COLUMNS)
        for row in zip(*columns, strict=True):
            writer.writerow(
                [_text(name, value) for name, value in zip(TABLE_COLUMNS, row, strict=True)]
            )
    summary = TableSummary(
        path=str(path),
        rows=table.rows,
        seed=seed,
        default_rate=round(float(table.defaulted.mean()), 4),
        approval_rate=round(float((table.columns["approval_status"] == "Approved").mean()), 4),
        oracle_auc=round(float(roc_auc_score(table.defaulted, table.default_probability)), 4),
    )
    meta_path(path).write_text(json.dumps(asdict(summary), indent=2) + "\n", encoding="utf-8")
    return summary


def _text(column: str, value: Any) -> str:
    if column in MONEY_COLUMNS:
        return f"{float(value):.2f}"
    if isinstance(value, float | np.floating):
        number = float(value)
        return str(int(number)) if number.is_integer() else repr(number)
    return str(value)


def read_rows(path: Path) -> Iterator[Mapping[str, str]]:
    """The rows of a table file as column → text, in file order."""
    with path.open(newline="", encoding="utf-8") as handle:
        yield from csv.DictReader(handle, delimiter=delimiter_for(path))


def read_summary(path: Path) -> TableSummary | None:
    """The generator's sidecar of ``path``, if the table was generated."""
    sidecar = meta_path(path)
    if not sidecar.is_file():
        return None
    return TableSummary(**json.loads(sidecar.read_text(encoding="utf-8")))
