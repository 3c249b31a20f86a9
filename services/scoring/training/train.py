"""Cross-validated comparison of the candidates, the selection rule, calibration, final fit.

Every candidate is scored on the same stratified folds (the encoder is fitted inside each
fold, so no level or scale leaks from the held-out rows). The **selection rule**: the highest
mean cross-validated AUC wins; a candidate within ``AUC_TIE`` of the best is preferred when it
comes earlier in ``PREFERENCE`` — logistic regression, then XGBoost, then random forest —
because its reasons are exact and cheap to compute and its behaviour easiest to explain.

The selected model's out-of-fold predictions are then calibrated with isotonic regression
(kept as a monotone piecewise-linear table), and the model is refitted on all rows.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

import numpy as np
from numpy.typing import NDArray
from sklearn.isotonic import IsotonicRegression
from sklearn.model_selection import StratifiedKFold

from services.scoring.training.candidates import BUILDERS, CANDIDATES
from services.scoring.training.features import FeatureEncoder
from services.scoring.training.metrics import evaluate
from services.scoring.training.spec import FeatureSpec

AUC_TIE: Final = 0.002
PREFERENCE: Final = ("logistic", "xgboost", "random_forest")
Table = Mapping[str, NDArray[Any]]


@dataclass(frozen=True)
class Calibration:
    """Isotonic map from the raw model output to a probability of default."""

    raw: tuple[float, ...]
    calibrated: tuple[float, ...]

    def apply(self, raw: NDArray[Any]) -> NDArray[np.float64]:
        mapped: NDArray[np.float64] = np.interp(raw, self.raw, self.calibrated)
        return mapped


@dataclass
class CandidateResult:
    name: str
    fold_metrics: list[dict[str, float]] = field(default_factory=list)
    out_of_fold: NDArray[np.float64] | None = None

    @property
    def mean(self) -> dict[str, float]:
        keys = self.fold_metrics[0]
        return {k: round(float(np.mean([m[k] for m in self.fold_metrics])), 4) for k in keys}


@dataclass(frozen=True)
class TrainingResult:
    spec: FeatureSpec
    candidates: dict[str, CandidateResult]
    selected: str
    encoder: FeatureEncoder
    model: Any
    calibration: Calibration
    calibrated_metrics: dict[str, float]
    labels: NDArray[np.bool_]
    folds: int
    seed: int

    @property
    def selected_auc(self) -> float:
        return self.candidates[self.selected].mean["auc"]


def labels_of(spec: FeatureSpec, table: Table) -> NDArray[np.bool_]:
    target = np.asarray(table[spec.target.column]).astype(str)
    labels: NDArray[np.bool_] = target == spec.target.positive
    if labels.all() or not labels.any():
        raise ValueError(f"the target {spec.target.column!r} needs both outcomes")
    return labels


def raw_scores(model: Any, matrix: NDArray[Any]) -> NDArray[np.float64]:
    scores: NDArray[np.float64] = model.predict_proba(matrix)[:, 1].astype(np.float64)
    return scores


def subset(table: Table, rows: NDArray[np.intp] | Sequence[int]) -> dict[str, NDArray[Any]]:
    return {name: np.asarray(values)[rows] for name, values in table.items()}


def cross_validate(
    spec: FeatureSpec,
    table: Table,
    *,
    folds: int = 5,
    seed: int = 0,
    candidates: Sequence[str] = CANDIDATES,
) -> dict[str, CandidateResult]:
    labels = labels_of(spec, table)
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    results = {name: CandidateResult(name) for name in candidates}
    for result in results.values():
        result.out_of_fold = np.zeros(len(labels))
    for train_rows, test_rows in splitter.split(np.zeros(len(labels)), labels):
        train_table, test_table = subset(table, train_rows), subset(table, test_rows)
        encoder = FeatureEncoder.fit(spec, train_table)
        x_train, x_test = encoder.transform(train_table), encoder.transform(test_table)
        for name, result in results.items():
            model = BUILDERS[name](encoder.monotone_constraints, seed)
            model.fit(x_train, labels[train_rows])
            predicted = raw_scores(model, x_test)
            assert result.out_of_fold is not None
            result.out_of_fold[test_rows] = predicted
            result.fold_metrics.append(
                evaluate(labels[test_rows], predicted, cutoff=spec.operating_cutoff)
            )
    return results


def select(results: Mapping[str, CandidateResult]) -> str:
    """The selection rule of the module docstring."""
    best = max(r.mean["auc"] for r in results.values())
    close = [name for name, r in results.items() if r.mean["auc"] >= best - AUC_TIE]
    ranked = sorted(close, key=lambda n: PREFERENCE.index(n) if n in PREFERENCE else 99)
    return ranked[0]


def fit_calibration(raw: NDArray[np.float64], labels: NDArray[np.bool_]) -> Calibration:
    iso = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip", increasing=True)
    iso.fit(raw, labels.astype(np.float64))
    return Calibration(
        raw=tuple(float(v) for v in iso.X_thresholds_),
        calibrated=tuple(float(v) for v in iso.y_thresholds_),
    )


def train(
    spec: FeatureSpec,
    table: Table,
    *,
    folds: int = 5,
    seed: int = 0,
    candidates: Sequence[str] = CANDIDATES,
) -> TrainingResult:
    results = cross_validate(spec, table, folds=folds, seed=seed, candidates=candidates)
    selected = select(results)
    labels = labels_of(spec, table)
    out_of_fold = results[selected].out_of_fold
    assert out_of_fold is not None
    calibration = fit_calibration(out_of_fold, labels)
    # Calibrated out-of-fold figures are optimistic by the calibration's own fit; the Brier
    # score and calibration error are reported as such, the ranking metrics do not change.
    calibrated_metrics = evaluate(
        labels, calibration.apply(out_of_fold), cutoff=spec.operating_cutoff
    )
    encoder = FeatureEncoder.fit(spec, table)
    model = BUILDERS[selected](encoder.monotone_constraints, seed)
    model.fit(encoder.transform(table), labels)
    return TrainingResult(
        spec=spec,
        candidates=results,
        selected=selected,
        encoder=encoder,
        model=model,
        calibration=calibration,
        calibrated_metrics=calibrated_metrics,
        labels=labels,
        folds=folds,
        seed=seed,
    )
