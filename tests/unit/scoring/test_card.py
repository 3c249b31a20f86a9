"""The model card: its sections and figures, and the arithmetic of the four-fifths screen."""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from numpy.typing import NDArray

from services.scoring.data.generator import generate
from services.scoring.data.table import read_summary, write_table
from services.scoring.policy import CreditPolicy, GradeBand
from services.scoring.reasons.cost import ReasonCost, cost_section
from services.scoring.training.artifact import write_artifact
from services.scoring.training.card import (
    CARD_FILE,
    METRICS,
    FairnessRow,
    age_band,
    approved_by_policy,
    fairness_rows,
    monitored_groups,
    write_model_card,
)
from services.scoring.training.datasets import load_table
from services.scoring.training.spec import builtin_spec, load_spec
from services.scoring.training.train import AUC_TIE, PREFERENCE, TrainingResult, train

Table = dict[str, NDArray[Any]]
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
FIGURES = ("roc.png", "calibration.png", "feature_effects.png")
SECTIONS = (
    "## Features",
    "## Excluded columns",
    "## Candidate comparison",
    "## Figures",
    "## Fair-lending screen (four-fifths rule)",
    "## Cost of reasons",
    "## Intended use and limits",
)


@pytest.fixture(scope="module")
def policy() -> CreditPolicy:
    return CreditPolicy()


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Table, float]:
    path = tmp_path_factory.mktemp("data") / "applications.csv"
    write_table(generate(3000, seed=1), path, seed=1)
    summary = read_summary(path)
    assert summary is not None
    return load_table(path), summary.oracle_auc


@pytest.fixture(scope="module")
def result(generated: tuple[Table, float]) -> TrainingResult:
    return train(load_spec(builtin_spec("loan-default")), generated[0], folds=3, seed=0)


@pytest.fixture(scope="module")
def card(
    result: TrainingResult,
    generated: tuple[Table, float],
    policy: CreditPolicy,
    tmp_path_factory: pytest.TempPathFactory,
) -> Path:
    table, oracle_auc = generated
    artifact = write_artifact(result, tmp_path_factory.mktemp("models"))
    return write_model_card(result, table, artifact, oracle_auc=oracle_auc, policy=policy)


def section(markdown: str, heading: str) -> str:
    start = markdown.index(heading + "\n")
    following = markdown.find("\n## ", start + len(heading))
    return markdown[start : following if following >= 0 else None]


def test_the_card_has_every_section_in_order_and_the_header_facts(
    card: Path, result: TrainingResult
) -> None:
    markdown = card.read_text(encoding="utf-8")
    assert card.name == CARD_FILE
    assert markdown.startswith(f"# Model card: {result.spec.name}\n")
    positions = [markdown.index(heading + "\n") for heading in SECTIONS]
    assert positions == sorted(positions)
    version = card.parent.name.rsplit("-", 1)[-1]
    for fact in (
        f"Version: `{version}`",
        f"Selected model: `{result.selected}`",
        "Rows: 3,000",
        f"default rate {result.labels.mean():.2%}",
        "3 stratified folds, seed 0",
        "Created: ",
    ):
        assert fact in markdown


def test_the_comparison_shows_every_candidate_metric_and_the_selection_rule(
    card: Path, result: TrainingResult, generated: tuple[Table, float]
) -> None:
    comparison = section(card.read_text(encoding="utf-8"), "## Candidate comparison")
    header = next(line for line in comparison.splitlines() if line.startswith("| model"))
    assert [cell.strip() for cell in header.strip("|").split("|")][1:] == [
        label for _, label in METRICS
    ]
    for name, candidate in result.candidates.items():
        row = next(line for line in comparison.splitlines() if line.startswith(f"| `{name}`"))
        assert [cell.strip() for cell in row.strip("|").split("|")][1:] == [
            f"{candidate.mean[key]:.4f}" for key, _ in METRICS
        ]
    assert f"`{result.selected}` (selected)" in comparison
    assert f"`{result.selected}` calibrated" in comparison
    assert f"within {AUC_TIE} AUC" in comparison
    assert ", then ".join(f"`{name}`" for name in PREFERENCE) in comparison
    share = result.selected_auc / generated[1]
    assert f"{generated[1]:.4f}" in comparison and f"{share:.1%} of it" in comparison


def test_the_figures_are_png_files_the_card_shows(card: Path) -> None:
    markdown = card.read_text(encoding="utf-8")
    for name in FIGURES:
        figure = card.parent / name
        content = figure.read_bytes()
        assert len(content) > len(PNG_SIGNATURE)
        assert content.startswith(PNG_SIGNATURE)
        assert f"({name})" in markdown


def test_no_prohibited_column_is_among_the_features_in_the_card(
    card: Path, result: TrainingResult
) -> None:
    markdown = card.read_text(encoding="utf-8")
    listed = set(re.findall(r"^\| `([^`]+)` \|", section(markdown, "## Features"), re.MULTILINE))
    assert listed == {feature.name for feature in result.spec.features}
    assert not listed & set(result.spec.prohibited)
    excluded = section(markdown, "## Excluded columns")
    assert all(f"`{column}`" in excluded for column in result.spec.prohibited)
    figures = section(markdown, "## Figures")
    assert not any(f"`{column}" in figures for column in result.spec.prohibited)


def test_the_screen_monitors_applicant_attributes_and_says_what_it_is(card: Path) -> None:
    screen = section(card.read_text(encoding="utf-8"), "## Fair-lending screen (four-fifths rule)")
    attributes = set(re.findall(r"^\| `([^`]+)` \|", screen, re.MULTILINE))
    assert attributes == {"marital_status", "age band"}
    assert "not model inputs" in screen
    assert "monitoring aid, not a legal conclusion" in screen
    assert "default rate" in screen


