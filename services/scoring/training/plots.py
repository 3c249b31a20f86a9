"""The model card's figures: ROC curves, the reliability diagram and the feature effects.

``draw_figures`` writes the three PNG files and returns the card's section that shows them.

Figures are drawn on matplotlib's Agg canvas, attached to each figure by hand rather than
through pyplot: nothing touches a display or pyplot's global state, so the card can be written
from a server, a test or a thread alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import numpy as np
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from numpy.typing import NDArray
from sklearn.metrics import roc_auc_score, roc_curve

from services.scoring.training.metrics import calibration_table
from services.scoring.training.train import CandidateResult, TrainingResult

FIGURE_INCHES: Final = (6.0, 4.0)
DPI: Final = 100
MAX_EFFECT_BARS: Final = 20
MAX_LABEL_CHARS: Final = 42
RAISES_RISK: Final = "#c0392b"
LOWERS_RISK: Final = "#2e86c1"
NEUTRAL: Final = "#7f8c8d"


@dataclass(frozen=True)
class FeatureEffect:
    """One encoded column's weight in the selected model."""

    column: str
    value: float


def out_of_fold(candidate: CandidateResult) -> NDArray[np.float64]:
    if candidate.out_of_fold is None:
        raise ValueError(f"{candidate.name} has no out-of-fold predictions")
    return candidate.out_of_fold


def effects_are_signed(result: TrainingResult) -> bool:
    """Logistic coefficients carry a direction of risk; tree importances only a size."""
    return result.selected == "logistic"


def feature_effects(result: TrainingResult) -> list[FeatureEffect]:
    """Standardised coefficients (logistic) or importances (trees), largest magnitude first."""
    values: NDArray[Any]
    if effects_are_signed(result):
        # The pipeline standardises its inputs, so the fitted coefficients are comparable.
        values = np.asarray(result.model[-1].coef_[0], dtype=np.float64)
    else:
        values = np.asarray(result.model.feature_importances_, dtype=np.float64)
    effects = [
        FeatureEffect(column, float(value))
        for column, value in zip(result.encoder.names, values, strict=True)
    ]
    return sorted(effects, key=lambda effect: (-abs(effect.value), effect.column))


def _figure() -> tuple[Figure, Axes]:
    figure = Figure(figsize=FIGURE_INCHES, dpi=DPI)
    FigureCanvasAgg(figure)
    return figure, figure.add_subplot()


def _save(figure: Figure, path: Path) -> Path:
    figure.tight_layout()
    figure.savefig(path, format="png", dpi=DPI)
    return path


def _diagonal(axes: Axes, label: str) -> None:
    axes.plot([0, 1], [0, 1], linestyle="--", linewidth=1, color=NEUTRAL, label=label)


def plot_roc(result: TrainingResult, path: Path) -> Path:
    """ROC of every candidate's pooled out-of-fold predictions."""
    figure, axes = _figure()
    for name, candidate in result.candidates.items():
        predicted = out_of_fold(candidate)
        false_positive, true_positive, _ = roc_curve(result.labels, predicted)
        auc = float(roc_auc_score(result.labels, predicted))
        width = 2.0 if name == result.selected else 1.2
        axes.plot(
            false_positive, true_positive, linewidth=width, label=f"{name} (pooled AUC {auc:.3f})"
        )
    _diagonal(axes, "no skill")
    axes.set_xlabel("false positive rate (non-defaults flagged)")
    axes.set_ylabel("true positive rate (defaults flagged)")
    axes.set_title("ROC, out-of-fold predictions", fontsize=10)
    axes.legend(loc="lower right", fontsize=8)
    return _save(figure, path)


def plot_calibration(result: TrainingResult, path: Path) -> Path:
    """Reliability per decile of the selected model, before and after calibration."""
    raw = out_of_fold(result.candidates[result.selected])
    figure, axes = _figure()
    for label, predicted in (
        ("raw out-of-fold", raw),
        ("calibrated out-of-fold", result.calibration.apply(raw)),
    ):
        deciles = calibration_table(result.labels, predicted)
        axes.plot(
            [mean_predicted for mean_predicted, _, _ in deciles],
            [observed for _, observed, _ in deciles],
            marker="o",
            label=label,
        )
    _diagonal(axes, "perfect calibration")
    axes.set_xlabel("mean predicted probability of default")
    axes.set_ylabel("observed default rate")
    axes.set_title(f"Reliability of {result.selected}, per decile", fontsize=10)
    axes.legend(loc="upper left", fontsize=8)
    return _save(figure, path)


def _short(label: str) -> str:
    return label if len(label) <= MAX_LABEL_CHARS else label[: MAX_LABEL_CHARS - 1] + "…"


def plot_feature_effects(result: TrainingResult, path: Path) -> Path:
    """Sorted bars of the largest effects; signed coefficients are coloured by direction."""
    shown = feature_effects(result)[:MAX_EFFECT_BARS]
    signed = effects_are_signed(result)
    colours = [
        (RAISES_RISK if effect.value > 0 else LOWERS_RISK) if signed else NEUTRAL
        for effect in shown
    ]
    figure, axes = _figure()
    positions = np.arange(len(shown))
    axes.barh(positions, [effect.value for effect in shown], color=colours)
    axes.set_yticks(positions, [_short(effect.column) for effect in shown], fontsize=6)
    # Largest effect at the top, where the eye starts.
    axes.invert_yaxis()
    if signed:
        axes.axvline(0, color=NEUTRAL, linewidth=0.8)
        axes.set_xlabel("standardised coefficient (positive raises the risk)", fontsize=8)
    else:
        axes.set_xlabel("feature importance", fontsize=8)
    axes.tick_params(axis="x", labelsize=7)
    axes.set_title(f"{result.selected}: largest {len(shown)} effects", fontsize=10)
    return _save(figure, path)


def draw_figures(result: TrainingResult, directory: Path) -> list[str]:
    """Write ``roc.png``, ``calibration.png`` and ``feature_effects.png``; the card's lines."""
    plot_roc(result, directory / "roc.png")
    plot_calibration(result, directory / "calibration.png")
    plot_feature_effects(result, directory / "feature_effects.png")
    kind = "standardised coefficients" if effects_are_signed(result) else "importances"
    largest = ", ".join(f"`{effect.column}`" for effect in feature_effects(result)[:5])
    return [
        "## Figures",
        "",
        "ROC of every candidate's out-of-fold predictions:",
        "",
        "![ROC curves](roc.png)",
        "",
        f"Reliability of `{result.selected}` per decile, raw and calibrated out-of-fold:",
        "",
        "![Reliability diagram](calibration.png)",
        "",
        f"Feature effects ({kind} per encoded column); the largest are {largest}:",
        "",
        "![Feature effects](feature_effects.png)",
    ]
