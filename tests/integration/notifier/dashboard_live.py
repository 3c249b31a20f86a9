"""Helpers of the dashboard's integration and browser tests (not collected as tests here):
decisions produced the way the runtime writes them, and the real app on a loopback port."""

from __future__ import annotations

import dataclasses
import json
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

import httpx
import uvicorn
from confluent_kafka import Producer

from services.common.contracts.decision import LoanDecision
from services.common.contracts.registry import Topics
from services.common.http.auth import Authenticator
from services.common.http.auth_settings import api_key_hash, auth_settings_for
from services.common.infra.ports import LOOPBACK, free_port
from services.common.runtime.codec import encode
from services.common.runtime.envelope import Emit
from services.common.settings import KafkaSettings
from services.notifier.dashboard.server import build_app, uvicorn_config
from services.notifier.dashboard.settings import (
    ENV_PREFIX,
    SCOPE_DECISIONS_READ,
    DashboardSettings,
)

API_KEY = "dashboard-test-key-" + "k" * 24
STARTUP_TIMEOUT_S = 120.0


def produce_decisions(
    bootstrap: str, topic: str, decisions: Iterable[LoanDecision], *, garbage: int = 0
) -> None:
    """Write ``decisions`` with CloudEvents headers as the offers stage would (and ``garbage``
    undecodable records before them)."""
    spec = dataclasses.replace(Topics.DECISIONS, name=topic)
    producer = Producer({"bootstrap.servers": bootstrap, "enable.idempotence": True})
    for number in range(garbage):
        producer.produce(topic, b"{not json", f"garbage-{number}".encode())
    for decision in decisions:
        emit = Emit(topic=spec, value=decision, key=str(decision.application_id))
        key, value, headers = encode(emit, "/loan-prescreen/offers")
        producer.produce(topic, value, key, headers=headers)
    assert producer.flush(60) == 0


class RunningDashboard:
    """The dashboard served by uvicorn on a thread, reading ``topic`` from ``bootstrap``."""

    def __init__(self, bootstrap: str, topic: str, *, max_streams: int = 5) -> None:
        port = free_port()
        settings = DashboardSettings(
            host=LOOPBACK,
            port=port,
            topic=topic,
            max_streams=max_streams,
            keepalive_s=1.0,
            shutdown_grace_s=1,
        )
        clients = {"ops": {"sha256": api_key_hash(API_KEY), "scopes": [SCOPE_DECISIONS_READ]}}
        app = build_app(
            settings=settings,
            kafka=KafkaSettings(bootstrap_servers=bootstrap),
            authenticator=Authenticator(auth_settings_for(ENV_PREFIX, api_keys=clients)),
        )
        self.url = f"http://{LOOPBACK}:{port}"
        self._server = uvicorn.Server(uvicorn_config(app, settings))
        self._thread = threading.Thread(target=self._server.run, name="dashboard", daemon=True)

    def start(self) -> None:
        self._thread.start()
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        last = "not started"
        while time.monotonic() < deadline:
            if not self._thread.is_alive():
                raise RuntimeError("the dashboard server stopped during start-up")
            try:
                response = httpx.get(f"{self.url}/readyz", timeout=5)
                last = response.text.strip()
                if response.status_code == 200:
                    return
            except httpx.TransportError as exc:
                last = type(exc).__name__
            time.sleep(0.2)
        raise TimeoutError(f"the dashboard was not ready after {STARTUP_TIMEOUT_S:.0f}s: {last}")

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(60)


@contextmanager
def running_dashboard(bootstrap: str, topic: str, **options: int) -> Iterator[RunningDashboard]:
    dashboard = RunningDashboard(bootstrap, topic, **options)
    try:
        dashboard.start()
        yield dashboard
    finally:
        dashboard.stop()


def summary(url: str) -> dict[str, object]:
    response = httpx.get(f"{url}/v1/decisions/summary", headers={"X-API-Key": API_KEY}, timeout=30)
    response.raise_for_status()
    result: dict[str, object] = json.loads(response.text)
    return result