def test_the_card_says_when_the_data_was_synthetic(card: Path) -> None:
    limits = section(card.read_text(encoding="utf-8"), "## Intended use and limits")
    assert "synthetic data" in limits
    assert "refer band" in limits and "knock-out" in limits
    assert "optimistic" in limits


def test_ratios_are_taken_to_the_highest_approval_rate() -> None:
    groups = np.array(["high"] * 5 + ["edge"] * 5 + ["low"] * 4)
    approved = np.array([True] * 5 + [True] * 4 + [False] + [True] * 3 + [False])
    defaulted = np.array([False] * 5 + [True] + [False] * 4 + [True, True, False, False])
    rows = {row.group: row for row in fairness_rows("status", groups, approved, defaulted)}
    assert rows["high"] == FairnessRow("status", "high", 5, 1.0, 1.0, 0.0)
    assert rows["edge"] == FairnessRow("status", "edge", 5, 0.8, 0.8, 0.2)
    assert rows["low"] == FairnessRow("status", "low", 4, 0.75, 0.75, 0.5)
    # Four fifths exactly passes the screen; anything below it is flagged.
    assert [rows[g].flagged for g in ("high", "edge", "low")] == [False, False, True]


def test_ratios_are_relative_not_absolute() -> None:
    groups = np.array(["a", "a", "a", "a", "b", "b", "b", "b", "b"])
    approved = np.array([True, False, False, False, True, True, False, False, False])
    rows = fairness_rows("x", groups, approved, np.zeros(9, dtype=bool))
    assert [(row.group, row.approval_rate, row.ratio_to_highest) for row in rows] == [
        ("a", 0.25, 0.25 / 0.4),
        ("b", 0.4, 1.0),
    ]
    assert [row.flagged for row in rows] == [True, False]


def test_nobody_approved_is_no_disparity() -> None:
    rows = fairness_rows("x", np.array(["a", "b"]), np.zeros(2, dtype=bool), np.ones(2, bool))
    assert [(row.ratio_to_highest, row.flagged) for row in rows] == [(None, False)] * 2


@pytest.mark.parametrize(
    ("age", "band"),
    [
        (17, "under 18"),
        (18, "18-24"),
        (24, "18-24"),
        (24.9, "18-24"),
        (25, "25-34"),
        (34, "25-34"),
        (35, "35-44"),
        (44, "35-44"),
        (45, "45-54"),
        (54, "45-54"),
        (55, "55-64"),
        (64, "55-64"),
        (65, "65+"),
        (99, "65+"),
        (math.nan, "(missing)"),
    ],
)
def test_age_bands_at_their_edges(age: float, band: str) -> None:
    assert age_band(age) == band


def test_german_credit_monitors_its_prohibited_attributes() -> None:
    spec = load_spec(builtin_spec("germancredit"))
    table = {
        "personal_status_and_sex": np.array(["male : single", "female : divorced/separated"]),
        "foreign_worker": np.array(["yes", "no"]),
        "age_in_years": np.array(["24", "65"]),
    }
    groups = monitored_groups(spec, table)
    assert set(groups) == {"personal_status_and_sex", "foreign_worker", "age_in_years band"}
    assert groups["age_in_years band"].tolist() == ["18-24", "65+"]


def test_approval_follows_the_policy_grade_table(policy: CreditPolicy) -> None:
    probabilities = np.array([0.0, 0.05, 0.1199, 0.12, 0.1201, 0.3, 1.0, 0.05])
    expected = [policy.grade(float(p)).band == GradeBand.APPROVE for p in probabilities]
    assert approved_by_policy(probabilities, policy).tolist() == expected
    assert expected[2] and not expected[3]


def test_a_group_approved_less_than_four_fifths_as_often_is_flagged_in_the_card(
    result: TrainingResult,
    generated: tuple[Table, float],
    policy: CreditPolicy,
    tmp_path: Path,
) -> None:
    candidate = result.candidates[result.selected].out_of_fold
    assert candidate is not None
    approved = approved_by_policy(result.calibration.apply(candidate), policy)
    # Every declined row in one group: its approval rate falls well below four fifths.
    table = {**generated[0], "marital_status": np.where(approved, "Spared", "Burdened")}
    artifact = write_artifact(result, tmp_path)
    markdown = write_model_card(result, table, artifact, policy=policy).read_text("utf-8")
    rows = {
        line.split("|")[2].strip(): line
        for line in section(markdown, "## Fair-lending screen (four-fifths rule)").splitlines()
        if line.startswith("| `marital_status`")
    }
    assert rows["Burdened"].rstrip(" |").endswith("below 0.8")
    assert "below" not in rows["Spared"]
    assert "Oracle AUC: not known" in markdown
    assert "synthetic data" not in markdown


def test_the_card_states_the_measured_cost_of_reasons(card: Path, result: TrainingResult) -> None:
    text = section(card.read_text(encoding="utf-8"), "## Cost of reasons")
    assert f"selected `{result.selected}` model" in text
    figures = re.findall(r"([0-9][0-9,.]*) µs per row", text)
    assert len(figures) == 2 and all(float(f.replace(",", "")) > 0 for f in figures)
    assert "Only where owed" in text and "Exact only" in text


def test_a_model_without_exact_contributions_is_said_to_be_refused() -> None:
    cost = ReasonCost(
        kind="random_forest", rows=10, contributions_us_per_row=None, scoring_us_per_row=5.0
    )
    text = "\n".join(cost_section(cost))
    assert "refuses to decide with it" in text
    assert cost.reasons_rows_per_s is None
