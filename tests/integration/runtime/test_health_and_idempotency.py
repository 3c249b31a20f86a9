"""Readiness follows assignment; duplicates and side effects are handled once, on real Redis."""

from __future__ import annotations

import threading
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass

import pytest
import redis

from services.common.idempotency import DuplicateFilter, Once, OnceBusyError
from services.common.runtime.relay import build_relay
from services.common.runtime.settings import RuntimeSettings
from services.common.settings import KafkaSettings
from tests.integration.runtime.support import (
    make_topics,
    produce,
    produce_events,
    read_committed,
    relay_events,
    wait_for,
)

pytestmark = pytest.mark.integration


def status(port: int | None, path: str) -> int:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=2) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return error.code


def test_ready_only_while_partitions_are_assigned(
    kafka_bootstrap: str, redis_url: str, unique_name: str
) -> None:
    source, sink = f"{unique_name}.in", f"{unique_name}.out"
    make_topics(kafka_bootstrap, source, sink, partitions=1)
    kafka = KafkaSettings(bootstrap_servers=kafka_bootstrap)

    def instance(name: str):  # type: ignore[no-untyped-def]
        runtime = build_relay(
            stage=unique_name,
            input_topic=source,
            output_topic=sink,
            kafka=kafka,
            settings=RuntimeSettings(instance_id=name, health_port=0),
        )
        thread = threading.Thread(target=runtime.run, daemon=True)
        thread.start()
        wait_for(lambda: runtime.health_port is not None, 30, "health server")
        return runtime, thread

    first, first_thread = instance("a")
    wait_for(lambda: status(first.health_port, "/readyz") == 200, 30, "first instance ready")
    second, second_thread = instance("b")
    wait_for(lambda: status(second.health_port, "/healthz") == 200, 30, "second instance alive")
    # One partition, two members: the second has nothing assigned and must say so.
    for _ in range(20):
        assert status(second.health_port, "/readyz") == 503
        threading.Event().wait(0.1)

    first.stop()
    first_thread.join(timeout=30)
    wait_for(lambda: status(second.health_port, "/readyz") == 200, 60, "takeover")
    produce_events(kafka_bootstrap, source, relay_events(3))
    wait_for(lambda: second.stats.consumed == 3, 30, "second instance consuming")
    port = second.health_port
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=2) as response:
        metrics = response.read().decode()
    assert (
        f'prescreen_events_consumed_total{{stage="{unique_name}",topic="{source}"}} 3.0' in metrics
    )
    assert "prescreen_end_to_end_latency_seconds_bucket" in metrics
    second.stop()
    second_thread.join(timeout=30)


def test_business_duplicate_is_dropped(
    kafka_bootstrap: str, redis_url: str, unique_name: str
) -> None:
    source, sink = f"{unique_name}.in", f"{unique_name}.out"
    make_topics(kafka_bootstrap, source, sink, partitions=1)
    [event] = relay_events(1)
    resubmitted = event.model_copy(update={"payload": "sent again by an impatient upstream"})
    produce(
        kafka_bootstrap,
        source,
        [
            (event.event_id, event.model_dump_json().encode()),
            (event.event_id, resubmitted.model_dump_json().encode()),
        ],
    )
    runtime = build_relay(
        stage=unique_name,
        input_topic=source,
        output_topic=sink,
        kafka=KafkaSettings(bootstrap_servers=kafka_bootstrap),
        redis_client=redis.Redis.from_url(redis_url),
        settings=RuntimeSettings(instance_id="t", batch_max_events=1),
    )
    stats = runtime.run(max_events=2, timeout=60)
    assert (stats.consumed, stats.produced, stats.duplicates) == (2, 1, 1)
    assert len(read_committed(kafka_bootstrap, sink, expected=1, timeout_s=20)) == 1


@dataclass(frozen=True)
class Rec:
    topic: str
    key: str | None
    offset: int

    @property
    def coordinates(self) -> str:
        return f"{self.topic}:0:{self.offset}"


def test_a_claim_from_an_aborted_transaction_never_drops_the_redelivered_record(
    redis_url: str,
) -> None:
    client = redis.Redis.from_url(redis_url)
    dedup = DuplicateFilter(client, prefix=f"t{uuid.uuid4().hex}", stage="s", ttl_s=60)
    first = Rec("in", "app-1", 7)
    assert dedup.claim([first]) == ([first], [])
    # The transaction that carried offset 7 aborted; Kafka delivers offset 7 again.
    assert dedup.claim([first]) == ([first], [])
    # A different record with the same application id is a business duplicate.
    second = Rec("in", "app-1", 9)
    assert dedup.claim([second]) == ([], [second])
    # Two copies inside one batch: the first wins.
    third, fourth = Rec("in", "app-2", 10), Rec("in", "app-2", 11)
    assert dedup.claim([third, fourth]) == ([third], [fourth])
    # A record that was dead-lettered gives its claim up, so its replay (a new offset) runs.
    dedup.release([third])
    replayed = Rec("in", "app-2", 30)
    assert dedup.claim([replayed]) == ([replayed], [])
    # Releasing someone else's claim does nothing.
    dedup.release([fourth])
    assert dedup.claim([Rec("in", "app-2", 31)])[1] != []


def test_once_runs_a_side_effect_once_among_racing_workers(redis_url: str) -> None:
    client = redis.Redis.from_url(redis_url)
    once = Once(client, prefix=f"t{uuid.uuid4().hex}", lease_s=5)
    calls: list[int] = []
    gate = threading.Barrier(4)
    results: list[object] = []

    def call() -> dict[str, int]:
        calls.append(1)
        threading.Event().wait(0.3)
        return {"id": 42}

    def worker() -> None:
        gate.wait()
        results.append(once("webhook:app-1", call))

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(calls) == 1
    assert results == [{"id": 42}] * 4
    assert once.result("webhook:app-1") == {"id": 42}


def test_once_releases_the_claim_when_the_call_fails(redis_url: str) -> None:
    once = Once(redis.Redis.from_url(redis_url), prefix=f"t{uuid.uuid4().hex}", lease_s=5)

    def failing() -> int:
        raise ConnectionError("smtp down")

    with pytest.raises(ConnectionError):
        once("mail:app-1", failing)
    assert once("mail:app-1", lambda: 7) == 7


def test_once_waits_out_a_dead_workers_lease(redis_url: str) -> None:
    client = redis.Redis.from_url(redis_url)
    prefix = f"t{uuid.uuid4().hex}"
    # A worker claimed the key and died: its claim expires after the lease.
    client.set(f"{prefix}:once:bureau:app-1", b"pending:dead", px=500)
    once = Once(client, prefix=prefix, lease_s=0.5)
    with pytest.raises(OnceBusyError):
        once("bureau:app-1", lambda: 1, wait_s=0.1)
    assert once("bureau:app-1", lambda: 2, wait_s=2) == 2
