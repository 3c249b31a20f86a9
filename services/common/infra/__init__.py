"""Local infrastructure for development and tests: a native Kafka broker and Redis server.

Everything here runs processes on the loopback interface only, keeps its files under a state
directory (``<repo>/.local/infra`` unless ``PRESCREEN_STATE_DIR`` says otherwise) and only ever
signals processes whose pid it recorded itself.
"""

from __future__ import annotations

from services.common.infra.errors import InfraError, PortInUseError
from services.common.infra.java import JavaRuntime, find_java, parse_java_major_version
from services.common.infra.kafka_broker import KafkaBroker, wait_for_kafka
from services.common.infra.kafka_config import (
    DEFAULT_KAFKA_VERSION,
    BrokerSettings,
    new_cluster_id,
    render_log4j2_config,
    render_server_properties,
)
from services.common.infra.kafka_install import install_kafka, kafka_libs_dir
from services.common.infra.local import LocalInfra
from services.common.infra.paths import cache_dir, repo_root, state_root
from services.common.infra.ports import free_port, free_ports, port_in_use
from services.common.infra.process import ProcessStatus
from services.common.infra.redis_server import RedisServer, RedisServerSettings, wait_for_redis

__all__ = [
    "DEFAULT_KAFKA_VERSION",
    "BrokerSettings",
    "InfraError",
    "JavaRuntime",
    "KafkaBroker",
    "LocalInfra",
    "PortInUseError",
    "ProcessStatus",
    "RedisServer",
    "RedisServerSettings",
    "cache_dir",
    "find_java",
    "free_port",
    "free_ports",
    "install_kafka",
    "kafka_libs_dir",
    "new_cluster_id",
    "parse_java_major_version",
    "port_in_use",
    "render_log4j2_config",
    "render_server_properties",
    "repo_root",
    "state_root",
    "wait_for_kafka",
    "wait_for_redis",
]
