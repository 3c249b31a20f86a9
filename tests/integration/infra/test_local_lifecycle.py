"""The native local install itself: start, restart, status, stop, and never a foreign kill."""

from __future__ import annotations

import os
import socket
import time
from pathlib import Path

import pytest
import redis
from confluent_kafka.admin import AdminClient

from services.common.infra import (
    BrokerSettings,
    InfraError,
    LocalInfra,
    PortInUseError,
    RedisServer,
    RedisServerSettings,
    find_java,
    free_ports,
)
from services.common.infra.process import ProcessRecord, process_start_token
from services.common.testing import create_topics

pytestmark = pytest.mark.integration


def _infra(state_dir: Path) -> LocalInfra:
    kafka_port, controller_port, redis_port = free_ports(3)
    return LocalInfra(
        BrokerSettings(port=kafka_port, controller_port=controller_port, heap="512m"),
        RedisServerSettings(port=redis_port),
        state_dir=state_dir,
    )


def test_start_restart_and_stop(tmp_path: Path) -> None:
    infra = _infra(tmp_path)
    started = time.monotonic()
    with infra:
        first_start = time.monotonic() - started
        bootstrap, url = infra.bootstrap_servers, infra.redis_url
        statuses = {s.name: s for s in infra.status()}
        assert all(s.running and s.reachable for s in statuses.values()), statuses
        kafka_pid = statuses["kafka"].pid
        assert kafka_pid is not None
        assert infra.kafka.started_line_logged()
        create_topics(bootstrap, ["kept"], partitions=2)
        cluster_id = infra.kafka.cluster_id_file.read_text()

        # Starting again while running reuses the same processes.
        assert infra.start() == (bootstrap, url)
        assert infra.kafka.status().pid == kafka_pid

    assert first_start < 90
    assert not any(s.running for s in infra.status())
    assert not infra.kafka.pid_file.exists()
    with socket.socket() as sock:  # the client port is free again
        sock.bind(("127.0.0.1", infra.kafka.settings.port))

    # A second start finds the storage formatted: same cluster, topics kept.
    with infra:
        assert infra.kafka.cluster_id_file.read_text() == cluster_id
        topics = AdminClient({"bootstrap.servers": bootstrap}).list_topics(timeout=10).topics
        assert len(topics["kept"].partitions) == 2
        assert redis.Redis.from_url(url).ping()


def test_a_stale_pid_file_is_never_used_to_kill(tmp_path: Path) -> None:
    server = RedisServer(RedisServerSettings(port=free_ports(1)[0]), state_dir=tmp_path)
    tmp_path.mkdir(exist_ok=True)
    # A pid file naming this very test process, with another start time: as after a reboot.
    ProcessRecord("redis", os.getpid(), "linux:1", server.url).save(server.pid_file)
    assert server.status().running is False
    assert server.stop() is False  # and we are still here
    assert process_start_token(os.getpid()) is not None

    server.start()
    try:
        assert server.status().reachable
    finally:
        assert server.stop() is True


def test_a_taken_port_is_reported(tmp_path: Path) -> None:
    with socket.socket() as blocker:
        blocker.bind(("127.0.0.1", 0))
        blocker.listen()
        port = blocker.getsockname()[1]
        server = RedisServer(RedisServerSettings(port=port), state_dir=tmp_path)
        with pytest.raises(PortInUseError, match=f"port {port}"):
            server.start()
        assert not server.pid_file.exists()


def test_a_bad_configuration_is_reported_by_format(tmp_path: Path) -> None:
    infra = _infra(tmp_path)
    infra.kafka.settings = BrokerSettings(
        port=infra.kafka.settings.port,
        controller_port=infra.kafka.settings.controller_port,
        extra_properties={"node.id": "not-a-number"},
    )
    with pytest.raises(
        InfraError, match=r"(?s)formatting the Kafka storage.*Invalid value not-a-number"
    ):
        infra.kafka.start(timeout=60)
    assert infra.kafka.status().running is False


def test_a_broker_that_dies_while_starting_fails_with_its_log(tmp_path: Path) -> None:
    infra = _infra(tmp_path)
    broker = infra.kafka
    broker.write_config()
    broker.format_storage(find_java().executable)
    meta = broker.data_dir / "meta.properties"
    meta.write_text(meta.read_text().replace("node.id=1", "node.id=7"))

    started = time.monotonic()
    with pytest.raises(InfraError) as caught:
        broker.start(timeout=60)
    message = str(caught.value)
    assert "exited while starting" in message
    assert "node" in message.split("(tail) ---", 1)[1]  # the broker's own explanation
    assert time.monotonic() - started < 50  # it did not wait for the timeout
    assert broker.status().running is False
    assert not broker.pid_file.exists()
