"""Training: the spec's fair-lending guard, the shared folds, selection, calibration, artifact."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from numpy.typing import NDArray
from pydantic import ValidationError
from typer.testing import CliRunner

from services.cli.main import app
from services.scoring.data.generator import generate
from services.scoring.data.table import write_table
from services.scoring.training.artifact import ArtifactError, load_artifact, write_artifact
from services.scoring.training.candidates import CANDIDATES
from services.scoring.training.datasets import germancredit_path, load_table
from services.scoring.training.features import FeatureEncoder
from services.scoring.training.spec import (
    FeatureSpec,
    ProhibitedFeatureError,
    builtin_spec,
    load_spec,
)
from services.scoring.training.train import CandidateResult, select, train

Table = dict[str, NDArray[Any]]


@pytest.fixture(scope="module")
def table_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("data") / "apps.csv"
    write_table(generate(2_500, seed=21), path, seed=21)
    return path


@pytest.fixture(scope="module")
def table(table_file: Path) -> Table:
    return load_table(table_file)


def spec_with(**changes: Any) -> dict[str, Any]:
    base = {
        "name": "t",
        "target": {"column": "defaulted", "positive": "1"},
        "prohibited": ["marital_status", "age"],
        "features": [{"name": "credit_score", "kind": "numeric", "risk": "decreasing"}],
    }
    return {**base, **changes}


@pytest.mark.parametrize(
    "feature",
    [
        {"name": "marital_status", "kind": "categorical"},
        {"name": "age", "kind": "numeric"},
    ],
)
def test_a_prohibited_basis_in_the_spec_fails_training(feature: dict[str, str]) -> None:
    with pytest.raises(ValidationError, match="prohibited basis"):
        FeatureSpec.model_validate(spec_with(features=[feature]))


def test_a_derived_feature_reading_a_prohibited_column_fails_too() -> None:
    raw = spec_with(
        prohibited=["annual_income"], features=[{"name": "amount_to_income", "kind": "derived"}]
    )
    with pytest.raises(ValidationError) as caught:
        FeatureSpec.model_validate(raw)
    assert "annual_income (by amount_to_income)" in str(caught.value)
    assert issubclass(ProhibitedFeatureError, ValueError)


def test_the_built_in_specs_keep_prohibited_bases_and_past_decisions_out() -> None:
    ours = load_spec(builtin_spec("loan-default"))
    assert {"marital_status", "age", "interest_rate", "approval_status"} <= set(ours.prohibited)
    assert not ours.source_columns & {"marital_status", "age", "monthly_payment", "interest_rate"}
    german = load_spec(builtin_spec("germancredit"))
    assert not german.source_columns & {"personal_status_and_sex", "age_in_years"}


def test_unknown_derived_features_and_the_target_as_a_feature_are_refused() -> None:
    with pytest.raises(ValidationError, match="unknown derived"):
        FeatureSpec.model_validate(spec_with(features=[{"name": "magic", "kind": "derived"}]))
    with pytest.raises(ValidationError, match="target"):
        FeatureSpec.model_validate(spec_with(features=[{"name": "defaulted", "kind": "numeric"}]))


def test_the_encoder_is_stable_and_tolerates_unseen_levels(table: Table) -> None:
    spec = load_spec(builtin_spec("loan-default"))
    encoder = FeatureEncoder.fit(spec, table)
    shuffled = {name: values[::-1] for name, values in table.items()}
    assert FeatureEncoder.fit(spec, shuffled).names == encoder.names
    one = {name: values[:1].copy() for name, values in table.items()}
    one["employment_status"] = np.array(["Astronaut"])
    row = encoder.transform(one)[0]
    indicators = [i for i, c in enumerate(encoder.columns) if c.feature == "employment_status"]
    assert row[indicators].sum() == 0
    signs = dict(zip(encoder.names, encoder.monotone_constraints, strict=True))
    assert signs["credit_score"] == -1 and signs["post_loan_dti"] == 1


def test_the_selection_rule_prefers_the_explainable_model_within_a_tie() -> None:
    def result(name: str, auc: float) -> CandidateResult:
        return CandidateResult(name, fold_metrics=[{"auc": auc}])

    close = {
        n: result(n, a) for n, a in [("xgboost", 0.801), ("logistic", 0.8), ("random_forest", 0.79)]
    }
    assert select(close) == "logistic"
    clear = {n: result(n, a) for n, a in [("xgboost", 0.81), ("logistic", 0.8)]}
    assert select(clear) == "xgboost"


@pytest.fixture(scope="module")
def trained(table: Table) -> Any:
    return train(load_spec(builtin_spec("loan-default")), table, folds=3, seed=0)


def test_every_candidate_is_scored_on_the_same_folds(trained: Any) -> None:
    assert set(trained.candidates) == set(CANDIDATES)
    for result in trained.candidates.values():
        assert len(result.fold_metrics) == 3
        assert result.out_of_fold is not None and (result.out_of_fold > 0).all()
        metrics = result.mean
        assert 0.7 < metrics["auc"] < 0.95
        assert metrics["gini"] == pytest.approx(2 * metrics["auc"] - 1, abs=2e-4)
        assert {"ks", "brier", "log_loss", "precision", "recall", "f1"} <= set(metrics)


def test_calibration_is_monotone_and_brings_the_mean_to_the_default_rate(trained: Any) -> None:
    calibration = trained.calibration
    assert list(calibration.calibrated) == sorted(calibration.calibrated)
    raw = trained.candidates[trained.selected].out_of_fold
    calibrated = calibration.apply(raw)
    assert calibrated.mean() == pytest.approx(trained.labels.mean(), abs=0.01)


def test_the_artifact_round_trips_and_detects_tampering(
    trained: Any, table: Table, tmp_path: Path
) -> None:
    directory = write_artifact(trained, tmp_path)
    again = write_artifact(trained, tmp_path / "again")
    assert directory.name == again.name  # the version is a content hash
    loaded = load_artifact(directory)
    assert loaded.kind == trained.selected and loaded.version == directory.name.rsplit("-", 1)[1]
    sample = {name: values[:200] for name, values in table.items()}
    expected_raw = trained.model.predict_proba(trained.encoder.transform(sample))[:, 1]
    expected = trained.calibration.apply(expected_raw)
    assert np.allclose(loaded.probability_of_default(sample), expected, atol=1e-6)
    (directory / "encoder.json").write_text("{}", encoding="utf-8")
    with pytest.raises(ArtifactError, match=r"encoder\.json"):
        load_artifact(directory)


@pytest.mark.parametrize("model", ["xgboost", "random_forest"])
def test_tree_artifacts_load_and_predict_the_same(table: Table, tmp_path: Path, model: str) -> None:
    spec = load_spec(builtin_spec("loan-default"))
    small = {name: values[:1500] for name, values in table.items()}
    result = train(spec, small, folds=2, candidates=(model,))
    loaded = load_artifact(write_artifact(result, tmp_path))
    raw = result.model.predict_proba(result.encoder.transform(small))[:, 1]
    assert np.allclose(
        loaded.probability_of_default(small), result.calibration.apply(raw), atol=1e-5
    )


def test_german_credit_loads_from_the_package_with_its_own_spec() -> None:
    german = load_table(germancredit_path())
    assert len(german["creditability"]) == 1_000
    assert set(german["creditability"]) == {"good", "bad"}
    spec = load_spec(builtin_spec("germancredit"))
    encoder = FeatureEncoder.fit(spec, german)
    assert encoder.transform(german).shape == (1_000, len(encoder.columns))


def test_the_command_prints_the_promised_shape(table_file: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app,
        [
            "train",
            "--data",
            str(table_file),
            "--out",
            str(tmp_path),
            "--cv",
            "2",
            "--models",
            "logistic,xgboost",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.output.strip().splitlines()[-1])
    assert set(report["models"]) == {"logistic", "xgboost"}
    assert report["selected"] in report["models"]
    assert report["auc"] == report["models"][report["selected"]]["auc"]
    assert 0.5 < report["oracle_auc"] < 1 and report["auc"] <= report["oracle_auc"] + 0.02
    assert Path(report["artifact"]).is_dir()
    both = CliRunner().invoke(
        app, ["train", "--data", str(table_file), "--dataset", "germancredit"]
    )
    assert both.exit_code != 0
