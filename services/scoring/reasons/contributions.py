"""How much each spec feature pushed one application's log-odds of default up or down.

Reasons on a decline must be true to what was scored, so contributions come from the fitted
model itself and add up exactly to its logit (before calibration; the isotonic calibration is
monotone, so it never reorders which feature pushed hardest):

- **logistic**: ``w_j * (x_j - mean_j) / scale_j`` per encoded column, the push relative to the
  average training applicant; the base is the intercept, the logit of that average applicant.
- **xgboost**: TreeSHAP from the booster (``pred_contribs``); the base is its bias column, the
  expected margin over the training data.

A logistic regression is not held to the spec's risk directions: with correlated inputs a
weight can come out with the opposite sign (debt-to-income before the loan, next to the one
after it). Such features are listed in ``direction_conflicts``, so a text like "too high" is
not stated for a push the model made the other way. XGBoost is trained under those directions
as monotone constraints and has no conflicts.

Indicator columns of one categorical feature (``employment_status=Student``, ...) are summed,
so every reason names a spec feature, never a matrix column.

A random forest has no exact additive decomposition here: its output is an average of leaf
frequencies, not a logit, and scikit-learn offers no TreeSHAP for it. Approximations (sampling,
surrogates) would state reasons the model did not use, so such a model gets an error instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

import numpy as np
from numpy.typing import NDArray
from xgboost import DMatrix

from services.scoring.training.artifact import LoadedModel
from services.scoring.training.features import FeatureEncoder
from services.scoring.training.spec import FeatureSpecEntry

Table = dict[str, NDArray[Any]]
EXACT_KINDS: Final = ("logistic", "xgboost")


class ExactContributionsUnavailableError(NotImplementedError):
    """The model has no exact per-feature decomposition of its output (e.g. a random forest)."""


@dataclass(frozen=True)
class _ContributionsBase:
    features: tuple[FeatureSpecEntry, ...]
    values: NDArray[np.float64]
    base: float
    direction_conflicts: frozenset[str] = frozenset()

    @property
    def feature_names(self) -> tuple[str, ...]:
        return tuple(feature.name for feature in self.features)


@dataclass(frozen=True)
class RowContributions(_ContributionsBase):
    """One application's contributions to the logit, in spec feature order."""

    @property
    def logit(self) -> float:
        return self.base + float(self.values.sum())

    def as_dict(self) -> dict[str, float]:
        return {f.name: float(v) for f, v in zip(self.features, self.values, strict=True)}


@dataclass(frozen=True)
class Contributions(_ContributionsBase):
    """Contributions of N applications: ``values`` is N x F, one column per spec feature."""

    @property
    def rows(self) -> int:
        return int(self.values.shape[0])

    def logits(self) -> NDArray[np.float64]:
        total: NDArray[np.float64] = self.values.sum(axis=1) + self.base
        return total

    def row(self, index: int) -> RowContributions:
        values = self.values[index].copy()
        return RowContributions(self.features, values, self.base, self.direction_conflicts)


def feature_membership(encoder: FeatureEncoder) -> NDArray[np.float64]:
    """Encoded columns x spec features, 1 where the column belongs to the feature."""
    order = {feature.name: index for index, feature in enumerate(encoder.spec.features)}
    membership = np.zeros((len(encoder.columns), len(order)))
    for column_index, column in enumerate(encoder.columns):
        membership[column_index, order[column.feature]] = 1.0
    return membership


def direction_conflicts(model: LoadedModel) -> frozenset[str]:
    """Features whose fitted effect runs against the risk direction the spec declares."""
    if model.kind != "logistic":
        return frozenset()
    columns = zip(model.encoder.columns, model.model.weights, strict=True)
    return frozenset(c.feature for c, weight in columns if c.monotone * weight < 0)


def use_single_thread(model: LoadedModel) -> None:
    """Make XGBoost predict on one thread: one application is too little work for a pool."""
    if model.kind == "xgboost":
        model.model.get_booster().set_param({"nthread": 1})


def contributions(model: LoadedModel, table: Table) -> Contributions:
    """Per-row, per-feature contributions to ``model``'s logit for every row of ``table``."""
    if model.kind not in EXACT_KINDS:
        raise ExactContributionsUnavailableError(
            f"reason codes need a model with exact contributions ({', '.join(EXACT_KINDS)}); "
            f"a {model.kind} model has none, so its reasons could not be true to the score"
        )
    matrix = model.encoder.transform(table)
    if matrix.shape[0] == 0:
        raise ValueError("the table has no rows to explain")
    membership = feature_membership(model.encoder)
    if model.kind == "logistic":
        linear = model.model
        per_column = (matrix - linear.mean) / linear.scale * linear.weights
        base = float(linear.intercept)
    else:
        use_single_thread(model)
        raw = model.model.get_booster().predict(DMatrix(matrix, nthread=1), pred_contribs=True)
        per_column = np.asarray(raw[:, :-1], dtype=np.float64)
        # TreeSHAP's bias is the expected margin, the same number on every row.
        base = float(raw[0, -1])
    values: NDArray[np.float64] = per_column @ membership
    return Contributions(
        features=tuple(model.encoder.spec.features),
        values=values,
        base=base,
        direction_conflicts=direction_conflicts(model),
    )
