"""``prescreen bench scoring`` on a small configuration: the promised figures, all measured."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from services.cli.main import app
from services.scoring.data.generator import generate
from services.scoring.stage_bench import fraud_screened_events


def test_the_scoring_benchmark_prints_its_figures_and_baseline() -> None:
    result = CliRunner().invoke(
        app,
        [
            "bench",
            "scoring",
            "--training-rows",
            "2000",
            "--batch-rows",
            "3000",
            "--single-calls",
            "200",
            "--stage-events",
            "300",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.output.strip().splitlines()[-1])
    assert set(report["models"]) == {"logistic", "xgboost"}
    for figures in report["models"].values():
        assert figures["batch_rows_per_s"] > 0 and figures["baseline_batch_rows_per_s"] > 0
        assert 0 < figures["single_p50_ms"] <= figures["single_p99_ms"]
        assert figures["declines_explained"] > 0 and figures["reasons_rows_per_s"] > 0
        assert figures["stage_events"] == 300 and figures["stage_eps"] > 0
        assert sum(figures["stage_statuses"].values()) == 300
    slowest = min(m["batch_rows_per_s"] for m in report["models"].values())
    assert report["batch_rows_per_s"] == slowest
    assert report["single_p99_ms"] == max(m["single_p99_ms"] for m in report["models"].values())
    assert report["stage_eps"] == min(m["stage_eps"] for m in report["models"].values())
    assert report["models"]["xgboost"]["depth"] == 2
    reference = report["reasons_deep_reference"]
    assert (reference["trees"], reference["depth"]) == (400, 5)
    assert reference["contributions_us_per_row"] > 0


def test_benchmark_events_are_distinct_applicants_that_ingest_accepted() -> None:
    events = fraud_screened_events(generate(400, seed=3), 200)
    assert len(events) == 200
    tokens = {e.value.application.identity.ssn_token for e in events}
    assert len(tokens) == 200  # each event its own bureau file
    products = {e.value.application.loan.product for e in events}
    assert len(products) > 3
