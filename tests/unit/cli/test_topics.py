from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from services.cli.main import app as prescreen
from services.cli.topics import app
from services.common.contracts.registry import Topics
from services.common.infra import free_port


def test_list_json_is_one_object_on_the_last_line() -> None:
    result = CliRunner().invoke(app, ["list", "--json"])
    assert result.exit_code == 0, result.output
    last = result.stdout.strip().splitlines()[-1]
    listed = json.loads(last)["topics"]
    assert [row["name"] for row in listed] == [spec.name for spec in Topics.all()]
    for row, spec in zip(listed, Topics.all(), strict=True):
        assert row == {
            "name": spec.name,
            "writer": spec.writer,
            "partitions": spec.partitions,
            "value_model": spec.value_model.__name__,
            "ce_type": spec.ce_type,
            "config": spec.config,
        }


def test_list_needs_no_broker_and_shows_every_topic(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", f"127.0.0.1:{free_port()}")
    result = CliRunner().invoke(prescreen, ["topics", "list"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].split()[:3] == ["TOPIC", "WRITER", "PARTITIONS"]
    for spec, line in zip(Topics.all(), lines[1:], strict=True):
        assert line.split() == [
            spec.name,
            spec.writer,
            str(spec.partitions),
            spec.value_model.__name__,
            spec.ce_type,
        ]


def test_create_reports_an_unreachable_cluster_as_json(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", f"127.0.0.1:{free_port()}")
    monkeypatch.delenv("PRESCREEN_KAFKA_BOOTSTRAP_SERVERS", raising=False)
    result = CliRunner().invoke(app, ["create", "--timeout", "1", "--json"])
    assert result.exit_code == 1
    outcome = json.loads(result.stdout.strip().splitlines()[-1])
    assert outcome["error"].startswith("could not create the topics")


def test_create_refuses_zero_partitions() -> None:
    result = CliRunner().invoke(app, ["create", "--partitions", "0"])
    assert result.exit_code == 2
