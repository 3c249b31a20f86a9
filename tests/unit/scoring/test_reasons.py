"""Principal reasons: contributions add up to the model's logit, codes follow the contributions."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from numpy.typing import NDArray
from xgboost import DMatrix

from services.common.contracts.decision import PrincipalReason
from services.common.contracts.stages import MAX_PRINCIPAL_REASONS, Reason
from services.scoring.data.generator import generate
from services.scoring.policy import CreditPolicy, KnockOut, PolicyInput
from services.scoring.reasons import (
    CONTRIBUTION_DECIMALS,
    LEVERS,
    Catalogue,
    CatalogueError,
    ExactContributionsUnavailableError,
    RowContributions,
    adverse_features,
    adverse_features_of_rows,
    contributions,
    default_catalogue,
    load_catalogue,
    principal_reasons,
)
from services.scoring.reasons.cost import measure_reason_cost
from services.scoring.training.artifact import LoadedModel, load_artifact, write_artifact
from services.scoring.training.features import RISK_SIGN
from services.scoring.training.spec import FeatureSpec, builtin_spec, load_spec
from services.scoring.training.train import train

CODE = re.compile(r"^[A-Z][A-Z0-9_]{1,63}$")
TRAINING_ROWS = 4_000
SAMPLE_ROWS = 1_000
_TRAINED: dict[str, LoadedModel] = {}


def loan_spec() -> FeatureSpec:
    return load_spec(builtin_spec("loan-default"))


def sample_table(rows: int = SAMPLE_ROWS, seed: int = 23) -> dict[str, NDArray[Any]]:
    return dict(generate(rows, seed).columns)


def trained_model(kind: str, directory: Path) -> LoadedModel:
    """A small model of ``kind`` trained on generated data, written and loaded back once."""
    if kind not in _TRAINED:
        generated = generate(TRAINING_ROWS, seed=5)
        table = {**generated.columns, "defaulted": generated.defaulted}
        result = train(loan_spec(), table, folds=2, candidates=(kind,))
        _TRAINED[kind] = load_artifact(write_artifact(result, directory))
    return _TRAINED[kind]


@pytest.fixture(scope="module", params=["logistic", "xgboost"])
def model(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> LoadedModel:
    return trained_model(request.param, tmp_path_factory.mktemp(request.param))


@pytest.fixture(scope="module")
def sample() -> dict[str, NDArray[Any]]:
    return sample_table()


def knockout(code: str, description: str = "A knock-out rule matched.") -> KnockOut:
    return KnockOut(rule_id="KO-99", reason_code=code, description=description)


def handmade_row(values: list[float]) -> RowContributions:
    features = loan_spec().features[: len(values)]
    return RowContributions(features=features, values=np.array(values), base=-2.0)


# -- contributions ------------------------------------------------------------------------------


def test_contributions_add_up_to_the_models_logit(
    model: LoadedModel, sample: dict[str, NDArray[Any]]
) -> None:
    explained = contributions(model, sample)
    matrix = model.encoder.transform(sample)
    assert explained.values.shape == (SAMPLE_ROWS, len(model.encoder.spec.features))
    if model.kind == "logistic":
        linear = model.model
        logit = linear.intercept + ((matrix - linear.mean) / linear.scale) @ linear.weights
        assert explained.base == linear.intercept
        np.testing.assert_allclose(explained.logits(), logit, rtol=0, atol=1e-9)
    else:
        margin = model.model.get_booster().predict(DMatrix(matrix), output_margin=True)
        np.testing.assert_allclose(explained.logits(), margin, rtol=0, atol=1e-4)
    probability = model.model.predict_proba(matrix)[:, 1]
    np.testing.assert_allclose(1 / (1 + np.exp(-explained.logits())), probability, atol=1e-5)


def test_a_row_keeps_its_contributions(model: LoadedModel, sample: dict[str, NDArray[Any]]) -> None:
    explained = contributions(model, sample)
    row = explained.row(7)
    assert row.feature_names == explained.feature_names
    assert row.logit == pytest.approx(float(explained.logits()[7]), abs=1e-9)
    assert list(row.as_dict().values()) == pytest.approx(list(explained.values[7]))


def test_a_random_forest_has_no_exact_contributions(
    model: LoadedModel, sample: dict[str, NDArray[Any]]
) -> None:
    forest = dataclasses.replace(model, kind="random_forest")
    with pytest.raises(ExactContributionsUnavailableError, match="exact contributions"):
        contributions(forest, sample)
    assert issubclass(ExactContributionsUnavailableError, NotImplementedError)


def test_prohibited_bases_are_never_features_nor_reasons(
    model: LoadedModel, sample: dict[str, NDArray[Any]]
) -> None:
    prohibited = set(loan_spec().prohibited)
    assert {"marital_status", "age"} <= prohibited
    explained = contributions(model, sample)
    assert not prohibited & set(explained.feature_names)
    assert not prohibited & set(default_catalogue().features)
    for index in range(explained.rows):
        for reason in principal_reasons(explained.row(index)):
            assert reason.feature not in prohibited


def test_features_fitted_against_their_declared_risk_are_flagged(
    model: LoadedModel, sample: dict[str, NDArray[Any]]
) -> None:
    """'Too low' and 'too high' are true only where the model follows the spec's direction."""
    explained = contributions(model, sample)
    if model.kind == "xgboost":
        assert explained.direction_conflicts == frozenset()
        return
    risk = {feature.name: RISK_SIGN[feature.risk] for feature in model.encoder.spec.features}
    against = {
        column.feature
        for column, weight in zip(model.encoder.columns, model.model.weights, strict=True)
        if column.level is None and np.sign(weight) == -risk[column.feature] != 0
    }
    assert explained.direction_conflicts == against
    assert explained.row(0).direction_conflicts == against


