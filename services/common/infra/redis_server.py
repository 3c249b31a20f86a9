"""Running a local ``redis-server`` as a detached process on the loopback interface.

Persistence is off (no RDB snapshots, no AOF): this server is for development and tests.
"""

from __future__ import annotations

import logging
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import redis

from services.common.infra.errors import InfraError, PortInUseError
from services.common.infra.ports import LOOPBACK, port_in_use, validate_port
from services.common.infra.server import LocalServer

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
    persistent: bool = False
    """Keep an append-only file (fsync every second), so a restart keeps the idempotency
    claims, once-only results and statuses, as a production Redis would."""

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
    """The command line for a loopback-only server kept in the foreground, persistent only
    when the settings ask for it."""
    durability = (
        ["--appendonly", "yes", "--appendfsync", "everysec"]
        if settings.persistent
        else [
            "--appendonly",
            "no",
        ]
    )
    return [
        executable,
        "--port",
        str(settings.port),
        "--bind",
        settings.host,
        "--save",
        "",
        *durability,
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


class RedisServer(LocalServer):
    """One local Redis server, with its pid file and log in ``state_dir``."""

    name = "redis"
    kind = "Redis"
    startup_grace = 5.0

    def __init__(
        self, settings: RedisServerSettings | None = None, *, state_dir: Path | None = None
    ):
        self.settings = settings or RedisServerSettings()
        super().__init__(state_dir)

    @property
    def url(self) -> str:
        return self.settings.url

    @property
    def address(self) -> str:
        return self.url

    @property
    def pid_file(self) -> Path:
        return self.state_dir / "redis.pid"

    @property
    def log_file(self) -> Path:
        return self.state_dir / "redis.log"

    def start(self, timeout: float = 30.0) -> str:
        """Start the server (or reuse this state directory's running one); return its URL."""
        return super().start(timeout)

    def _start_new(self, timeout: float) -> None:
        if port_in_use(self.settings.port, self.settings.host):
            raise PortInUseError(
                f"port {self.settings.port} on {self.settings.host} is already in use by another "
                "process; choose another port (e.g. prescreen infra up --redis-port ...)"
            )
        argv = redis_argv(find_redis_server(), self.settings, self.state_dir)
        log.info("starting Redis at %s", self.url)
        self._launch(argv, self.log_file, timeout)

    def stop(self, grace: float = 10.0) -> bool:
        """Stop the server this state directory recorded; True if one was running."""
        return super().stop(grace)

    def _wait(self, timeout: float, still_starting: Callable[[], bool] | None = None) -> None:
        wait_for_redis(self.url, timeout, still_starting=still_starting)

    def _reachable(self, address: str) -> bool:
        try:
            wait_for_redis(address, timeout=1.0)
        except InfraError:
            return False
        return True
