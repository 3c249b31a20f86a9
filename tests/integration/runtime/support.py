"""Helpers shared by the runtime's integration tests: real producers, readers and processes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from confluent_kafka import Consumer, Producer

from services.common.kafka_admin import ensure_topics
from services.common.runtime.relay import RelayEvent
from services.common.settings import KafkaSettings

REPO_ROOT = Path(__file__).resolve().parents[3]


def make_topics(bootstrap: str, *names: str, partitions: int = 3) -> None:
    ensure_topics(KafkaSettings(bootstrap_servers=bootstrap), list(names), partitions=partitions)


def relay_events(count: int, *, start: int = 0, payload_bytes: int = 64) -> list[RelayEvent]:
    run = uuid.uuid4().hex[:8]
    return [
        RelayEvent(
            event_id=f"{run}-{i}",
            sequence=i,
            created_ns=time.time_ns(),
            payload="x" * payload_bytes,
        )
        for i in range(start, start + count)
    ]


def produce(
    bootstrap: str,
    topic: str,
    values: Iterable[tuple[str, bytes]],
    *,
    pace_per_s: float | None = None,
    compression: str = "none",
) -> int:
    """Produce (key, value) pairs, optionally at a steady rate; returns how many.

    ``compression`` as the stages use it (``lz4``), for consumers that must decode it."""
    producer = Producer(
        {
            "bootstrap.servers": bootstrap,
            "enable.idempotence": True,
            "linger.ms": 5,
            "compression.type": compression,
        }
    )
    sent = 0
    started = time.monotonic()
    for key, value in values:
        while True:
            try:
                producer.produce(topic, value, key.encode())
                break
            except BufferError:
                producer.poll(0.05)
        sent += 1
        if pace_per_s:
            ahead = sent / pace_per_s - (time.monotonic() - started)
            if ahead > 0:
                producer.poll(0)
                time.sleep(ahead)
    assert producer.flush(30) == 0
    return sent


def produce_events(
    bootstrap: str, topic: str, events: list[RelayEvent], *, pace_per_s: float | None = None
) -> int:
    values = ((e.event_id, e.model_dump_json().encode()) for e in events)
    return produce(bootstrap, topic, values, pace_per_s=pace_per_s)


def read_committed(
    bootstrap: str,
    topic: str,
    *,
    expected: int,
    timeout_s: float,
    settle_s: float = 2.0,
    on_record: Callable[[int], None] | None = None,
    isolation: str = "read_committed",
) -> list[tuple[bytes | None, bytes | None, dict[str, bytes]]]:
    """Read a topic from the start as a read_committed consumer (or ``isolation``).

    Stops ``settle_s`` after ``expected`` records arrived (so extra, duplicated records would
    still be seen) or at the timeout.
    """
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": f"reader-{uuid.uuid4().hex}",
            "isolation.level": isolation,
            "auto.offset.reset": "earliest",
            "enable.auto.commit": False,
        }
    )
    consumer.subscribe([topic])
    records: list[tuple[bytes | None, bytes | None, dict[str, bytes]]] = []
    deadline = time.monotonic() + timeout_s
    reached_at: float | None = None
    try:
        while time.monotonic() < deadline:
            if reached_at is not None and time.monotonic() - reached_at > settle_s:
                break
            for message in consumer.consume(1000, 0.2):
                if message.error():
                    continue
                raw_headers = message.headers() or []
                pairs = raw_headers.items() if isinstance(raw_headers, dict) else raw_headers
                headers = {k: v for k, v in pairs if isinstance(v, bytes)}
                records.append((message.key(), message.value(), headers))
                if on_record:
                    on_record(len(records))
            if reached_at is None and len(records) >= expected:
                reached_at = time.monotonic()
    finally:
        consumer.close()
    return records


@dataclass
class StageProcess:
    """A stage running as its own OS process, so it can be SIGKILLed like a crashed pod."""

    args: list[str]
    env: dict[str, str]
    log_path: Path
    process: subprocess.Popen[bytes] | None = None

    def start(self) -> StageProcess:
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, *self.args],
            cwd=REPO_ROOT,
            env={**os.environ, **self.env},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        return self

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def terminate(self, timeout: float = 30) -> int:
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=timeout)

    def stop_quietly(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)


def stage_env(bootstrap: str, redis_url: str, instance: str) -> dict[str, str]:
    return {
        "KAFKA_BOOTSTRAP_SERVERS": bootstrap,
        "REDIS_URL": redis_url,
        "PRESCREEN_RUNTIME_INSTANCE_ID": instance,
        "PYTHONUNBUFFERED": "1",
    }


def wait_for(condition: Callable[[], bool], timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")
