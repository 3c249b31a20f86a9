from __future__ import annotations

import base64
from pathlib import Path

import pytest
import yaml

from services.common.infra import (
    BrokerSettings,
    new_cluster_id,
    render_log4j2_config,
    render_server_properties,
)


def parse_properties(text: str) -> dict[str, str]:
    result: dict[str, str] = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.partition("=")
        assert sep == "=", line
        assert key not in result, f"duplicate key {key}"
        result[key] = value
    return result


def test_server_properties_use_the_given_ports_on_loopback(tmp_path: Path) -> None:
    settings = BrokerSettings(port=19092, controller_port=19093)
    props = parse_properties(render_server_properties(settings, tmp_path / "data"))

    assert props["process.roles"] == "broker,controller"
    assert props["node.id"] == "1"
    assert props["controller.quorum.voters"] == "1@127.0.0.1:19093"
    assert props["listeners"] == "PLAINTEXT://127.0.0.1:19092,CONTROLLER://127.0.0.1:19093"
    assert props["advertised.listeners"] == "PLAINTEXT://127.0.0.1:19092"
    assert props["controller.listener.names"] == "CONTROLLER"
    assert props["log.dirs"] == str(tmp_path / "data")


def test_server_properties_suit_a_single_transactional_node(tmp_path: Path) -> None:
    props = parse_properties(render_server_properties(BrokerSettings(), tmp_path))

    assert props["offsets.topic.replication.factor"] == "1"
    assert props["transaction.state.log.replication.factor"] == "1"
    assert props["transaction.state.log.min.isr"] == "1"
    assert props["auto.create.topics.enable"] == "false"
    assert props["num.partitions"] == "6"
    assert props["group.initial.rebalance.delay.ms"] == "0"
    assert int(props["transaction.abort.timed.out.transaction.cleanup.interval.ms"]) <= 5000


def test_extra_properties_override_defaults(tmp_path: Path) -> None:
    settings = BrokerSettings(
        num_partitions=2, extra_properties={"num.partitions": "9", "log.retention.ms": "1000"}
    )
    props = parse_properties(render_server_properties(settings, tmp_path))

    assert props["num.partitions"] == "9"
    assert props["log.retention.ms"] == "1000"


def test_default_settings_are_the_usual_ports() -> None:
    settings = BrokerSettings()
    assert (settings.port, settings.controller_port) == (9092, 9093)
    assert settings.bootstrap_servers == "127.0.0.1:9092"


@pytest.mark.parametrize(
    ("port", "controller_port"),
    [(9092, 9092), (0, 9093), (9092, 70000)],
)
def test_invalid_ports_are_rejected(port: int, controller_port: int) -> None:
    with pytest.raises(ValueError):
        BrokerSettings(port=port, controller_port=controller_port)


def test_log4j2_config_is_yaml_writing_to_the_log_file(tmp_path: Path) -> None:
    log_file = tmp_path / 'odd "dir"' / "kafka.log"
    config = yaml.safe_load(render_log4j2_config(log_file))["Configuration"]

    assert config["Appenders"]["File"]["fileName"] == str(log_file)
    assert config["Loggers"]["Root"]["level"] == "WARN"
    started_logger = config["Loggers"]["Logger"][0]
    assert started_logger["name"] == "kafka.server.KafkaRaftServer"
    assert started_logger["level"] == "INFO"


def test_cluster_ids_are_random_16_byte_base64url() -> None:
    ids = {new_cluster_id() for _ in range(200)}
    assert len(ids) == 200
    for cluster_id in ids:
        assert len(cluster_id) == 22
        assert not cluster_id.startswith("-")
        assert len(base64.urlsafe_b64decode(cluster_id + "==")) == 16
