"""``prescreen bench screening`` on a small list: every promised figure is there and measured."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from services.cli.main import app

PROMISED = {
    "queries",
    "p50_ms",
    "p99_ms",
    "qps",
    "recall",
    "precision",
    "list_size",
    "names_indexed",
    "recall_hit",
    "precision_hit",
    "recall_review",
    "precision_review",
    "baseline_scan_ms_per_query",
    "load_s",
}


def test_the_screening_benchmark_prints_measured_figures_and_its_baseline() -> None:
    result = CliRunner().invoke(
        app,
        [
            "bench",
            "screening",
            "--list-size",
            "800",
            "--queries",
            "200",
            "--baseline-queries",
            "10",
            "--seed",
            "3",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.output.strip().splitlines()[-1])
    assert set(report) >= PROMISED
    assert report["list_size"] == 800 and report["queries"] == 200
    assert report["names_indexed"] > 800  # aliases are indexed too
    assert 0 < report["p50_ms"] <= report["p99_ms"] <= report["max_ms"]
    assert report["qps"] > 0 and report["load_s"] > 0
    # The full scan scores every name; the indexed screen does not.
    assert report["baseline_scan_ms_per_query"] > report["mean_ms"]
    assert report["recall"] == report["recall_review"] >= report["recall_hit"] > 0.5
    assert report["precision_hit"] >= 0.5 and report["precision"] > 0.5
    assert 0 < report["true_variants"] < report["queries"]


def test_the_human_summary_names_both_bands() -> None:
    result = CliRunner().invoke(
        app,
        ["bench", "screening", "--list-size", "300", "--queries", "50", "--baseline-queries", "2"],
    )
    assert result.exit_code == 0, result.output
    assert "p99" in result.output and "full scan" in result.output
    assert "review" in result.output and "hit" in result.output
