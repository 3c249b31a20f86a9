from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from services.cli.infra import app
from services.common.infra import InfraError, free_port
from services.common.testing import backends
from services.common.testing.containers import docker_available


def test_with_database_replaces_only_the_path() -> None:
    assert backends.with_database("redis://h:1", 5) == "redis://h:1/5"
    assert backends.with_database("redis://:pw@h:1/0?x=1", 15) == "redis://:pw@h:1/15?x=1"


def test_a_url_naming_a_database_is_used_as_given() -> None:
    # No server is contacted when the database is explicit.
    assert backends.select_test_database("redis://127.0.0.1:1/7") == "redis://127.0.0.1:1/7"


def test_infra_mode(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(backends.MODE_ENV, raising=False)
    assert backends.infra_mode() == "auto"
    monkeypatch.setenv(backends.MODE_ENV, "Native")
    assert backends.infra_mode() == "native"
    monkeypatch.setenv(backends.MODE_ENV, "podman")
    with pytest.raises(InfraError, match="auto, docker, native"):
        backends.infra_mode()


def test_docker_is_unavailable_when_nothing_answers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCKER_HOST", f"tcp://127.0.0.1:{free_port()}")
    assert docker_available(timeout=1.0) is False


def test_status_json_when_nothing_runs(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PRESCREEN_STATE_DIR", str(tmp_path))
    result = CliRunner().invoke(app, ["status", "--json"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.strip().splitlines()
    # One JSON object on one line, and it is the last line.
    assert lines[-1].startswith("{") and lines[-1].endswith("}")
    status = json.loads(lines[-1])
    assert set(status) == {"kafka", "redis"}
    for name, entry in status.items():
        assert entry["running"] is False
        assert entry["pid"] is None
        assert entry["state_dir"] == str(tmp_path / name)


def test_down_when_nothing_runs(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PRESCREEN_STATE_DIR", str(tmp_path))
    result = CliRunner().invoke(app, ["down"])
    assert result.exit_code == 0, result.output
    assert "kafka: was not running" in result.output
    assert "redis: was not running" in result.output


def test_up_rejects_a_bad_port(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PRESCREEN_STATE_DIR", str(tmp_path))
    result = CliRunner().invoke(app, ["up", "--kafka-port", "9093"])
    assert result.exit_code == 1
    assert "must differ" in result.output


def test_the_kafka_container_matches_the_native_broker(tmp_path: Path) -> None:
    from services.common.infra import BrokerSettings, render_server_properties
    from services.common.testing.containers import _kafka_environment

    # The apache/kafka image turns KAFKA_FOO_BAR into foo.bar ("__" into "_", "___" into "-").
    container = {
        key.removeprefix("KAFKA_").lower().replace("_", "."): value
        for key, value in _kafka_environment("x").items()
        if key.startswith("KAFKA_")
    }
    native = dict(
        line.split("=", 1)
        for line in render_server_properties(BrokerSettings(), tmp_path).splitlines()
        if line and not line.startswith("#")
    )
    for key in (
        "process.roles",
        "num.partitions",
        "auto.create.topics.enable",
        "offsets.topic.replication.factor",
        "offsets.topic.num.partitions",
        "transaction.state.log.replication.factor",
        "transaction.state.log.min.isr",
        "transaction.state.log.num.partitions",
        "transaction.abort.timed.out.transaction.cleanup.interval.ms",
        "group.initial.rebalance.delay.ms",
    ):
        assert container[key] == native[key], key
    assert _kafka_environment("abc")["CLUSTER_ID"] == "abc"
