from __future__ import annotations

import shutil

import orjson
import pytest
from typer.testing import CliRunner

from services.cli.documents import app


@pytest.mark.skipif(shutil.which("tesseract") is None, reason="the tesseract binary is missing")
def test_evaluate_prints_one_json_line_with_the_figures() -> None:
    result = CliRunner().invoke(app, ["evaluate", "--samples", "1", "--seed", "2", "--json"])
    assert result.exit_code == 0, result.output
    figures = orjson.loads(result.output.strip().splitlines()[-1])
    for key in (
        "pages",
        "classification_accuracy",
        "field_accuracy_digital",
        "field_accuracy_scanned",
        "s_per_page_digital",
        "s_per_page_scanned",
        "baseline_s_per_page_plain_tesseract",
    ):
        assert key in figures
    assert figures["pages"] >= 7
    assert figures["field_accuracy_digital"] == 1.0
    assert figures["baseline_pages"] == 6 and figures["baseline_s_per_page_plain_tesseract"] > 0
