"""Where a benchmark runs: the servers it was given, or a private Kafka and Redis of its own."""

from __future__ import annotations

import contextlib
import selectors
import subprocess
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO

from services.common.infra.ports import free_ports


@contextlib.contextmanager
def bench_servers(
    bootstrap: str | None, redis_url: str | None, *, prefix: str
) -> Iterator[tuple[str, str, Path]]:
    """(bootstrap servers, Redis URL, scratch directory) for one benchmark run.

    With both addresses given they are used as they are; otherwise a single-node Kafka and a
    Redis are started on free loopback ports and stopped again when the block ends.
    """
    with tempfile.TemporaryDirectory(prefix=prefix) as tmp:
        workdir = Path(tmp)
        if bootstrap and redis_url:
            yield bootstrap, redis_url, workdir
            return
        from services.common.infra.kafka_config import BrokerSettings
        from services.common.infra.local import LocalInfra
        from services.common.infra.redis_server import RedisServerSettings

        kafka_port, controller_port, redis_port = free_ports(3)
        infra = LocalInfra(
            BrokerSettings(port=kafka_port, controller_port=controller_port),
            RedisServerSettings(port=redis_port),
            state_dir=workdir / "infra",
        )
        started_bootstrap, started_redis = infra.start()
        try:
            yield started_bootstrap, started_redis, workdir
        finally:
            infra.stop()


def read_line(stream: IO[bytes], timeout_s: float) -> bytes:
    """One line from a child process's pipe, or b"" if none arrives within ``timeout_s``."""
    selector = selectors.DefaultSelector()
    selector.register(stream, selectors.EVENT_READ)
    if not selector.select(timeout_s):
        return b""
    return stream.readline()


def stop_processes(processes: Sequence[subprocess.Popen[bytes]], timeout_s: float = 30) -> None:
    """SIGTERM every process, then wait for each; kill one that outlives ``timeout_s``."""
    for process in processes:
        process.terminate()
    for process in processes:
        try:
            process.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
