"""Running the local Kafka broker as a detached ``java`` process.

The broker's configuration, data, logs and pid file all live in one state directory
(``<state root>/kafka`` by default). The storage is formatted once, with the cluster id kept in
``cluster.id`` beside it, so a broker that is stopped and started again keeps its topics.
"""

from __future__ import annotations

import logging
import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from confluent_kafka import KafkaException
from confluent_kafka.admin import AdminClient

from services.common.infra import process
from services.common.infra.errors import InfraError, PortInUseError
from services.common.infra.java import find_java
from services.common.infra.kafka_config import (
    BrokerSettings,
    new_cluster_id,
    render_log4j2_config,
    render_server_properties,
)
from services.common.infra.kafka_install import broker_jar_name, install_kafka, kafka_libs_dir
from services.common.infra.ports import port_in_use
from services.common.infra.server import LocalServer

log = logging.getLogger(__name__)

_STARTED_LINE = "Kafka Server started"


class _QuietClientLog:
    """Receives librdkafka's log lines; while waiting for a broker, refusals are expected."""

    def log(self, level: int, fmt: str, *args: Any) -> None:
        log.debug("librdkafka[%s]: " + fmt, level, *args)


def _tcp_open(bootstrap: str) -> bool:
    host, _, port = bootstrap.partition(",")[0].rpartition(":")
    try:
        with socket.create_connection((host.strip("[]"), int(port)), timeout=0.5):
            return True
    except (OSError, ValueError):
        return False


def wait_for_kafka(
    bootstrap: str,
    timeout: float = 60.0,
    *,
    still_starting: Callable[[], bool] | None = None,
) -> None:
    """Return once a broker at ``bootstrap`` answers a metadata request; else ``InfraError``.

    ``still_starting`` (if given) is asked between attempts; once it says False (the process
    died) waiting stops early.
    """
    deadline = time.monotonic() + timeout
    last_error = "no answer"
    while True:
        if still_starting is not None and not still_starting():
            raise InfraError(f"the Kafka broker at {bootstrap} exited while starting")
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise InfraError(
                f"no Kafka broker answered at {bootstrap} within {timeout:.0f}s: {last_error}"
            )
        if _tcp_open(bootstrap):
            client = AdminClient({"bootstrap.servers": bootstrap}, logger=_QuietClientLog())
            try:
                metadata = client.list_topics(timeout=max(0.5, min(5.0, remaining)))
                if metadata.brokers:
                    return
                last_error = "metadata has no brokers yet"
            except KafkaException as exc:
                last_error = str(exc)
        else:
            last_error = "connection refused"
        time.sleep(0.2)


