"""Improvement tips: every tip, applied and re-scored, reaches the approve band; none is guessed."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pytest
from numpy.typing import NDArray

from services.scoring.policy import CreditPolicy, GradeBand
from services.scoring.reasons import (
    LEVERS,
    ImprovementSearch,
    approve_cutoff,
    suggest_improvements,
)
from services.scoring.training.artifact import LoadedModel
from tests.unit.scoring.test_reasons import sample_table, trained_model

LEVER_BY_COLUMN = {lever.column: lever for lever in LEVERS}


@pytest.fixture(scope="module", params=["logistic", "xgboost"])
def model(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> LoadedModel:
    return trained_model(request.param, tmp_path_factory.mktemp(request.param))


@pytest.fixture(scope="module")
def policy() -> CreditPolicy:
    return CreditPolicy()


@pytest.fixture(scope="module")
def sample() -> dict[str, NDArray[Any]]:
    return sample_table()


def row_of(table: Mapping[str, NDArray[Any]], index: int) -> dict[str, Any]:
    return {column: values[index] for column, values in table.items()}


def bands_after(
    model: LoadedModel,
    policy: CreditPolicy,
    row: Mapping[str, Any],
    changes: list[dict[str, float]],
) -> list[GradeBand]:
    """Score the application once per entry of ``changes``, as a table of its own; grade each."""
    table = {
        column: np.asarray([change.get(column, value) for change in changes])
        for column, value in row.items()
    }
    return [policy.grade(float(p)).band for p in model.probability_of_default(table)]


@pytest.fixture(scope="module")
def searches(
    model: LoadedModel, policy: CreditPolicy, sample: dict[str, NDArray[Any]]
) -> dict[int, ImprovementSearch]:
    """The search for every application of the sample the model does not approve."""
    probabilities = model.probability_of_default(sample)
    refused = [
        index
        for index, probability in enumerate(probabilities)
        if policy.grade(float(probability)).band is not GradeBand.APPROVE
    ]
    return {index: suggest_improvements(model, row_of(sample, index), policy) for index in refused}


def test_every_tip_applied_and_rescored_is_approved(
    model: LoadedModel,
    policy: CreditPolicy,
    sample: dict[str, NDArray[Any]],
    searches: dict[int, ImprovementSearch],
) -> None:
    with_tips = [index for index, search in searches.items() if search.improvements]
    # The sample must exercise the search: most refusals here can be turned round.
    assert len(searches) >= 100
    assert len(with_tips) >= len(searches) // 2
    for index in with_tips:
        row = row_of(sample, index)
        for tip in searches[index].improvements:
            changes = {change.lever: float(change.to_value) for change in tip.changes}
            for change in tip.changes:
                assert float(change.from_value) == float(row[change.lever])
            assert bands_after(model, policy, row, [changes]) == [GradeBand.APPROVE]


def test_a_single_lever_tip_is_its_smallest_approving_step(
    model: LoadedModel,
    policy: CreditPolicy,
    sample: dict[str, NDArray[Any]],
    searches: dict[int, ImprovementSearch],
) -> None:
    for index, search in searches.items():
        row = row_of(sample, index)
        for tip in search.improvements:
            if len(tip.changes) != 1:
                continue
            (change,) = tip.changes
            steps = LEVER_BY_COLUMN[change.lever].candidates(row)
            position = steps.index(float(change.to_value))
            smaller = [{change.lever: value} for value in steps[:position]]
            if smaller:
                assert GradeBand.APPROVE not in bands_after(model, policy, row, smaller)


def test_no_tip_means_no_lever_alone_gets_there(
    model: LoadedModel,
    policy: CreditPolicy,
    sample: dict[str, NDArray[Any]],
    searches: dict[int, ImprovementSearch],
) -> None:
    for index, search in searches.items():
        if any(len(tip.changes) == 1 for tip in search.improvements):
            continue
        row = row_of(sample, index)
        farthest = [
            {lever.column: steps[-1]} for lever in LEVERS if (steps := lever.candidates(row))
        ]
        assert GradeBand.APPROVE not in bands_after(model, policy, row, farthest)


def test_combinations_are_offered_only_when_no_single_lever_suffices(
    searches: dict[int, ImprovementSearch],
) -> None:
    for search in searches.values():
        sizes = [len(tip.changes) for tip in search.improvements]
        assert sizes in ([], [2]) or set(sizes) == {1}
        assert [tip.effort for tip in search.improvements] == sorted(
            tip.effort for tip in search.improvements
        )


def test_tips_state_only_the_numbers_that_were_scored(
    searches: dict[int, ImprovementSearch],
) -> None:
    for search in searches.values():
        for tip in search.improvements:
            for change in tip.changes:
                moved = abs(float(change.to_value) - float(change.from_value))
                if change.lever in {"credit_score", "debt_to_income_ratio"}:
                    assert f"{round(moved, 2):g} point" in change.text
                assert change.text in tip.text or change.text[1:] in tip.text
            dumped = tip.model_dump()["changes"][0]
            assert set(dumped) == {"lever", "from", "to", "text"}


def test_an_approved_application_gets_no_tips(
    model: LoadedModel, policy: CreditPolicy, sample: dict[str, NDArray[Any]]
) -> None:
    probabilities = model.probability_of_default(sample)
    index = next(
        i for i, p in enumerate(probabilities) if policy.grade(float(p)).band is GradeBand.APPROVE
    )
    search = suggest_improvements(model, row_of(sample, index), policy)
    assert search.band is GradeBand.APPROVE
    assert search.improvements == ()
    assert search.model_version == model.version


def test_the_approve_cutoff_is_read_from_the_policy(policy: CreditPolicy) -> None:
    cutoff = approve_cutoff(policy)
    assert 0 < cutoff < 1
    assert policy.grade(cutoff - 1e-6).band is GradeBand.APPROVE
    assert policy.grade(cutoff).band is not GradeBand.APPROVE


def test_levers_stay_within_their_bounds() -> None:
    row = {
        "credit_score": 790,
        "debt_to_income_ratio": 3.5,
        "requested_loan_amount": 10_000.0,
        "loan_term": 3.0,
        "loan_purpose": "Personal",
    }
    score, dti, amount, term = (
        LEVER_BY_COLUMN[c].candidates(row) for c in row if c in LEVER_BY_COLUMN
    )
    assert score == (800.0, 810.0, 820.0, 830.0, 840.0, 850.0)
    assert dti == (2.5, 1.5, 0.5, 0.0)
    assert amount[0] == 9_500.0 and amount[-1] == 3_000.0 and len(amount) == 14
    assert term == (4.0, 5.0)
    assert all(type(value) is float for value in (*score, *dti, *amount, *term))
    assert LEVER_BY_COLUMN["loan_term"].candidates({**row, "loan_purpose": "Unknown"}) == ()
