"""``prescreen fraud allow / revoke / audit`` against a real Redis."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from services.cli.main import app

pytestmark = pytest.mark.integration

TOKEN = "c" * 64


def test_an_analyst_clears_revokes_and_reads_the_audit(
    redis_url: str, unique_name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PRESCREEN_REDIS_URL", redis_url)
    monkeypatch.setenv("PRESCREEN_REDIS_KEY_PREFIX", unique_name)
    runner = CliRunner()
    common = ["--ssn-token", TOKEN, "--uid", "sdn:77"]
    allowed = runner.invoke(
        app, ["fraud", "allow", *common, "--by", "analyst-7", "--reason", "different DOB"]
    )
    assert allowed.exit_code == 0, allowed.output
    assert json.loads(allowed.output)["cleared_by"] == "analyst-7"
    revoked = runner.invoke(
        app, ["fraud", "revoke", *common, "--by", "lead-2", "--reason", "new evidence"]
    )
    assert revoked.exit_code == 0 and json.loads(revoked.output)["revoked"] is True
    again = runner.invoke(app, ["fraud", "revoke", *common, "--by", "lead-2", "--reason", "x y z"])
    assert again.exit_code == 1
    audit = runner.invoke(app, ["fraud", "audit"])
    actions = [json.loads(line)["action"] for line in audit.output.splitlines()]
    assert actions == ["revoke", "revoke", "grant"]


def test_a_malformed_token_is_refused(
    redis_url: str, unique_name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PRESCREEN_REDIS_URL", redis_url)
    monkeypatch.setenv("PRESCREEN_REDIS_KEY_PREFIX", unique_name)
    result = CliRunner().invoke(
        app,
        [
            "fraud",
            "allow",
            "--ssn-token",
            "123-45-6789",
            "--uid",
            "sdn:1",
            "--by",
            "a",
            "--reason",
            "not him",
        ],
    )
    assert result.exit_code == 2 and "not cleared" in result.output
    assert "6789" not in result.output  # whatever was typed, it is not echoed