class KafkaBroker(LocalServer):
    """One local broker: install, start, stop and report on it.

    ``state_dir`` defaults to ``<state root>/kafka``; ``libs_dir`` to the cached jars of
    ``settings.version`` (fetched on ``start`` if missing).
    """

    name = "kafka"
    kind = "broker"
    startup_grace = 10.0

    def __init__(
        self,
        settings: BrokerSettings | None = None,
        *,
        state_dir: Path | None = None,
        libs_dir: Path | None = None,
    ) -> None:
        self.settings = settings or BrokerSettings()
        super().__init__(state_dir)
        self._libs_dir = libs_dir

    # -- files -----------------------------------------------------------------------------

    @property
    def properties_file(self) -> Path:
        return self.state_dir / "server.properties"

    @property
    def log4j_file(self) -> Path:
        return self.state_dir / "log4j2.yaml"

    @property
    def data_dir(self) -> Path:
        return self.state_dir / "data"

    @property
    def log_file(self) -> Path:
        """The broker's own log (Log4j)."""
        return self.state_dir / "logs" / "kafka.log"

    @property
    def console_file(self) -> Path:
        """What the JVM writes to stdout and stderr (start-up failures end up here)."""
        return self.state_dir / "logs" / "console.log"

    @property
    def pid_file(self) -> Path:
        return self.state_dir / "kafka.pid"

    @property
    def cluster_id_file(self) -> Path:
        return self.state_dir / "cluster.id"

    @property
    def libs_dir(self) -> Path:
        return self._libs_dir or kafka_libs_dir(self.settings.version)

    @property
    def bootstrap_servers(self) -> str:
        return self.settings.bootstrap_servers

    @property
    def address(self) -> str:
        return self.bootstrap_servers

    def _wait(self, timeout: float, still_starting: Callable[[], bool] | None = None) -> None:
        wait_for_kafka(self.bootstrap_servers, timeout, still_starting=still_starting)

    def _reachable(self, address: str) -> bool:
        return _tcp_open(address)

    # -- lifecycle -------------------------------------------------------------------------

    def write_config(self) -> None:
        """Write ``server.properties`` and the Log4j configuration into the state directory."""
        self.state_dir.mkdir(parents=True, exist_ok=True)
        self.log_file.parent.mkdir(parents=True, exist_ok=True)
        self.properties_file.write_text(
            render_server_properties(self.settings, self.data_dir), encoding="utf-8"
        )
        self.log4j_file.write_text(render_log4j2_config(self.log_file), encoding="utf-8")

    def _java_argv(self, java: str, main_class: str, *args: str) -> list[str]:
        return [
            java,
            f"-Xmx{self.settings.heap}",
            "-Djava.awt.headless=true",
            f"-Dlog4j2.configurationFile={self.log4j_file}",
            "-cp",
            str(self.libs_dir / "*"),
            main_class,
            *args,
        ]

    def format_storage(self, java: str) -> None:
        """Format the data directory once; later calls find it formatted and do nothing."""
        if (self.data_dir / "meta.properties").is_file():
            return
        if self.cluster_id_file.is_file():
            cluster_id = self.cluster_id_file.read_text(encoding="utf-8").strip()
        else:
            cluster_id = new_cluster_id()
            self.cluster_id_file.write_text(cluster_id + "\n", encoding="utf-8")
        argv = self._java_argv(
            java,
            "kafka.tools.StorageTool",
            "format",
            "-t",
            cluster_id,
            "-c",
            str(self.properties_file),
        )
        result = subprocess.run(  # noqa: S603 - argv built here, no shell
            argv, capture_output=True, text=True, check=False, timeout=120
        )
        if result.returncode != 0:
            output = process.abbreviate(result.stdout + result.stderr)
            raise InfraError(f"formatting the Kafka storage in {self.data_dir} failed:\n{output}")

    def start(self, timeout: float = 90.0) -> str:
        """Start the broker (installing the jars first if needed) and wait until it answers.

        Returns the bootstrap servers. If this state directory's broker is already running on
        the same port, it is reused.
        """
        return super().start(timeout)

    def _start_new(self, timeout: float) -> None:
        for port in (self.settings.port, self.settings.controller_port):
            if port_in_use(port, self.settings.host):
                raise PortInUseError(
                    f"port {port} on {self.settings.host} is already in use by another process; "
                    "choose other ports (e.g. prescreen infra up --kafka-port ...)"
                )
        java = find_java().executable
        if self._libs_dir is None:
            install_kafka(self.settings.version)
        elif not (self.libs_dir / broker_jar_name(self.settings.version)).is_file():
            raise InfraError(f"no Kafka {self.settings.version} broker jar in {self.libs_dir}")
        self.write_config()
        self.format_storage(java)
        argv = self._java_argv(java, "kafka.Kafka", str(self.properties_file))
        log.info("starting Kafka %s at %s", self.settings.version, self.bootstrap_servers)
        self._launch(argv, self.console_file, timeout)

    def describe_logs(self) -> str:
        """The tails of the broker's logs, for error messages."""
        return (
            f"--- {self.log_file} (tail) ---\n{process.log_tail(self.log_file)}\n"
            f"--- {self.console_file} (tail) ---\n{process.log_tail(self.console_file)}"
        )

    def stop(self, grace: float = 30.0) -> bool:
        """Stop the broker this state directory recorded; True if one was running."""
        return super().stop(grace)

    def started_line_logged(self) -> bool:
        """Whether the broker's log has its "started" line (useful in diagnostics)."""
        try:
            return _STARTED_LINE in self.log_file.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return False
