"""The feature spec: which columns a model may use, how, and in which risk direction.

A spec (YAML) makes the pipeline work on any bank's table, not just ours::

    name: loan-default
    target: {column: defaulted, positive: "1"}
    prohibited: [marital_status, age]
    features:
      - {name: credit_score, kind: numeric, risk: decreasing}
      - {name: employment_status, kind: categorical}
      - {name: post_loan_dti, kind: derived, risk: increasing}

``risk`` is the direction in which the probability of default moves as the feature grows
(``increasing``: higher value, higher risk); gradient boosting is constrained to it.
``derived`` features are computed from other columns by the named function in ``derived.py``;
the columns each one reads count as used. Training refuses a spec in which any used column is
prohibited: fair-lending exclusions are configuration that a test can check, not a habit.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

from services.scoring.training.derived import DERIVED_FEATURES

FeatureKind = Literal["numeric", "categorical", "derived"]
RiskDirection = Literal["increasing", "decreasing", "unknown"]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Target(_Frozen):
    column: str
    positive: str = Field(description="The value of ``column`` that means default (bad).")


class FeatureSpecEntry(_Frozen):
    name: str
    kind: FeatureKind
    risk: RiskDirection = "unknown"
    label: str | None = Field(default=None, description="Customer-readable name.")

    @property
    def source_columns(self) -> tuple[str, ...]:
        if self.kind == "derived":
            return DERIVED_FEATURES[self.name].reads
        return (self.name,)


class ProhibitedFeatureError(ValueError):
    """A feature uses a prohibited basis (directly or through a derived feature)."""


class FeatureSpec(_Frozen):
    name: str
    target: Target
    prohibited: tuple[str, ...] = ()
    features: tuple[FeatureSpecEntry, ...] = Field(min_length=1)
    operating_cutoff: float = Field(
        default=0.2, gt=0, lt=1, description="Default probability above which a row is 'bad'."
    )

    @model_validator(mode="after")
    def _check(self) -> FeatureSpec:
        names = [f.name for f in self.features]
        if len(set(names)) != len(names):
            raise ValueError("feature names must be unique")
        unknown = [
            f.name for f in self.features if f.kind == "derived" and f.name not in DERIVED_FEATURES
        ]
        if unknown:
            raise ValueError(
                f"unknown derived features: {unknown}; known: {sorted(DERIVED_FEATURES)}"
            )
        used = {column: f.name for f in self.features for column in f.source_columns}
        banned = sorted(column for column in used if column in self.prohibited)
        if banned:
            via = ", ".join(f"{column} (by {used[column]})" for column in banned)
            raise ProhibitedFeatureError(f"prohibited basis used as a feature: {via}")
        if self.target.column in used:
            raise ValueError("the target cannot be a feature")
        return self

    @property
    def source_columns(self) -> frozenset[str]:
        return frozenset(c for f in self.features for c in f.source_columns)


def load_spec(path: Path) -> FeatureSpec:
    return FeatureSpec.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))


def builtin_spec(name: str) -> Path:
    """Path of a spec shipped with the project (``loan-default``, ``germancredit``)."""
    path = Path(__file__).resolve().parent.parent / "specs" / f"{name}.yaml"
    if not path.is_file():
        raise FileNotFoundError(f"no built-in feature spec named {name!r}")
    return path
