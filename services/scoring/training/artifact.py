"""The versioned model artifact: model, feature encoder, calibration, metadata, content hash.

One directory per version, ``<out>/<spec name>-<version>/``::

    model.json | model.ubj | model.pkl   the fitted model (see below)
    encoder.json                         the feature spec and the matrix layout
    calibration.json                     the isotonic map from model output to probability
    metadata.json                        metrics, selection, sizes, and the SHA-256 of each file

The version is the first 12 hex digits of the SHA-256 over the model, encoder and calibration
files, so the same training gives the same version and any change gives another. Logistic
regression is stored as plain numbers and XGBoost in its own binary format; only a random forest
needs Python's pickle, and ``load_artifact`` unpickles it only after its hash matched the one
in the metadata.
"""

from __future__ import annotations

import hashlib
import json
import pickle
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

import numpy as np
from numpy.typing import NDArray
from sklearn.pipeline import Pipeline
from xgboost import XGBClassifier

from services.scoring.training.features import FeatureEncoder
from services.scoring.training.train import Calibration, TrainingResult

MODEL_FILES: Final = {
    "logistic": "model.json",
    "xgboost": "model.ubj",
    "random_forest": "model.pkl",
}
HASHED: Final = ("encoder.json", "calibration.json")


class ArtifactError(ValueError):
    """The artifact is incomplete or was changed after it was written."""


@dataclass(frozen=True)
class LinearModel:
    """Standardised logistic regression as numbers: ``logit = b0 + sum(w * (x - mean) / scale)``."""

    mean: NDArray[np.float64]
    scale: NDArray[np.float64]
    weights: NDArray[np.float64]
    intercept: float

    def predict_proba(self, matrix: NDArray[Any]) -> NDArray[np.float64]:
        logit = self.intercept + ((matrix - self.mean) / self.scale) @ self.weights
        positive = 1 / (1 + np.exp(-logit))
        return np.column_stack([1 - positive, positive])


def _linear_from(pipeline: Pipeline) -> LinearModel:
    scaler, regression = pipeline[0], pipeline[-1]
    return LinearModel(
        mean=np.asarray(scaler.mean_, dtype=np.float64),
        scale=np.asarray(scaler.scale_, dtype=np.float64),
        weights=np.asarray(regression.coef_[0], dtype=np.float64),
        intercept=float(regression.intercept_[0]),
    )


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def write_artifact(
    result: TrainingResult, out: Path, *, extra: dict[str, Any] | None = None
) -> Path:
    """Write the artifact of ``result`` under ``out``; returns its directory."""
    staging = out / f".{result.spec.name}-staging"
    staging.mkdir(parents=True, exist_ok=True)
    model_file = staging / MODEL_FILES[result.selected]
    if result.selected == "logistic":
        linear = _linear_from(result.model)
        payload = {
            "mean": linear.mean.tolist(),
            "scale": linear.scale.tolist(),
            "weights": linear.weights.tolist(),
            "intercept": linear.intercept,
        }
        model_file.write_text(json.dumps(payload), encoding="utf-8")
    elif result.selected == "xgboost":
        result.model.save_model(model_file)
    else:
        model_file.write_bytes(pickle.dumps(result.model))
    (staging / "encoder.json").write_text(result.encoder.model_dump_json(), encoding="utf-8")
    calibration = {"raw": result.calibration.raw, "calibrated": result.calibration.calibrated}
    (staging / "calibration.json").write_text(json.dumps(calibration), encoding="utf-8")
    hashes = {name: _sha256(staging / name) for name in (model_file.name, *HASHED)}
    version = hashlib.sha256("".join(hashes[n] for n in sorted(hashes)).encode()).hexdigest()[:12]
    metadata = {
        "name": result.spec.name,
        "version": version,
        "model": result.selected,
        "created_at": datetime.now(UTC).isoformat(),
        "folds": result.folds,
        "seed": result.seed,
        "rows": len(result.labels),
        "default_rate": round(float(result.labels.mean()), 4),
        "cross_validation": {n: c.mean for n, c in result.candidates.items()},
        "calibrated_out_of_fold": result.calibrated_metrics,
        "files": hashes,
        **(extra or {}),
    }
    (staging / "metadata.json").write_text(json.dumps(metadata, indent=2), encoding="utf-8")
    final = out / f"{result.spec.name}-{version}"
    if final.exists():
        for child in final.iterdir():
            child.unlink()
        final.rmdir()
    staging.rename(final)
    return final


@dataclass(frozen=True)
class LoadedModel:
    """What the scoring stage needs: encode, predict, calibrate."""

    name: str
    version: str
    kind: str
    encoder: FeatureEncoder
    model: Any
    calibration: Calibration
    metadata: dict[str, Any]

    def probability_of_default(self, table: dict[str, NDArray[Any]]) -> NDArray[np.float64]:
        matrix = self.encoder.transform(table)
        if self.kind == "xgboost":
            # The booster's inplace_predict on the float32 matrix, without the scikit-learn
            # wrapper's checks, which cost half of a one-row call.
            raw = self.model.get_booster().inplace_predict(matrix)
        else:
            raw = self.model.predict_proba(matrix)[:, 1]
        return self.calibration.apply(np.asarray(raw, dtype=np.float64))


def load_artifact(directory: Path) -> LoadedModel:
    """Load and verify an artifact written by ``write_artifact``."""
    try:
        metadata = json.loads((directory / "metadata.json").read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ArtifactError(f"{directory} has no metadata.json") from exc
    for name, expected in metadata["files"].items():
        path = directory / name
        if not path.is_file() or _sha256(path) != expected:
            raise ArtifactError(f"{name} is missing or changed since the artifact was written")
    kind = metadata["model"]
    model_file = directory / MODEL_FILES[kind]
    model: Any
    if kind == "logistic":
        numbers = json.loads(model_file.read_text(encoding="utf-8"))
        model = LinearModel(
            mean=np.array(numbers["mean"]),
            scale=np.array(numbers["scale"]),
            weights=np.array(numbers["weights"]),
            intercept=float(numbers["intercept"]),
        )
    elif kind == "xgboost":
        model = XGBClassifier(n_jobs=1)
        model.load_model(model_file)
    else:
        model = pickle.loads(model_file.read_bytes())  # noqa: S301 - hash verified above
    calibration = json.loads((directory / "calibration.json").read_text(encoding="utf-8"))
    return LoadedModel(
        name=metadata["name"],
        version=metadata["version"],
        kind=kind,
        encoder=FeatureEncoder.model_validate_json(
            (directory / "encoder.json").read_text(encoding="utf-8")
        ),
        model=model,
        calibration=Calibration(tuple(calibration["raw"]), tuple(calibration["calibrated"])),
        metadata=metadata,
    )
