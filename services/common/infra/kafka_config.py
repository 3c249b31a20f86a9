"""Configuration of the local single-node Kafka broker (KRaft: combined broker and controller)."""

from __future__ import annotations

import base64
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from services.common.infra.ports import LOOPBACK, validate_port

DEFAULT_KAFKA_VERSION = "4.1.1"


@dataclass(frozen=True)
class BrokerSettings:
    """How to run the broker. Ports default to the usual 9092 (clients) and 9093 (controller)."""

    port: int = 9092
    controller_port: int = 9093
    host: str = LOOPBACK
    node_id: int = 1
    num_partitions: int = 6
    heap: str = "1g"
    version: str = DEFAULT_KAFKA_VERSION
    extra_properties: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        validate_port(self.port)
        validate_port(self.controller_port)
        if self.port == self.controller_port:
            raise ValueError("the client and controller ports must differ")
        if self.num_partitions < 1:
            raise ValueError("num_partitions must be at least 1")

    @property
    def bootstrap_servers(self) -> str:
        return f"{self.host}:{self.port}"


def render_server_properties(settings: BrokerSettings, data_dir: Path) -> str:
    """The broker's ``server.properties`` for ``settings``, keeping its logs in ``data_dir``."""
    host = settings.host
    props: dict[str, str] = {
        "process.roles": "broker,controller",
        "node.id": str(settings.node_id),
        "controller.quorum.voters": f"{settings.node_id}@{host}:{settings.controller_port}",
        "listeners": (
            f"PLAINTEXT://{host}:{settings.port},CONTROLLER://{host}:{settings.controller_port}"
        ),
        "advertised.listeners": f"PLAINTEXT://{host}:{settings.port}",
        "controller.listener.names": "CONTROLLER",
        "inter.broker.listener.name": "PLAINTEXT",
        "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
        "log.dirs": str(data_dir),
        "num.partitions": str(settings.num_partitions),
        "auto.create.topics.enable": "false",
        "offsets.topic.replication.factor": "1",
        "offsets.topic.num.partitions": "10",
        "transaction.state.log.replication.factor": "1",
        "transaction.state.log.min.isr": "1",
        "transaction.state.log.num.partitions": "10",
        "transaction.abort.timed.out.transaction.cleanup.interval.ms": "2000",
        "group.initial.rebalance.delay.ms": "0",
        "share.coordinator.state.topic.replication.factor": "1",
        "share.coordinator.state.topic.min.isr": "1",
    }
    props.update(settings.extra_properties)
    lines = ["# Written by services.common.infra for a local single-node broker; edits are lost."]
    lines += [f"{key}={value}" for key, value in props.items()]
    return "\n".join(lines) + "\n"


def render_log4j2_config(log_file: Path) -> str:
    """A Log4j 2 YAML configuration that writes to ``log_file``: warnings and errors, plus the
    broker's start-up and shut-down lines."""
    quoted = str(log_file).replace("\\", "\\\\").replace('"', '\\"')
    return f"""\
Configuration:
  name: prescreen-local-kafka
  status: warn
  Appenders:
    File:
      name: file
      fileName: "{quoted}"
      append: true
      PatternLayout:
        pattern: "[%d] %p %m (%c)%n"
  Loggers:
    Root:
      level: WARN
      AppenderRef:
        - ref: file
    Logger:
      - name: kafka.server.KafkaRaftServer
        level: INFO
        additivity: false
        AppenderRef:
          - ref: file
"""


def new_cluster_id() -> str:
    """A random KRaft cluster id: 16 random bytes, URL-safe base64 without padding."""
    while True:
        text = base64.urlsafe_b64encode(uuid.uuid4().bytes).rstrip(b"=").decode("ascii")
        if not text.startswith("-"):
            return text
