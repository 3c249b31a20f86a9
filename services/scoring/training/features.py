"""From table columns to the model's matrix: numbers as they are, categories one-hot.

``FeatureEncoder.fit`` learns each categorical feature's levels from the training rows (sorted,
so the layout does not depend on row order); a level seen only at scoring time sets none of the
feature's indicator columns. The encoder is part of the model artifact, so training and the
scoring stage build identical matrices.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray
from pydantic import BaseModel, ConfigDict

from services.scoring.training.derived import DERIVED_FEATURES, number
from services.scoring.training.spec import FeatureSpec

Matrix = NDArray[np.float32]

RISK_SIGN = {"increasing": 1, "decreasing": -1, "unknown": 0}


class EncodedColumn(BaseModel):
    """One column of the matrix: which feature it comes from, and for indicators which level."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    feature: str
    level: str | None = None
    monotone: int = 0

    @property
    def name(self) -> str:
        return self.feature if self.level is None else f"{self.feature}={self.level}"


class FeatureEncoder(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    spec: FeatureSpec
    columns: tuple[EncodedColumn, ...]

    @classmethod
    def fit(cls, spec: FeatureSpec, table: Mapping[str, NDArray[Any]]) -> FeatureEncoder:
        columns: list[EncodedColumn] = []
        for feature in spec.features:
            if feature.kind == "categorical":
                levels = sorted({str(v) for v in table[feature.name]})
                columns.extend(EncodedColumn(feature=feature.name, level=lv) for lv in levels)
            else:
                columns.append(
                    EncodedColumn(feature=feature.name, monotone=RISK_SIGN[feature.risk])
                )
        return cls(spec=spec, columns=tuple(columns))

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def monotone_constraints(self) -> tuple[int, ...]:
        return tuple(c.monotone for c in self.columns)

    def transform(self, table: Mapping[str, NDArray[Any]]) -> Matrix:
        """The matrix of ``table`` (a mapping of column name → values, all the same length)."""
        missing = sorted(self.spec.source_columns - set(table))
        if missing:
            raise KeyError(f"the table lacks columns the spec needs: {missing}")
        rows = len(next(iter(table.values())))
        matrix = np.zeros((rows, len(self.columns)), dtype=np.float32)
        values: dict[str, NDArray[Any]] = {}
        for feature in self.spec.features:
            if feature.kind == "derived":
                values[feature.name] = DERIVED_FEATURES[feature.name].compute(table)
            elif feature.kind == "numeric":
                values[feature.name] = number(table, feature.name)
            else:
                values[feature.name] = np.asarray(table[feature.name]).astype(str)
        for index, column in enumerate(self.columns):
            source = values[column.feature]
            matrix[:, index] = source == column.level if column.level is not None else source
        return matrix

    def features_of(self, indices: Sequence[int]) -> list[str]:
        return [self.columns[i].feature for i in indices]
