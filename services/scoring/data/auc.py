"""Area under the ROC curve, by ranks (the Mann-Whitney statistic)."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike
from scipy.stats import rankdata


def roc_auc(labels: ArrayLike, scores: ArrayLike) -> float:
    """Probability that a random positive scores above a random negative (ties count half)."""
    y = np.asarray(labels).astype(bool)
    positives = int(y.sum())
    negatives = len(y) - positives
    if positives == 0 or negatives == 0:
        raise ValueError("the AUC needs both outcomes")
    ranks = rankdata(np.asarray(scores, dtype=np.float64))  # ties get their average rank
    rank_sum = float(ranks[y].sum())
    return (rank_sum - positives * (positives + 1) / 2) / (positives * negatives)
