"""``prescreen bench runtime``: the stage runtime's throughput against the raw broker.

After an untimed warm-up (a freshly started broker is JIT-cold), three phases on the same
broker, in one run:

1. **broker baseline** — plain idempotent produce of N ~1 KB records and a plain consumer in
   another process: the most this broker and machine move without the runtime;
2. **pipeline, full speed** — the same N records through a chain of ``hops`` pass-through
   stages, each its own process with transactions (exactly-once) and Redis duplicate marks on;
3. **pipeline, fixed rate** — records at a steady fraction of the measured pipeline rate,
   where the latency figures (p50, p99) are taken.

``ratio = pipeline_eps * hops / broker_eps`` says what share of the broker's raw capacity
the runtime turns into useful stage work.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import orjson
from confluent_kafka import Producer

from services.common.bench.scrape import sample
from services.common.bench.servers import bench_servers, read_line, stop_processes
from services.common.bench.stats import percentile, rate
from services.common.infra.ports import free_ports
from services.common.kafka_admin import ensure_topics
from services.common.settings import KafkaSettings


@dataclass(frozen=True)
class RuntimeBenchConfig:
    events: int = 50_000
    hops: int = 5
    payload_bytes: int = 900
    partitions: int = 3
    batch_max_events: int = 500
    fixed_rate_fraction: float = 0.5
    fixed_rate_seconds: float = 20.0
    dedup: bool = True
    compression: str = "lz4"
    settle_s: float = 5.0
    warmup_s: float = 45.0
    timeout_s: float = 900.0


@dataclass
class _SinkRun:
    process: subprocess.Popen[bytes]
    out: Path

    def result(self, timeout_s: float) -> dict[str, Any]:
        self.process.wait(timeout=timeout_s)
        data: dict[str, Any] = orjson.loads(self.out.read_bytes())
        return data


class RuntimeBench:
    def __init__(
        self, config: RuntimeBenchConfig, *, bootstrap: str, redis_url: str, workdir: Path
    ) -> None:
        self._config = config
        self._bootstrap = bootstrap
        self._redis_url = redis_url
        self._workdir = workdir
        self._run_id = uuid.uuid4().hex[:8]
        self._kafka = KafkaSettings(bootstrap_servers=bootstrap)
        self._payload = "x" * config.payload_bytes
        self._shared_producer: Producer | None = None
        self._prime_topic = f"bench.{self._run_id}.raw"

    def run(self) -> dict[str, Any]:
        config = self._config
        raw_topic = self._prime_topic
        chain = [f"bench.{self._run_id}.hop{i}" for i in range(config.hops + 1)]
        ensure_topics(self._kafka, [raw_topic, *chain], partitions=config.partitions)

        self._producer()
        with self._stages(chain) as ports:
            warmed = self._warm_up(chain)
            # Measured on the warmed broker, while the idle stages only poll. The raw broker
            # moves N records in a fraction of a second, so take the median of three runs.
            baselines = [
                self._measure(raw_topic, raw_topic, f"base{i}", config.events, None, False)
                for i in range(3)
            ]
            baselines.sort(key=lambda b: rate(b["count"], b["start_ns"], b["last_ns"]))
            baseline = baselines[1]
            broker_eps = rate(baseline["count"], baseline["start_ns"], baseline["last_ns"])
            before = [sample(port) for port in ports]
            full = self._measure(chain[0], chain[-1], "full", config.events, None, True)
            middle = [sample(port) for port in ports]
            # Let the broker finish writing back the full-speed phase before timing latency.
            time.sleep(config.settle_s)
            pipeline_eps = rate(full["count"], full["start_ns"], full["last_ns"])
            fixed_rate = max(1.0, pipeline_eps * config.fixed_rate_fraction)
            fixed_count = max(100, min(config.events, int(fixed_rate * config.fixed_rate_seconds)))
            fixed = self._measure(chain[0], chain[-1], "fixed", fixed_count, fixed_rate, True)
            after = [sample(port) for port in ports]

        lost = config.events - full["count"] + fixed_count - fixed["count"]
        return {
            "events": config.events,
            "hops": config.hops,
            "pipeline_eps": round(pipeline_eps, 1),
            "broker_eps": round(broker_eps, 1),
            "ratio": round(pipeline_eps * config.hops / broker_eps, 3) if broker_eps else 0.0,
            "p50_ms": round(percentile(fixed["latencies_ms"], 50), 2),
            "p99_ms": round(percentile(fixed["latencies_ms"], 99), 2),
            "fixed_rate_eps": round(fixed_rate, 1),
            "fixed_rate_events": fixed_count,
            "full_speed_p50_ms": round(percentile(full["latencies_ms"], 50), 2),
            "full_speed_p99_ms": round(percentile(full["latencies_ms"], 99), 2),
            "broker_p50_ms": round(percentile(baseline["latencies_ms"], 50), 2),
            "duplicates": full["duplicates"] + fixed["duplicates"],
            "lost": lost,
            "payload_bytes": len(self._event("x", 0)),
            "batch_max_events": config.batch_max_events,
            "partitions": config.partitions,
            "dedup": config.dedup,
            "compression": config.compression,
            "cpus": os.cpu_count(),
            "warmup_events": warmed,
            "stages_full_speed": [
                b.minus(a).summary() for a, b in zip(before, middle, strict=True)
            ],
            "stages_fixed_rate": [b.minus(a).summary() for a, b in zip(middle, after, strict=True)],
        }

    # ------------------------------------------------------------------ phases

    def _measure(
        self,
        source: str,
        sink_topic: str,
        phase: str,
        count: int,
        pace_eps: float | None,
        committed: bool,
    ) -> dict[str, Any]:
        prefix = f"{self._run_id}-{phase}-"
        sink = self._start_sink(sink_topic, prefix, count, committed)
        start_ns = self._produce(source, prefix, count, pace_eps)
        result = sink.result(self._config.timeout_s)
        result["start_ns"] = start_ns
        if result["count"] < count:
            raise RuntimeError(
                f"{phase}: only {result['count']} of {count} events arrived before the timeout"
            )
        return result

    def _warm_up(self, chain: list[str]) -> int:
        """Untimed traffic until ``warmup_s`` has passed; returns how many events it sent.

        A broker that just started runs much of its code interpreted until the JIT compiles
        it: in a first run here the same chain measured at half the rate of a warmed broker.
        Half the warm-up runs at full speed (large transactions), half at a modest fixed rate
        (many small ones), so both paths are compiled before anything is timed.
        """
        config = self._config
        chunk = max(1_000, min(config.events, 10_000))
        deadline = time.monotonic() + config.warmup_s
        sent, round_ = 0, 0
        while True:
            paced = round_ % 2 == 1
            count = chunk // 5 if paced else chunk
            self._measure(
                chain[0], chain[-1], f"warm{round_}", count, 1_000 if paced else None, True
            )
            sent += count
            round_ += 1
            if time.monotonic() >= deadline:
                return sent

    def _event(self, event_id: str, sequence: int) -> bytes:
        return orjson.dumps(
            {
                "event_id": event_id,
                "sequence": sequence,
                "created_ns": time.time_ns(),
                "hops": 0,
                "payload": self._payload,
            }
        )

    def _producer(self) -> Producer:
        """One producer for every phase, connected before any clock starts.

        A new idempotent producer first fetches metadata and a producer id; records produced
        meanwhile would wait in its queue and count as pipeline latency.
        """
        if self._shared_producer is None:
            producer = Producer(
                {
                    **self._kafka.client_config(),
                    "enable.idempotence": True,
                    "linger.ms": 5,
                    "compression.type": self._config.compression,
                }
            )
            producer.produce(self._prime_topic, b"{}", b"prime")
            if producer.flush(60) != 0:
                raise RuntimeError("benchmark producer could not reach the broker")
            self._shared_producer = producer
        return self._shared_producer

    def _produce(self, topic: str, prefix: str, count: int, pace_eps: float | None) -> int:
        producer = self._producer()
        start_ns = time.time_ns()
        started = time.monotonic()
        for sequence in range(count):
            event_id = f"{prefix}{sequence}"
            value = self._event(event_id, sequence)
            while True:
                try:
                    producer.produce(topic, value, event_id.encode())
                    break
                except BufferError:
                    producer.poll(0.01)
            if pace_eps is not None:
                ahead = (sequence + 1) / pace_eps - (time.monotonic() - started)
                if ahead > 0:
                    producer.poll(0)
                    time.sleep(ahead)
        if producer.flush(60) != 0:
            raise RuntimeError("benchmark producer could not deliver every record")
        return start_ns

    def _start_sink(self, topic: str, prefix: str, count: int, committed: bool) -> _SinkRun:
        out = self._workdir / f"sink-{prefix}.json"
        args = [
            sys.executable, "-m", "services.common.bench.workers", "sink",
            "--bootstrap", self._bootstrap, "--topic", topic, "--count", str(count),
            "--prefix", prefix, "--out", str(out), "--timeout", str(self._config.timeout_s),
        ]  # fmt: skip
        if committed:
            args.append("--read-committed")
        process = subprocess.Popen(args, stdout=subprocess.PIPE)  # noqa: S603 - own interpreter
        assert process.stdout is not None
        line = read_line(process.stdout, timeout_s=60)
        if line.strip() != b"ready":
            process.kill()
            raise RuntimeError("benchmark sink did not become ready")
        return _SinkRun(process, out)

    @contextlib.contextmanager
    def _stages(self, chain: list[str]) -> Iterator[list[int]]:
        ports = free_ports(self._config.hops)
        processes: list[subprocess.Popen[bytes]] = []
        logs: list[IO[bytes]] = []
        try:
            for hop, port in enumerate(ports, start=1):
                log = (self._workdir / f"hop{hop}.log").open("wb")
                logs.append(log)
                args = [
                    sys.executable, "-m", "services.common.runtime.relay",
                    "--stage", f"bench-{self._run_id}-hop{hop}",
                    "--input", chain[hop - 1], "--output", chain[hop],
                ]  # fmt: skip
                if not self._config.dedup:
                    args.append("--no-dedup")
                env = {
                    **os.environ,
                    "KAFKA_BOOTSTRAP_SERVERS": self._bootstrap,
                    "REDIS_URL": self._redis_url,
                    "PRESCREEN_RUNTIME_INSTANCE_ID": f"hop{hop}",
                    "PRESCREEN_RUNTIME_HEALTH_PORT": str(port),
                    "PRESCREEN_RUNTIME_BATCH_MAX_EVENTS": str(self._config.batch_max_events),
                    "PRESCREEN_RUNTIME_COMPRESSION": self._config.compression,
                }
                processes.append(
                    subprocess.Popen(args, env=env, stdout=log, stderr=subprocess.STDOUT)  # noqa: S603
                )
            for port in ports:
                _wait_ready(port, timeout_s=90)
            yield ports
        finally:
            stop_processes(processes)
            for handle in logs:
                handle.close()


def _wait_ready(port: int, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.2)
    raise RuntimeError(f"stage on health port {port} never became ready")


def run_runtime_bench(
    config: RuntimeBenchConfig, *, bootstrap: str | None, redis_url: str | None
) -> dict[str, Any]:
    """Run against the given servers, or against a private local Kafka and Redis."""
    with bench_servers(bootstrap, redis_url, prefix="prescreen-bench-") as servers:
        kafka_servers, redis, workdir = servers
        return RuntimeBench(config, bootstrap=kafka_servers, redis_url=redis, workdir=workdir).run()
