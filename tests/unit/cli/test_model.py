"""``prescreen model promote`` writes CURRENT only for an artifact that loads."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from services.cli.main import app
from services.scoring.model_source import POINTER_FILE
from tests.unit.scoring.test_model_source import write_version


def test_promote_points_current_at_a_verified_artifact(tmp_path: Path) -> None:
    artifact = write_version(tmp_path, seed=4)
    result = CliRunner().invoke(app, ["model", "promote", str(tmp_path), artifact.name])
    assert result.exit_code == 0, result.output
    printed = json.loads(result.output)
    assert printed["promoted"] == artifact.name and printed["model"] == "logistic"
    assert (tmp_path / POINTER_FILE).read_text().strip() == artifact.name


def test_promote_refuses_a_tampered_artifact(tmp_path: Path) -> None:
    artifact = write_version(tmp_path, seed=4)
    (artifact / "encoder.json").write_text("{}")
    result = CliRunner().invoke(app, ["model", "promote", str(tmp_path), artifact.name])
    assert result.exit_code == 1
    assert "not promoted" in result.output
    assert not (tmp_path / POINTER_FILE).exists()