def test_a_conflicting_feature_gets_a_reason_without_a_direction() -> None:
    row = dataclasses.replace(
        handmade_row([0.1, -0.2, 0.8]), direction_conflicts=frozenset({"debt_to_income_ratio"})
    )
    first, second = principal_reasons(row)
    assert first.feature == "debt_to_income_ratio"
    assert first.code == "FACTOR_DEBT_TO_INCOME_RATIO"
    assert first.text == "Debt-to-income ratio weighed against this application"
    assert second.code == "CREDIT_SCORE_TOO_LOW"


# -- principal reasons --------------------------------------------------------------------------


def expected_features(row: RowContributions) -> list[str]:
    """The rule written out plainly: positive at the reported precision, largest first."""
    ranked = sorted(range(len(row.values)), key=lambda i: (-row.values[i], i))
    adverse = [i for i in ranked if round(float(row.values[i]), CONTRIBUTION_DECIMALS) > 0]
    return [row.features[i].name for i in adverse[:MAX_PRINCIPAL_REASONS]]


def test_reasons_are_the_largest_positive_contributions(
    model: LoadedModel, sample: dict[str, NDArray[Any]]
) -> None:
    explained = contributions(model, sample)
    catalogue = default_catalogue()
    for index in range(explained.rows):
        row = explained.row(index)
        reasons = principal_reasons(row)
        assert [r.feature for r in reasons] == expected_features(row)
        assert len(reasons) <= MAX_PRINCIPAL_REASONS
        contribution = row.as_dict()
        for reason in reasons:
            assert reason.feature is not None
            assert reason.source == "model"
            feature = row.features[row.feature_names.index(reason.feature)]
            conflicting = reason.feature in row.direction_conflicts
            entry = (catalogue.fallback_entry if conflicting else catalogue.entry)(feature)
            assert (reason.code, reason.text) == (entry.code, entry.text)
            assert reason.contribution == round(contribution[reason.feature], 4)
            assert reason.contribution is not None and reason.contribution > 0


def test_ties_keep_spec_order_and_non_positive_features_are_never_reasons() -> None:
    row = handmade_row([0.5, 0.5, 0.2, 0.0, -1.0, 0.5, 0.00001])
    names = [f.name for f in row.features]
    assert [r.feature for r in principal_reasons(row)] == [names[0], names[1], names[5], names[2]]
    assert [r.feature for r in principal_reasons(row, limit=2)] == [names[0], names[1]]
    assert principal_reasons(handmade_row([0.0, -0.3, -2.0, 0.00004])) == ()


def test_knockouts_come_first_and_the_total_never_exceeds_four() -> None:
    row = handmade_row([0.9, 0.1, 0.4])
    reasons = principal_reasons(row, policy_knockouts=[knockout("KO_NO_INCOME")])
    assert [r.source for r in reasons] == ["policy", "model", "model", "model"]
    assert reasons[0].code == "KO_NO_INCOME"
    assert reasons[0].contribution is None
    many = [knockout(f"KO_RULE_{n}") for n in range(5)]
    assert [r.code for r in principal_reasons(row, policy_knockouts=many)] == [
        f"KO_RULE_{n}" for n in range(4)
    ]
    twice = [knockout("KO_DTI_ABOVE_CAP"), knockout("KO_DTI_ABOVE_CAP")]
    assert [r.source for r in principal_reasons(row, policy_knockouts=twice)] == [
        "policy",
        "model",
        "model",
        "model",
    ]


