"""How well a probability of default ranks and how well it is calibrated."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray
from sklearn.metrics import brier_score_loss, log_loss, roc_auc_score

CALIBRATION_BINS = 10


def evaluate(labels: NDArray[Any], pd: NDArray[Any], *, cutoff: float) -> dict[str, float]:
    """AUC, Gini, KS, Brier, log loss, and precision/recall/F1 of ``pd > cutoff``."""
    y = np.asarray(labels).astype(bool)
    p = np.clip(np.asarray(pd, dtype=np.float64), 1e-6, 1 - 1e-6)
    auc = float(roc_auc_score(y, p))
    flagged = p > cutoff
    true_pos = float((flagged & y).sum())
    precision = float(true_pos / flagged.sum()) if flagged.any() else 0.0
    recall = float(true_pos / y.sum()) if y.any() else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "auc": round(auc, 4),
        "gini": round(2 * auc - 1, 4),
        "ks": round(ks_statistic(y, p), 4),
        "brier": round(float(brier_score_loss(y, p)), 4),
        "log_loss": round(float(log_loss(y, p)), 4),
        "precision": round(precision, 4),
        "recall": round(recall, 4),
        "f1": round(f1, 4),
        "calibration_error": round(expected_calibration_error(y, p), 4),
    }


def ks_statistic(y: NDArray[np.bool_], p: NDArray[np.float64]) -> float:
    """Largest gap between the score distributions of defaults and non-defaults."""
    order = np.argsort(-p, kind="mergesort")
    hits = y[order]
    bad = np.cumsum(hits) / max(hits.sum(), 1)
    good = np.cumsum(~hits) / max((~hits).sum(), 1)
    return float(np.max(np.abs(bad - good)))


def calibration_table(
    y: NDArray[np.bool_], p: NDArray[np.float64], bins: int = CALIBRATION_BINS
) -> list[tuple[float, float, int]]:
    """(mean predicted, observed rate, rows) per decile of predicted probability."""
    edges = np.quantile(p, np.linspace(0, 1, bins + 1))
    which = np.clip(np.searchsorted(edges, p, side="right") - 1, 0, bins - 1)
    table = []
    for b in range(bins):
        mask = which == b
        if mask.any():
            table.append((float(p[mask].mean()), float(y[mask].mean()), int(mask.sum())))
    return table


def expected_calibration_error(y: NDArray[np.bool_], p: NDArray[np.float64]) -> float:
    rows = len(y)
    return sum(n / rows * abs(pred - seen) for pred, seen, n in calibration_table(y, p))
