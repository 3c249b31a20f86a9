"""Where integration tests get their Kafka and Redis from.

For each of the two, independently, the first that applies wins:

1. an environment variable (``KAFKA_BOOTSTRAP_SERVERS``, ``REDIS_URL``) naming a running one;
2. a container, if a Docker engine answers;
3. the native local install (``services.common.infra``) on free loopback ports.

``PRESCREEN_TEST_INFRA`` narrows step 2 and 3: ``docker`` (containers or fail), ``native``
(never try Docker) or ``auto`` (the default).
"""

from __future__ import annotations

import functools
import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import redis

from services.common.infra import (
    BrokerSettings,
    InfraError,
    KafkaBroker,
    PortInUseError,
    RedisServer,
    RedisServerSettings,
    free_ports,
    wait_for_kafka,
    wait_for_redis,
)
from services.common.testing.containers import KafkaInDocker, RedisInDocker, docker_available

log = logging.getLogger(__name__)

KAFKA_ENV = "KAFKA_BOOTSTRAP_SERVERS"
REDIS_ENV = "REDIS_URL"
MODE_ENV = "PRESCREEN_TEST_INFRA"
MODES = ("auto", "docker", "native")

_PORT_ATTEMPTS = 3


def _nothing() -> None:
    return None


@dataclass
class ProvidedService:
    """A Kafka or Redis the tests can use, where it came from and how to let go of it."""

    kind: str
    address: str
    source: str
    startup_seconds: float
    stop: Callable[[], object] = field(default=_nothing, repr=False)


def infra_mode() -> str:
    """``$PRESCREEN_TEST_INFRA`` (auto, docker or native), validated."""
    mode = os.environ.get(MODE_ENV, "auto").strip().lower() or "auto"
    if mode not in MODES:
        raise InfraError(f"{MODE_ENV}={mode!r}: expected one of {', '.join(MODES)}")
    return mode


@functools.cache
def _docker_answers() -> bool:
    return docker_available()


def _use_docker() -> bool:
    mode = infra_mode()
    if mode == "native":
        return False
    if _docker_answers():
        return True
    if mode == "docker":
        raise InfraError(f"{MODE_ENV}=docker but no Docker engine answers")
    return False


def provide_kafka(state_dir: Path) -> ProvidedService:
    """A Kafka broker for the test session (see the module docstring for the order)."""
    started = time.monotonic()
    configured = os.environ.get(KAFKA_ENV, "").strip()
    if configured:
        try:
            wait_for_kafka(configured, timeout=30.0)
        except InfraError as exc:
            raise InfraError(f"{KAFKA_ENV}={configured} is set but unusable: {exc}") from exc
        return ProvidedService("kafka", configured, "env", time.monotonic() - started)
    if _use_docker():
        try:
            container = KafkaInDocker()
            bootstrap = container.start()
        except Exception as exc:
            if infra_mode() == "docker":
                raise InfraError(f"Kafka in Docker failed: {exc}") from exc
            log.warning("Kafka in Docker failed (%s); starting a native broker instead", exc)
        else:
            elapsed = time.monotonic() - started
            return ProvidedService("kafka", bootstrap, "docker", elapsed, container.stop)
    broker = _start_native_kafka(state_dir)
    return ProvidedService(
        "kafka", broker.bootstrap_servers, "native", time.monotonic() - started, broker.stop
    )


def _start_native_kafka(state_dir: Path) -> KafkaBroker:
    for attempt in range(1, _PORT_ATTEMPTS + 1):
        port, controller_port = free_ports(2)
        broker = KafkaBroker(
            BrokerSettings(port=port, controller_port=controller_port), state_dir=state_dir
        )
        try:
            broker.start(timeout=120.0)
            return broker
        except PortInUseError:
            if attempt == _PORT_ATTEMPTS:
                raise
    raise AssertionError("unreachable")


def provide_redis(state_dir: Path) -> ProvidedService:
    """A Redis server for the test session (see the module docstring for the order)."""
    started = time.monotonic()
    configured = os.environ.get(REDIS_ENV, "").strip()
    if configured:
        try:
            wait_for_redis(configured, timeout=10.0)
        except InfraError as exc:
            raise InfraError(f"{REDIS_ENV}={configured} is set but unusable: {exc}") from exc
        url = select_test_database(configured)
        return ProvidedService("redis", url, "env", time.monotonic() - started)
    if _use_docker():
        try:
            redis_container = RedisInDocker()
            url = redis_container.start()
        except Exception as exc:
            if infra_mode() == "docker":
                raise InfraError(f"Redis in Docker failed: {exc}") from exc
            log.warning("Redis in Docker failed (%s); starting a native server instead", exc)
        else:
            elapsed = time.monotonic() - started
            return ProvidedService("redis", url, "docker", elapsed, redis_container.stop)
    server = _start_native_redis(state_dir)
    return ProvidedService("redis", server.url, "native", time.monotonic() - started, server.stop)


def _start_native_redis(state_dir: Path) -> RedisServer:
    for attempt in range(1, _PORT_ATTEMPTS + 1):
        server = RedisServer(RedisServerSettings(port=free_ports(1)[0]), state_dir=state_dir)
        try:
            server.start()
            return server
        except PortInUseError:
            if attempt == _PORT_ATTEMPTS:
                raise
    raise AssertionError("unreachable")


def with_database(url: str, db: int) -> str:
    """``url`` pointing at database ``db``."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{db}"))


def select_test_database(url: str) -> str:
    """The Redis URL the tests will use (and flush) on a server they do not own.

    A database named in ``url`` is used as given. Otherwise the highest-numbered empty
    database other than 0 is chosen, so that the tests never flush data they did not write.
    """
    parts = urlsplit(url)
    if parts.scheme not in ("redis", "rediss") or parts.path.strip("/"):
        return url
    client = redis.Redis.from_url(url, socket_timeout=5.0)
    try:
        databases = 16
        try:
            reply = client.config_get("databases")
            databases = int(str(reply.get("databases", databases)))
        except (redis.RedisError, ValueError):
            pass
        for db in range(databases - 1, 0, -1):
            candidate = with_database(url, db)
            probe = redis.Redis.from_url(candidate, socket_timeout=5.0)
            try:
                if probe.dbsize() == 0:
                    return candidate
            finally:
                probe.close()
    finally:
        client.close()
    raise InfraError(
        f"{REDIS_ENV}={url} names no database and every database but 0 holds data; put one "
        "the tests may flush into the URL, e.g. redis://127.0.0.1:6379/15"
    )
