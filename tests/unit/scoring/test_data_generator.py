"""The synthetic applications table: reproducible, lawful, realistic, and true to the contract."""

from __future__ import annotations

import inspect
import json
from pathlib import Path

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score
from typer.testing import CliRunner

from services.cli.main import app
from services.common.contracts import HISTORICAL_COLUMNS, application_data_from_row
from services.scoring.data.generator import GeneratedTable, default_probability, generate
from services.scoring.data.products import PRODUCT_PROFILES, annuity_payment
from services.scoring.data.table import LABEL_COLUMN, read_rows, read_summary, write_table


@pytest.fixture(scope="module")
def table() -> GeneratedTable:
    return generate(20_000, seed=11)


def test_the_same_seed_gives_the_same_table_and_another_seed_another() -> None:
    first, again, other = generate(500, 3), generate(500, 3), generate(500, 4)
    for name in HISTORICAL_COLUMNS:
        assert np.array_equal(first.columns[name], again.columns[name])
    assert np.array_equal(first.defaulted, again.defaulted)
    assert not np.array_equal(first.columns["credit_score"], other.columns["credit_score"])


def test_rows_respect_the_constraints_of_real_applicants(table: GeneratedTable) -> None:
    c = table.columns
    age, years = c["age"], c["years_employed"]
    assert age.min() >= 18 and age.max() <= 80
    assert (years <= age - 14).all()
    not_working = ~np.isin(c["employment_status"], ["Employed", "Self-Employed"])
    assert (years[not_working] == 0).all()
    assert (c["annual_income"][c["employment_status"] == "Student"] < 25_000).all()
    assert not np.isin(c["education_level"][age < 22], ["Master's", "PhD"]).any()
    assert c["credit_score"].min() >= 300 and c["credit_score"].max() <= 850
    assert (c["requested_loan_amount"] > 0).all()
    assert (c["savings_balance"] >= 0).all()


def test_loans_stay_inside_their_products_ranges_and_pay_the_annuity(
    table: GeneratedTable,
) -> None:
    c = table.columns
    for name, profile in PRODUCT_PROFILES.items():
        mask = c["loan_purpose"] == name
        assert mask.any(), name
        assert np.isin(c["loan_term"][mask], profile.terms).all()
        low, high = profile.rate_range
        assert (c["interest_rate"][mask] >= low).all() and (c["interest_rate"][mask] <= high).all()
    expected = annuity_payment(c["requested_loan_amount"], c["interest_rate"], c["loan_term"])
    assert np.abs(c["monthly_payment"] - expected).max() <= 0.005


def test_the_annuity_matches_the_historical_sample() -> None:
    # First sample row: 11,155.71 at 13.63 % over five years pays 257.44 a month.
    payment = annuity_payment(np.array([11155.71]), np.array([13.63]), np.array([5.0]))
    assert round(float(payment[0]), 2) == 257.44
    assert float(annuity_payment(np.array([1200.0]), np.array([0.0]), np.array([1.0]))[0]) == 100


def test_risk_follows_the_documented_directions(table: GeneratedTable) -> None:
    c, pd = table.columns, table.default_probability
    assert 0.05 < table.defaulted.mean() < 0.25
    low, high = c["credit_score"] < 620, c["credit_score"] >= 740
    assert pd[low].mean() > 3 * pd[high].mean()
    poor, excellent = c["payment_history"] == "Poor", c["payment_history"] == "Excellent"
    assert pd[poor].mean() > pd[excellent].mean()
    assert pd[c["debt_to_income_ratio"] > 40].mean() > pd[c["debt_to_income_ratio"] < 15].mean()
    # The past policy approved the safer applicants, though not perfectly.
    approved = c["approval_status"] == "Approved"
    assert table.defaulted[approved].mean() < table.defaulted[~approved].mean()
    assert 0.3 < approved.mean() < 0.8


def test_prohibited_bases_have_no_direct_effect_on_default() -> None:
    parameters = set(inspect.signature(default_probability).parameters)
    assert not parameters & {"age", "marital_status", "num_dependents"}


def test_the_oracle_auc_is_a_real_ceiling(table: GeneratedTable) -> None:
    oracle = roc_auc_score(table.defaulted, table.default_probability)
    assert 0.75 < oracle < 0.95
    # A single column ranks worse than the true probability does.
    assert roc_auc_score(table.defaulted, -table.columns["credit_score"]) < oracle


@pytest.mark.parametrize("name", ["apps.csv", "apps.tsv"])
def test_a_written_table_reads_back_as_valid_applications(tmp_path: Path, name: str) -> None:
    table = generate(400, seed=2)
    path = tmp_path / name
    summary = write_table(table, path, seed=2)
    rows = list(read_rows(path))
    assert len(rows) == 400 == summary.rows
    assert list(rows[0]) == [*HISTORICAL_COLUMNS, LABEL_COLUMN]
    assert ("\t" in path.read_text().splitlines()[0]) == name.endswith(".tsv")
    for row in rows:
        data = application_data_from_row(row)
        assert data.household.age >= 18
    assert sum(int(r[LABEL_COLUMN]) for r in rows) == int(table.defaulted.sum())
    assert read_summary(path) == summary
    assert "default_probability" not in path.read_text()


def test_the_command_writes_the_table_and_prints_its_summary(tmp_path: Path) -> None:
    out = tmp_path / "data" / "apps.csv"
    result = CliRunner().invoke(
        app, ["data", "generate", "--rows", "300", "--seed", "9", "--out", str(out), "--json"]
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output.strip().splitlines()[-1])
    assert summary["rows"] == 300 and summary["seed"] == 9
    assert 0.5 < summary["oracle_auc"] < 1
    assert out.is_file()
    refused = CliRunner().invoke(app, ["data", "generate", "--rows", "0", "--seed", "1"])
    assert refused.exit_code != 0
