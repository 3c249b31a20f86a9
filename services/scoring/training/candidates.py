"""The candidate models, built the same way for every fold.

Each candidate is a plain scikit-learn style estimator (``fit``, ``predict_proba``). XGBoost
gets the spec's risk directions as monotone constraints, so a higher score can never raise the
estimated risk, and runs on one thread: on a busy two-core machine its OpenMP threads spin
against each other (a 1,500-row fit took 8 s on two threads and 0.17 s on one).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler
from xgboost import XGBClassifier

CANDIDATES: Final = ("logistic", "random_forest", "xgboost")
THREADS: Final = 2


def logistic(_monotone: tuple[int, ...], seed: int) -> Pipeline:
    return make_pipeline(
        StandardScaler(), LogisticRegression(C=1.0, max_iter=2_000, random_state=seed)
    )


def random_forest(_monotone: tuple[int, ...], seed: int) -> RandomForestClassifier:
    return RandomForestClassifier(
        n_estimators=200,
        min_samples_leaf=25,
        max_features="sqrt",
        n_jobs=THREADS,
        random_state=seed,
    )


def xgboost(monotone: tuple[int, ...], seed: int) -> XGBClassifier:
    return XGBClassifier(
        n_estimators=300,
        max_depth=2,
        learning_rate=0.05,
        subsample=0.8,
        colsample_bytree=0.8,
        min_child_weight=5,
        reg_lambda=1.0,
        tree_method="hist",
        monotone_constraints=monotone,
        n_jobs=1,
        random_state=seed,
        eval_metric="logloss",
    )


BUILDERS: Final[dict[str, Callable[[tuple[int, ...], int], Any]]] = {
    "logistic": logistic,
    "random_forest": random_forest,
    "xgboost": xgboost,
}
