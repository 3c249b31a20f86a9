"""Start, watch and stop the local stack: Kafka, Redis and every service, each its own process.

Every process is started detached (its own session, so it outlives ``prescreen up --detach``)
and recorded in ``<state>/run/<name>.json`` with its start time, so ``down`` stops exactly the
processes ``up`` started and never a pid that was reused since. Logs go to
``<state>/logs/<name>.log``.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import httpx

from services.common.contracts import Topics
from services.common.infra.errors import InfraError
from services.common.infra.kafka_config import BrokerSettings
from services.common.infra.local import LocalInfra
from services.common.infra.paths import repo_root
from services.common.infra.process import (
    ProcessRecord,
    is_alive,
    log_tail,
    record_child,
    spawn,
    stop_recorded,
    wait_gone,
)
from services.common.infra.redis_server import RedisServerSettings
from services.common.kafka_admin import ensure_topics
from services.common.settings import KafkaSettings
from services.stack.assets import prepare_assets
from services.stack.secrets import StackSecrets
from services.stack.services import Endpoints, ServiceSpec, service_specs
from services.stack.settings import StackSettings

log = logging.getLogger(__name__)

STOP_GRACE_S = 30.0


@dataclass(frozen=True)
class ServiceState:
    name: str
    running: bool
    ready: bool
    pid: int | None
    log_file: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class StackError(InfraError):
    """The stack could not be brought up; the message says which part and why."""


class Stack:
    def __init__(self, settings: StackSettings | None = None) -> None:
        self.settings = settings or StackSettings()
        self.state_dir = self.settings.state_dir.resolve()
        self._infra = LocalInfra(
            BrokerSettings(
                port=self.settings.kafka_port,
                controller_port=self.settings.kafka_controller_port,
            ),
            RedisServerSettings(port=self.settings.redis_port, persistent=True),
            state_dir=self.state_dir / "infra",
        )
        self._specs: dict[str, ServiceSpec] = {}

    # ----------------------------------------------------------------- paths

    def _record_path(self, name: str) -> Path:
        return self.state_dir / "run" / f"{name}.json"

    def log_path(self, name: str) -> Path:
        return self.state_dir / "logs" / f"{name}.log"

    @property
    def _endpoints_path(self) -> Path:
        return self.state_dir / "endpoints.json"

    # ----------------------------------------------------------------- up

    def up(
        self,
        endpoints: Endpoints | None = None,
        *,
        progress: Callable[[str], None] = log.info,
    ) -> list[ServiceState]:
        """Everything running and ready; what already runs is left as it is.

        ``endpoints``: an existing Kafka and Redis; None starts local ones (kept in the
        stack's state directory) unless they already run.
        """
        self.state_dir.mkdir(parents=True, exist_ok=True)
        secrets = StackSecrets.load_or_create(self.state_dir)
        progress("preparing keys, the model and the watch list")
        assets = prepare_assets(self.settings)
        endpoints = self._endpoints(endpoints, progress)
        progress("creating the topics")
        ensure_topics(KafkaSettings(bootstrap_servers=endpoints.bootstrap), Topics.all())
        specs = service_specs(self.settings, secrets, assets, endpoints)
        self._specs = {spec.name: spec for spec in specs}
        for spec in specs:
            self._start(spec, progress)
        self._wait_ready(specs, progress)
        return self.status()

    def _endpoints(self, given: Endpoints | None, progress: Callable[[str], None]) -> Endpoints:
        if given is not None:
            self._endpoints_path.write_text(
                json.dumps({**asdict(given), "own_infra": False}), encoding="utf-8"
            )
            return given
        progress("starting Kafka and Redis")
        bootstrap, redis_url = self._infra.start(timeout=self.settings.start_timeout_s)
        self._endpoints_path.write_text(
            json.dumps({"bootstrap": bootstrap, "redis_url": redis_url, "own_infra": True}),
            encoding="utf-8",
        )
        return Endpoints(bootstrap, redis_url)

    def endpoints(self) -> Endpoints | None:
        """Where the running stack's Kafka and Redis are, if it was brought up."""
        try:
            raw = json.loads(self._endpoints_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return Endpoints(str(raw["bootstrap"]), str(raw["redis_url"]))

    def _start(self, spec: ServiceSpec, progress: Callable[[str], None]) -> None:
        record = ProcessRecord.load(self._record_path(spec.name))
        if record is not None and is_alive(record):
            return
        progress(f"starting {spec.name}")
        # The caller's environment first (PATH for tesseract, a bank's own settings), then
        # what the stack sets, which wins.
        env = {**os.environ, **spec.env}
        child = spawn(spec.argv, cwd=repo_root(), log_path=self.log_path(spec.name), env=env)
        record_child(spec.name, child, spec.ready_url or "").save(self._record_path(spec.name))

    def _wait_ready(self, specs: list[ServiceSpec], progress: Callable[[str], None]) -> None:
        deadline = time.monotonic() + self.settings.start_timeout_s
        waiting = list(specs)
        progress(f"waiting for {len(waiting)} services to be ready")
        with httpx.Client(timeout=2.0, trust_env=False) as client:
            while waiting:
                for spec in list(waiting):
                    record = ProcessRecord.load(self._record_path(spec.name))
                    if record is None or not is_alive(record):
                        tail = log_tail(self.log_path(spec.name))
                        raise StackError(f"{spec.name} stopped while starting:\n{tail}")
                    if spec.ready_url is None or _answers(client, spec.ready_url):
                        waiting.remove(spec)
                if waiting and time.monotonic() > deadline:
                    names = ", ".join(spec.name for spec in waiting)
                    raise StackError(f"not ready in time: {names}; see {self.state_dir / 'logs'}")
                if waiting:
                    time.sleep(0.5)

    # ----------------------------------------------------------------- faults (chaos)

    @property
    def infra(self) -> LocalInfra:
        return self._infra

    def signal(self, name: str, signum: int) -> int:
        """Send ``signum`` to the recorded process ``name``; its pid."""
        record = self.record(name)
        if record is None or not is_alive(record):
            raise StackError(f"{name} is not running")
        os.kill(record.pid, signum)
        return record.pid

    def kill(self, name: str) -> None:
        """SIGKILL ``name`` and wait until it is gone, as a crashed pod."""
        record = self.record(name)
        if record is None:
            raise StackError(f"{name} was never started")
        self.signal(name, signal.SIGKILL)
        if not wait_gone(record, 10.0):
            raise StackError(f"{name} outlived SIGKILL")

    def restart(self, name: str, progress: Callable[[str], None] = log.info) -> None:
        """Start ``name`` again (after ``kill``) and wait until it is ready."""
        spec = self._specs.get(name)
        if spec is None:
            raise StackError(f"{name} is not a service this stack started")
        self._start(spec, progress)
        self._wait_ready([spec], progress)

    # ----------------------------------------------------------------- status, down

    def records(self) -> list[ProcessRecord]:
        run = self.state_dir / "run"
        loaded = [ProcessRecord.load(path) for path in sorted(run.glob("*.json"))]
        return [record for record in loaded if record is not None]

    def status(self) -> list[ServiceState]:
        states = []
        with httpx.Client(timeout=1.0, trust_env=False) as client:
            for record in self.records():
                running = is_alive(record)
                ready = running and (not record.address or _answers(client, record.address))
                states.append(
                    ServiceState(
                        record.name,
                        running,
                        ready,
                        record.pid if running else None,
                        str(self.log_path(record.name)),
                    )
                )
        return states

    def record(self, name: str) -> ProcessRecord | None:
        return ProcessRecord.load(self._record_path(name))

    def down(self) -> dict[str, bool]:
        """Stop every service ``up`` started (newest first), then Kafka and Redis if it started
        them; for each, whether a running process was stopped."""
        stopped: dict[str, bool] = {}
        for record in sorted(self.records(), key=lambda r: r.pid, reverse=True):
            stopped[record.name] = stop_recorded(record, STOP_GRACE_S)
            self._record_path(record.name).unlink(missing_ok=True)
        try:
            own_infra = json.loads(self._endpoints_path.read_text(encoding="utf-8"))["own_infra"]
        except (OSError, ValueError, KeyError):
            own_infra = False
        if own_infra:
            stopped.update(self._infra.stop())
        self._endpoints_path.unlink(missing_ok=True)
        return stopped


def _answers(client: httpx.Client, url: str) -> bool:
    try:
        return client.get(url).status_code == 200
    except httpx.HTTPError:
        return False
