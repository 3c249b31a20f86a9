"""Running a local ``redis-server`` as a detached process on the loopback interface.

Persistence is off (no RDB snapshots, no AOF): this server is for development and tests.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import redis

from services.common.infra import process
from services.common.infra.errors import InfraError, PortInUseError
from services.common.infra.locking import file_lock
from services.common.infra.paths import state_root
from services.common.infra.ports import LOOPBACK, port_in_use, validate_port

log = logging.getLogger(__name__)

INSTALL_HINT = (
    "`redis-server` was not found on PATH. On Debian/Ubuntu: apt-get install redis-server; "
    "elsewhere install Redis 7, or point REDIS_URL at a running Redis."
)


@dataclass(frozen=True)
class RedisServerSettings:
    """How to run the server."""

    port: int = 6379
    host: str = LOOPBACK

    def __post_init__(self) -> None:
        validate_port(self.port)

    @property
    def url(self) -> str:
        return f"redis://{self.host}:{self.port}/0"


def find_redis_server() -> str:
    """The ``redis-server`` executable on PATH, or ``InfraError`` saying how to get one."""
    executable = shutil.which("redis-server")
    if executable is None:
        raise InfraError(INSTALL_HINT)
    return executable


def redis_argv(executable: str, settings: RedisServerSettings, state_dir: Path) -> list[str]:
    """The command line for a non-persistent, loopback-only server kept in the foreground."""
    return [
        executable,
        "--port",
        str(settings.port),
        "--bind",
        settings.host,
        "--save",
        "",
        "--appendonly",
        "no",
        "--daemonize",
        "no",
        "--dir",
        str(state_dir),
    ]


def wait_for_redis(
    url: str,
    timeout: float = 30.0,
    *,
    still_starting: Callable[[], bool] | None = None,
) -> None:
    """Return once the server at ``url`` answers PING; else ``InfraError``."""
    deadline = time.monotonic() + timeout
    last_error = "no answer"
    while True:
        if still_starting is not None and not still_starting():
            raise InfraError(f"the Redis server for {url} exited while starting")
        if time.monotonic() >= deadline:
            raise InfraError(f"no Redis answered at {url} within {timeout:.0f}s: {last_error}")
        client = redis.Redis.from_url(url, socket_timeout=1.0, socket_connect_timeout=1.0)
        try:
            if client.ping():
                return
        except redis.RedisError as exc:
            last_error = str(exc)
        finally:
            client.close()
        time.sleep(0.1)


class RedisServer:
    """One local Redis server, with its pid file and log in ``state_dir``."""

    name = "redis"

    def __init__(
        self, settings: RedisServerSettings | None = None, *, state_dir: Path | None = None
    ):
        self.settings = settings or RedisServerSettings()
        self.state_dir = (state_dir or state_root() / self.name).resolve()
        self._child: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return self.settings.url

    @property
    def pid_file(self) -> Path:
        return self.state_dir / "redis.pid"

    @property
    def log_file(self) -> Path:
        return self.state_dir / "redis.log"

    def record(self) -> process.ProcessRecord | None:
        """The pid-file record if it still describes a running server."""
        record = process.ProcessRecord.load(self.pid_file)
        if record is not None and process.is_alive(record):
            return record
        return None

    def start(self, timeout: float = 30.0) -> str:
        """Start the server (or reuse this state directory's running one); return its URL."""
        self.state_dir.mkdir(parents=True, exist_ok=True)
        with file_lock(self.state_dir / ".lifecycle.lock"):
            running = self.record()
            if running is not None:
                if running.address != self.url:
                    raise InfraError(
                        f"a Redis from {self.state_dir} already runs at {running.address} "
                        f"(pid {running.pid}); stop it first (prescreen infra down)"
                    )
                wait_for_redis(self.url, timeout)
                return self.url
            self._start_new(timeout)
        return self.url

    def _start_new(self, timeout: float) -> None:
        if port_in_use(self.settings.port, self.settings.host):
            raise PortInUseError(
                f"port {self.settings.port} on {self.settings.host} is already in use by another "
                "process; choose another port (e.g. prescreen infra up --redis-port ...)"
            )
        argv = redis_argv(find_redis_server(), self.settings, self.state_dir)
        log.info("starting Redis at %s", self.url)
        child = process.spawn(argv, cwd=self.state_dir, log_path=self.log_file)
        self._child = child
        record = process.record_child(self.name, child, self.url)
        record.save(self.pid_file)
        try:
            wait_for_redis(self.url, timeout, still_starting=lambda: child.poll() is None)
        except BaseException as exc:  # not ready, or interrupted: leave nothing running
            process.stop_recorded(record, grace=5.0)
            self.pid_file.unlink(missing_ok=True)
            if isinstance(exc, InfraError):
                tail = process.log_tail(self.log_file)
                raise InfraError(f"{exc}\n--- {self.log_file} (tail) ---\n{tail}") from exc
            raise

    def stop(self, grace: float = 10.0) -> bool:
        """Stop the server this state directory recorded; True if one was running."""
        self.state_dir.mkdir(parents=True, exist_ok=True)
        with file_lock(self.state_dir / ".lifecycle.lock"):
            record = process.ProcessRecord.load(self.pid_file)
            stopped = False
            if record is not None:
                stopped = process.stop_recorded(record, grace)
                self.pid_file.unlink(missing_ok=True)
            if self._child is not None:
                self._child.poll()
                self._child = None
            return stopped

    def status(self) -> process.ProcessStatus:
        record = self.record()
        reachable = False
        if record is not None:
            try:
                wait_for_redis(record.address, timeout=1.0)
                reachable = True
            except InfraError:
                reachable = False
        return process.ProcessStatus(
            name=self.name,
            running=record is not None,
            reachable=reachable,
            pid=record.pid if record else None,
            address=record.address if record else None,
            state_dir=str(self.state_dir),
            log_file=str(self.log_file),
        )