def test_a_knockout_code_gets_the_policy_tables_text() -> None:
    policy = CreditPolicy()
    facts = PolicyInput(
        age=17,
        credit_score=760,
        product="Personal",
        debt_to_income_ratio=25.0,
        annual_income=65_000.0,
        employment_status="Employed",
        education_level="Bachelor's",
        home_ownership="Rent",
        term_years=3.0,
        amount=15_000.0,
        recent_bankruptcy=False,
    )
    (underage,) = policy.check_knockouts(facts).knockouts
    (by_code,) = principal_reasons(handmade_row([-1.0]), policy_knockouts=[underage.reason_code])
    assert by_code.text == underage.description
    with pytest.raises(CatalogueError, match="one per product"):
        principal_reasons(handmade_row([0.1]), policy_knockouts=["KO_SCORE_BELOW_MINIMUM"])
    with pytest.raises(CatalogueError, match="not a reason code"):
        principal_reasons(handmade_row([0.1]), policy_knockouts=["KO_NOT_A_RULE"])


@pytest.mark.parametrize("limit", [0, 5])
def test_the_limit_stays_within_what_a_notice_may_state(limit: int) -> None:
    with pytest.raises(ValueError, match="limit"):
        principal_reasons(handmade_row([0.1]), limit=limit)


def test_reasons_convert_to_the_event_contracts() -> None:
    (reason,) = principal_reasons(handmade_row([0.7]))
    assert reason.to_stage_reason() == Reason(code=reason.code, description=reason.text)
    assert reason.to_principal_reason("Raise your credit score by about 20 points") == (
        PrincipalReason(
            code=reason.code, text=reason.text, action="Raise your credit score by about 20 points"
        )
    )


# -- catalogue ----------------------------------------------------------------------------------


def test_the_catalogue_covers_the_default_spec_with_valid_unique_codes() -> None:
    catalogue = default_catalogue()
    spec = loan_spec()
    assert catalogue.missing(spec) == ()
    codes = [catalogue.entry(f).code for f in spec.features]
    assert all(CODE.match(code) for code in codes)
    assert len(set(codes)) == len(codes)
    assert all(catalogue.entry(lever.column).actionable for lever in LEVERS)
    assert {"KO_UNDERAGE", "KO_DTI_ABOVE_CAP", "KO_PRODUCT_NOT_IN_POLICY"} <= set(
        catalogue.knockouts
    )


def test_a_banks_own_features_get_fallback_codes() -> None:
    catalogue = default_catalogue()
    spec = load_spec(builtin_spec("germancredit"))
    entries = [catalogue.entry(feature) for feature in spec.features]
    assert all(CODE.match(entry.code) and not entry.actionable for entry in entries)
    assert len({entry.code for entry in entries}) == len(entries)
    duration = catalogue.entry("duration_in_month")
    assert duration.code == "FACTOR_DURATION_IN_MONTH"
    assert duration.text == "Duration in month weighed against this application"


def test_a_catalogue_with_a_shared_code_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "catalogue.yaml"
    path.write_text(
        "version: '1'\n"
        "features:\n"
        "  credit_score: {code: SAME_CODE, text: Credit score too low, actionable: true}\n"
        "  loan_term: {code: SAME_CODE, text: Length of the loan term, actionable: true}\n"
        "fallback: {code_prefix: FACTOR_, text: '{label} weighed against this application'}\n",
        encoding="utf-8",
    )
    with pytest.raises(CatalogueError, match="SAME_CODE"):
        load_catalogue(path)
    assert isinstance(default_catalogue(), Catalogue)


def test_batch_adverse_order_matches_row_by_row(
    model: LoadedModel, sample: dict[str, NDArray[Any]]
) -> None:
    explained = contributions(model, sample)
    values = explained.values.copy()
    values[0, :] = -0.25
    values[0, [4, 0, 2]] = 0.5  # a three-way tie: spec order decides
    values[1, :] = -1.0  # nothing pushed toward default
    batch = adverse_features_of_rows(values)
    rows = [
        adverse_features(dataclasses.replace(explained.row(i), values=values[i]))
        for i in range(len(values))
    ]
    assert batch == rows
    assert batch[0] == (0, 2, 4) and batch[1] == ()


def test_the_cost_of_reasons_is_measured_for_the_model_as_trained(
    model: LoadedModel, sample: dict[str, NDArray[Any]]
) -> None:
    cost = measure_reason_cost(model, sample)
    assert cost.rows == len(sample["credit_score"])
    assert cost.contributions_us_per_row is not None and cost.contributions_us_per_row > 0
    assert cost.scoring_us_per_row > 0
    if model.kind == "xgboost":
        assert (cost.trees, cost.depth) == (300, 2)
    else:
        assert cost.trees is None
