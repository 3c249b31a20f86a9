"""Both local components together: what ``prescreen infra up`` and the test fixtures start."""

from __future__ import annotations

import logging
from pathlib import Path
from types import TracebackType

from services.common.infra.errors import InfraError
from services.common.infra.kafka_broker import KafkaBroker
from services.common.infra.kafka_config import BrokerSettings
from services.common.infra.paths import state_root
from services.common.infra.process import ProcessStatus
from services.common.infra.redis_server import RedisServer, RedisServerSettings

log = logging.getLogger(__name__)


class LocalInfra:
    """A local Kafka broker and Redis server sharing one state root.

    ``with LocalInfra(...) as infra:`` starts both and stops both on exit; ``start``/``stop``
    do the same by hand. ``stop`` only touches processes recorded in this state root.
    """

    def __init__(
        self,
        kafka: BrokerSettings | None = None,
        redis: RedisServerSettings | None = None,
        *,
        state_dir: Path | None = None,
        kafka_libs_dir: Path | None = None,
    ) -> None:
        root = (state_dir or state_root()).resolve()
        self.state_dir = root
        self.kafka = KafkaBroker(kafka, state_dir=root / "kafka", libs_dir=kafka_libs_dir)
        self.redis = RedisServer(redis, state_dir=root / "redis")

    @property
    def bootstrap_servers(self) -> str:
        return self.kafka.bootstrap_servers

    @property
    def redis_url(self) -> str:
        return self.redis.url

    def start(self, timeout: float = 90.0) -> tuple[str, str]:
        """Start Redis, then Kafka, and wait for both; return (bootstrap servers, Redis URL).

        If Kafka cannot start, the Redis started here is stopped again.
        """
        redis_was_running = self.redis.record() is not None
        redis_url = self.redis.start(timeout=min(timeout, 30.0))
        try:
            bootstrap = self.kafka.start(timeout=timeout)
        except BaseException:
            if not redis_was_running:
                self.redis.stop()
            raise
        return bootstrap, redis_url

    def stop(self) -> dict[str, bool]:
        """Stop both; for each, whether a running process was stopped."""
        results: dict[str, bool] = {}
        failures: list[str] = []
        for component in (self.kafka, self.redis):
            try:
                results[component.name] = component.stop()
            except InfraError as exc:
                log.error("could not stop %s: %s", component.name, exc)
                failures.append(f"{component.name}: {exc}")
        if failures:
            raise InfraError("; ".join(failures))
        return results

    def status(self) -> list[ProcessStatus]:
        return [self.kafka.status(), self.redis.status()]

    def __enter__(self) -> LocalInfra:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
