"""Kafka and Redis in Docker containers (through testcontainers) for tests.

Only used when a Docker engine answers. The Kafka container runs the official ``apache/kafka``
image in KRaft mode: testcontainers' own ``KafkaContainer`` drives Confluent's image scripts, so
this module configures the Apache image itself, telling the broker its host-side address once
the container (and so its mapped port) exists.
"""

from __future__ import annotations

import logging
from typing import Any

from services.common.infra import InfraError, new_cluster_id, wait_for_kafka, wait_for_redis

log = logging.getLogger(__name__)

KAFKA_IMAGE = "apache/kafka:4.1.1"
REDIS_IMAGE = "redis:7-alpine"

_CLIENT_PORT = 9092
_STARTER = "/tmp/prescreen-kafka-start.sh"  # noqa: S108 - a path inside the container


def docker_available(timeout: float = 2.0) -> bool:
    """Whether a Docker engine answers a ping within ``timeout`` seconds (any error: no)."""
    try:
        import docker

        client = docker.from_env(timeout=max(1, round(timeout)))
        try:
            return bool(client.ping())
        finally:
            client.close()
    except Exception as exc:  # noqa: BLE001 - every failure means "no usable engine"
        log.debug("no Docker engine: %s", exc)
        return False


def _kafka_environment(cluster_id: str) -> dict[str, str]:
    return {
        "CLUSTER_ID": cluster_id,
        "KAFKA_NODE_ID": "1",
        "KAFKA_PROCESS_ROLES": "broker,controller",
        "KAFKA_LISTENERS": (
            f"PLAINTEXT://0.0.0.0:{_CLIENT_PORT},BROKER://0.0.0.0:9093,CONTROLLER://0.0.0.0:9094"
        ),
        "KAFKA_LISTENER_SECURITY_PROTOCOL_MAP": (
            "PLAINTEXT:PLAINTEXT,BROKER:PLAINTEXT,CONTROLLER:PLAINTEXT"
        ),
        "KAFKA_INTER_BROKER_LISTENER_NAME": "BROKER",
        "KAFKA_CONTROLLER_LISTENER_NAMES": "CONTROLLER",
        "KAFKA_CONTROLLER_QUORUM_VOTERS": "1@localhost:9094",
        "KAFKA_NUM_PARTITIONS": "6",
        "KAFKA_AUTO_CREATE_TOPICS_ENABLE": "false",
        "KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR": "1",
        "KAFKA_OFFSETS_TOPIC_NUM_PARTITIONS": "10",
        "KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR": "1",
        "KAFKA_TRANSACTION_STATE_LOG_MIN_ISR": "1",
        "KAFKA_TRANSACTION_STATE_LOG_NUM_PARTITIONS": "10",
        "KAFKA_TRANSACTION_ABORT_TIMED_OUT_TRANSACTION_CLEANUP_INTERVAL_MS": "2000",
        "KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS": "0",
    }


class KafkaInDocker:
    """A single-node ``apache/kafka`` broker in a container; ``start`` returns its bootstrap."""

    def __init__(self, image: str = KAFKA_IMAGE) -> None:
        from testcontainers.core.container import DockerContainer

        self.image = image
        container = DockerContainer(image)
        container.with_exposed_ports(_CLIENT_PORT)
        for key, value in _kafka_environment(new_cluster_id()).items():
            container.with_env(key, value)
        # Hold the image's own start script back until the advertised address is known.
        container.with_command(
            ["sh", "-c", f"while [ ! -f {_STARTER} ]; do sleep 0.1; done; exec sh {_STARTER}"]
        )
        self._container: Any = container

    def start(self, timeout: float = 120.0) -> str:
        container = self._container
        container.start()
        try:
            host = container.get_container_host_ip()
            port = container.get_exposed_port(_CLIENT_PORT)
            bootstrap = f"{host}:{port}"
            script = (
                "export KAFKA_ADVERTISED_LISTENERS="
                f"PLAINTEXT://{bootstrap},BROKER://localhost:9093\n"
                "exec /etc/kafka/docker/run\n"
            )
            container.copy_into_container(script.encode("utf-8"), _STARTER, mode=0o755)
            wait_for_kafka(bootstrap, timeout)
        except BaseException as exc:
            logs = self.logs()
            self.stop()
            if isinstance(exc, InfraError):
                raise InfraError(f"{exc}\n--- container log (tail) ---\n{logs}") from exc
            raise
        return bootstrap

    def logs(self) -> str:
        try:
            out, err = self._container.get_logs()
        except Exception as exc:  # noqa: BLE001 - diagnostics only
            return f"(no container log: {exc})"
        text = (out + err).decode("utf-8", errors="replace")
        return "\n".join(text.splitlines()[-40:])

    def stop(self) -> None:
        try:
            self._container.stop()
        except Exception as exc:  # noqa: BLE001 - the reaper removes it at exit anyway
            log.warning("could not remove the Kafka container: %s", exc)


class RedisInDocker:
    """A Redis server in a container; ``start`` returns its URL."""

    def __init__(self, image: str = REDIS_IMAGE) -> None:
        from testcontainers.community.redis import RedisContainer

        self.image = image
        self._container: Any = RedisContainer(image)

    def start(self, timeout: float = 60.0) -> str:
        container = self._container
        container.start()
        try:
            host = container.get_container_host_ip()
            port = container.get_exposed_port(6379)
            url = f"redis://{host}:{port}/0"
            wait_for_redis(url, timeout)
        except BaseException:
            self.stop()
            raise
        return url

    def stop(self) -> None:
        try:
            self._container.stop()
        except Exception as exc:  # noqa: BLE001 - the reaper removes it at exit anyway
            log.warning("could not remove the Redis container: %s", exc)
