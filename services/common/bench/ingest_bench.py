"""``prescreen bench ingest``: accepted applications per second through the ingest HTTP API.

One run, on one server (``services.common.bench.ingest_server``: the product ingest app, plus a
trivial authenticated route that exists only in the benchmark server), against a private Kafka
and Redis unless others are named:

0. **warm-up** (untimed): ``warmup_s`` seconds of full-speed submissions, so the broker's JIT,
   the connection pools and the workers are warm before anything is timed;
1. **baseline** — ``requests`` calls of ``GET /bench/baseline`` (authentication and a small JSON
   answer, nothing else) at full speed with the same concurrency: ``baseline_rps``;
2. **submissions, full speed** — ``requests`` distinct valid applications, ``POST
   /v1/applications`` with ``concurrency`` requests in flight: ``rps``, ``p50_ms``, ``p99_ms``;
3. **submissions, fixed rate** — ``fixed_rate`` requests per second for ``fixed_rate_seconds``,
   sent on schedule whatever the answers (open loop); each latency runs from the moment the
   request was *due*, so a server that falls behind is charged for the queue it causes.

The load runs in separate processes (``python -m services.common.bench.ingest_load load``)
over lean HTTP/1.1 keep-alive connections (``http_lane``), so it never shares the server's
interpreter and takes little CPU from it. Every answer other than 2xx, and every transport
failure, is an error. At the end the received topic is read (``read_committed``) from where it
stood before the run: every accepted application must be on it exactly once (``lost``,
``duplicates``), and nothing else (``unexpected``).
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import secrets
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections import Counter
from collections.abc import (
    Iterator,
    Mapping,
)
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import orjson
from confluent_kafka import Consumer, KafkaError, KafkaException, TopicPartition

from services.common.bench.ingest_load import (
    API_KEY_ENV,
    BENCH_CLIENT_ID,
    PhaseKind,
    PhaseResult,
    PhaseSpec,
    per_request_ms,
    reconcile,
)
from services.common.bench.servers import bench_servers, read_line
from services.common.contracts.registry import Topics
from services.common.http.auth import (
    SCOPE_APPLICATIONS_READ,
    SCOPE_APPLICATIONS_WRITE,
)
from services.common.http.auth_settings import api_key_hash
from services.common.infra.ports import LOOPBACK, free_ports
from services.common.kafka_admin import ensure_topics
from services.common.settings import KafkaSettings

# ---------------------------------------------------------------------------- configuration


@dataclass(frozen=True)
class IngestBenchConfig:
    requests: int = 20_000
    concurrency: int = 64
    workers: int = 2
    load_processes: int = 1
    fixed_rate: float = 500.0
    fixed_rate_seconds: float = 20.0
    warmup_s: float = 20.0
    idempotency_keys: bool = False
    settle_s: float = 2.0
    request_timeout_s: float = 30.0
    phase_timeout_s: float = 900.0

    def __post_init__(self) -> None:
        problems = config_problems(self)
        if problems:
            raise ValueError("; ".join(problems))

    @property
    def fixed_rate_requests(self) -> int:
        return max(1, round(self.fixed_rate * self.fixed_rate_seconds))


def config_problems(config: IngestBenchConfig) -> list[str]:
    """Every reason ``config`` cannot run; empty when it can."""
    problems: list[str] = []
    if config.requests < 1:
        problems.append("requests must be at least 1")
    if config.concurrency < 1:
        problems.append("concurrency must be at least 1")
    if config.workers < 1:
        problems.append("workers must be at least 1")
    if config.load_processes < 1:
        problems.append("load_processes must be at least 1")
    elif config.concurrency < config.load_processes:
        problems.append("concurrency must be at least load_processes (one connection each)")
    elif config.requests < config.load_processes:
        problems.append("requests must be at least load_processes")
    if config.fixed_rate <= 0:
        problems.append("fixed_rate must be above 0")
    if config.fixed_rate_seconds <= 0:
        problems.append("fixed_rate_seconds must be above 0")
    if config.warmup_s < 0:
        problems.append("warmup_s must not be negative")
    if config.settle_s < 0:
        problems.append("settle_s must not be negative")
    if config.request_timeout_s <= 0:
        problems.append("request_timeout_s must be above 0")
    return problems


def split(total: int, parts: int) -> list[int]:
    """``total`` divided into ``parts`` near-equal whole shares (larger shares first)."""
    if parts < 1:
        raise ValueError("parts must be at least 1")
    share, extra = divmod(total, parts)
    return [share + (1 if i < extra else 0) for i in range(parts)]


# ---------------------------------------------------------------------------- orchestration


@dataclass
class _Credentials:
    api_key: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    token_key: str = field(default_factory=lambda: secrets.token_urlsafe(48))
    pii_key: str = field(default_factory=lambda: base64.b64encode(os.urandom(32)).decode())


class IngestBench:
    def __init__(
        self, config: IngestBenchConfig, *, bootstrap: str, redis_url: str, workdir: Path
    ) -> None:
        self._config = config
        self._bootstrap = bootstrap
        self._redis_url = redis_url
        self._workdir = workdir
        self._run_id = uuid.uuid4().hex[:8]
        self._kafka = KafkaSettings(bootstrap_servers=bootstrap)
        self._credentials = _Credentials()
        self._topic = Topics.RECEIVED.name
        self._server_pid = 0
        self._server_cpu: dict[str, float] = {}

    def run(self) -> dict[str, Any]:
        config = self._config
        ensure_topics(self._kafka, [Topics.RECEIVED])
        start_offsets = _high_watermarks(self._kafka, self._topic)
        with self._server() as base_url:
            warm = (
                self._phase(base_url, "warm", "submit", count=0, duration_s=config.warmup_s)
                if config.warmup_s > 0
                else None
            )
            time.sleep(config.settle_s)
            baseline = self._phase(base_url, "base", "baseline", count=config.requests)
            time.sleep(config.settle_s)
            full = self._phase(base_url, "full", "submit", count=config.requests)
            time.sleep(config.settle_s)
            fixed = self._phase(
                base_url,
                "fixed",
                "submit",
                count=config.fixed_rate_requests,
                rate=config.fixed_rate,
            )
        phases = [p for p in (warm, baseline, full, fixed) if p is not None]
        accepted = [app_id for p in phases for app_id in (*p.accepted_ids, *p.warmup_accepted_ids)]
        seen = _keys_on_topic(self._kafka, self._topic, start_offsets, timeout_s=120)
        check = reconcile(accepted, seen)
        base_summary = self._summary("base", baseline)
        full_summary = self._summary("full", full)
        fixed_summary = self._summary("fixed", fixed)
        return {
            "requests": config.requests,
            "rps": full_summary["rps"],
            "p50_ms": full_summary["p50_ms"],
            "p99_ms": full_summary["p99_ms"],
            "errors": baseline.errors + full.errors + fixed.errors,
            "baseline_rps": base_summary["rps"],
            "ratio": round(full.rps / baseline.rps, 3) if baseline.rps else 0.0,
            "baseline_p50_ms": base_summary["p50_ms"],
            "baseline_p99_ms": base_summary["p99_ms"],
            "fixed_rate_rps": config.fixed_rate,
            "fixed_rate_achieved_rps": fixed_summary["rps"],
            "fixed_rate_requests": config.fixed_rate_requests,
            "fixed_rate_p50_ms": fixed_summary["p50_ms"],
            "fixed_rate_p99_ms": fixed_summary["p99_ms"],
            "fixed_rate_max_ms": fixed_summary["max_ms"],
            "concurrency": config.concurrency,
            "workers": config.workers,
            "load_processes": config.load_processes,
            "cpus": os.cpu_count(),
            "idempotency_keys": config.idempotency_keys,
            "warmup_requests": (warm.ok + warm.errors) if warm else 0,
            "warmup_errors": sum(p.warmup_errors for p in phases) + (warm.errors if warm else 0),
            "accepted": check.accepted,
            "on_topic": check.on_topic,
            "lost": check.lost,
            "duplicates": check.duplicates,
            "unexpected": check.unexpected,
            "phases": {
                "baseline": base_summary,
                "full_speed": full_summary,
                "fixed_rate": fixed_summary,
            },
        }

    # ------------------------------------------------------------------ phases

    def _phase(
        self,
        base_url: str,
        name: str,
        kind: PhaseKind,
        *,
        count: int,
        rate: float | None = None,
        duration_s: float | None = None,
    ) -> PhaseResult:
        """One phase over ``load_processes`` processes that start together."""
        config = self._config
        processes = config.load_processes
        counts = split(count, processes)
        lanes = split(config.concurrency, processes)
        specs = [
            PhaseSpec(
                base_url=base_url,
                kind=kind,
                label=f"{self._run_id}-{name}-{i}",
                count=counts[i],
                concurrency=lanes[i],
                rate=rate / processes if rate is not None else None,
                duration_s=duration_s,
                warmup=2 * lanes[i],
                idempotency_keys=config.idempotency_keys,
                timeout_s=config.request_timeout_s,
            )
            for i in range(processes)
        ]
        runs: list[tuple[subprocess.Popen[bytes], Path]] = []
        try:
            for i, spec in enumerate(specs):
                runs.append(self._start_load(spec, f"{name}-{i}"))
            for process, _out in runs:
                assert process.stdout is not None
                if read_line(process.stdout, timeout_s=300).strip() != b"ready":
                    raise RuntimeError(f"load process of phase {name} did not become ready")
            server_before = _tree_cpu_s(self._server_pid)
            for process, _out in runs:
                assert process.stdin is not None
                process.stdin.write(b"go\n")
                process.stdin.flush()
            for process, _out in runs:
                if process.wait(timeout=config.phase_timeout_s) != 0:
                    raise RuntimeError(f"load process of phase {name} failed")
            server_cpu = _tree_cpu_s(self._server_pid) - server_before
        finally:
            for process, _out in runs:
                if process.poll() is None:
                    process.kill()
                    process.wait()
        merged = PhaseResult.merge(
            [PhaseResult.from_json(orjson.loads(o.read_bytes())) for _, o in runs]
        )
        merged.error_kinds = dict(sorted(merged.error_kinds.items()))
        self._server_cpu[name] = server_cpu
        return merged

    def _start_load(self, spec: PhaseSpec, name: str) -> tuple[subprocess.Popen[bytes], Path]:
        spec_path = self._workdir / f"load-{name}.spec.json"
        out = self._workdir / f"load-{name}.out.json"
        spec_path.write_bytes(orjson.dumps(asdict(spec)))
        args = [
            sys.executable, "-m", "services.common.bench.ingest_load", "load",
            "--spec", str(spec_path), "--out", str(out),
        ]  # fmt: skip
        env = {**os.environ, API_KEY_ENV: self._credentials.api_key}
        process = subprocess.Popen(  # noqa: S603 - own interpreter, own module
            args, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE
        )
        return process, out

    @contextlib.contextmanager
    def _server(self) -> Iterator[str]:
        config = self._config
        (port,) = free_ports(1)
        credentials = self._credentials
        scopes = [SCOPE_APPLICATIONS_WRITE, SCOPE_APPLICATIONS_READ]
        # Only this run's settings: nothing under PRESCREEN_ leaks in from the caller's shell.
        env = {k: v for k, v in os.environ.items() if not k.startswith("PRESCREEN_")}
        env |= {
            "PRESCREEN_KAFKA_BOOTSTRAP_SERVERS": self._bootstrap,
            "PRESCREEN_REDIS_URL": self._redis_url,
            "PRESCREEN_REDIS_KEY_PREFIX": f"bench-{self._run_id}",
            "PRESCREEN_INGEST_SSN_TOKEN_KEY": credentials.token_key,
            "PRESCREEN_INGEST_PII_KEYS": json.dumps({"bench1": credentials.pii_key}),
            "PRESCREEN_INGEST_PII_ACTIVE_KEY_ID": "bench1",
            "PRESCREEN_INGEST_API_KEYS": json.dumps(
                {BENCH_CLIENT_ID: {"sha256": api_key_hash(credentials.api_key), "scopes": scopes}}
            ),
            # The limiter still runs (one Redis script per request) but never refuses.
            "PRESCREEN_INGEST_RATE_LIMIT_PER_S": "1000000",
            "PRESCREEN_INGEST_RATE_LIMIT_BURST": "1000000",
            "PRESCREEN_INGEST_LOG_LEVEL": "WARNING",
            "PRESCREEN_DOCSTORE_LOCAL_ROOT": str(self._workdir / "documents"),
        }
        args = [
            sys.executable, "-m", "services.common.bench.ingest_server",
            "--host", LOOPBACK, "--port", str(port), "--workers", str(config.workers),
        ]  # fmt: skip
        log_path = self._workdir / "server.log"
        with log_path.open("wb") as log:
            process = subprocess.Popen(  # noqa: S603 - own interpreter, own module
                args, env=env, stdout=log, stderr=subprocess.STDOUT
            )
            self._server_pid = process.pid
            try:
                base_url = f"http://{LOOPBACK}:{port}"
                try:
                    _wait_ok(f"{base_url}/healthz", process, timeout_s=120)
                    _wait_ok(f"{base_url}/readyz", process, timeout_s=60)
                except RuntimeError as exc:
                    tail = log_path.read_bytes()[-4000:].decode(errors="replace")
                    raise RuntimeError(f"{exc}\n--- server log ---\n{tail}") from None
                yield base_url
            finally:
                process.terminate()
                try:
                    process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()

    def _summary(self, phase: str, result: PhaseResult) -> dict[str, Any]:
        summary = result.summary()
        summary["server_cpu_ms_per_request"] = per_request_ms(
            self._server_cpu.get(phase, 0.0), result.ok + result.errors
        )
        return summary


# ---------------------------------------------------------------------------- helpers


def _wait_ok(url: str, process: subprocess.Popen[bytes], timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the benchmark server exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - loopback
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer 200 within {timeout_s:.0f} s")


def _tree_cpu_s(root: int) -> float:
    """CPU seconds (user + system) of ``root`` and its descendants; 0.0 without ``/proc``."""
    proc = Path("/proc")
    if not root or not proc.is_dir():
        return 0.0
    ticks = os.sysconf("SC_CLK_TCK")
    parents: dict[int, int] = {}
    cpu: dict[int, float] = {}
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # Fields after the parenthesised command: state ppid ... utime(12) stime(13).
        fields = stat[stat.rfind(")") + 2 :].split()
        pid = int(entry.name)
        parents[pid] = int(fields[1])
        cpu[pid] = (int(fields[11]) + int(fields[12])) / ticks
    total, frontier = 0.0, [root]
    while frontier:
        pid = frontier.pop()
        total += cpu.get(pid, 0.0)
        frontier.extend(child for child, parent in parents.items() if parent == pid)
    return total


# What a partition answers while its leader is still being elected.
_LEADERLESS = frozenset(
    {
        KafkaError.NOT_LEADER_FOR_PARTITION,
        KafkaError.LEADER_NOT_AVAILABLE,
        KafkaError.UNKNOWN_TOPIC_OR_PART,
    }
)


def _high_watermarks(kafka: KafkaSettings, topic: str, timeout_s: float = 30.0) -> dict[int, int]:
    """End offset of each partition of ``topic``; waits out a just-created topic whose
    partitions have no leader yet (a retriable error) for up to ``timeout_s``."""
    consumer = Consumer({**kafka.client_config(), "group.id": f"bench-offsets-{uuid.uuid4().hex}"})
    deadline = time.monotonic() + timeout_s
    try:
        while True:
            try:
                metadata = consumer.list_topics(topic, timeout=timeout_s)
                partitions = sorted(metadata.topics[topic].partitions)
                ends = (
                    consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=timeout_s)
                    for p in partitions
                )
                return {p: high for p, (_low, high) in zip(partitions, ends, strict=True)}
            except KafkaException as exc:
                error = exc.args[0] if exc.args else None
                retriable = isinstance(error, KafkaError) and (
                    error.retriable() or error.code() in _LEADERLESS
                )
                if not retriable or time.monotonic() >= deadline:
                    raise
                time.sleep(0.2)
    finally:
        consumer.close()


def _keys_on_topic(
    kafka: KafkaSettings, topic: str, start: Mapping[int, int], *, timeout_s: float
) -> dict[str, int]:
    """How often each key occurs on ``topic`` after ``start`` (``read_committed``)."""
    end = _high_watermarks(kafka, topic)
    remaining = {p for p, high in end.items() if high > start.get(p, 0)}
    seen: Counter[str] = Counter()
    if not remaining:
        return dict(seen)
    consumer = Consumer(
        {
            **kafka.client_config(),
            "group.id": f"bench-verify-{uuid.uuid4().hex}",
            "enable.auto.commit": False,
            "isolation.level": "read_committed",
            "enable.partition.eof": True,
        }
    )
    try:
        consumer.assign([TopicPartition(topic, p, start.get(p, 0)) for p in sorted(remaining)])
        deadline = time.monotonic() + timeout_s
        while remaining:
            if time.monotonic() > deadline:
                raise RuntimeError(f"could not read {topic} to its end in {timeout_s:.0f} s")
            for message in consumer.consume(1000, 0.5):
                error = message.error()
                partition = message.partition()
                if error is not None:
                    if error.code() == KafkaError._PARTITION_EOF:
                        remaining.discard(partition)
                    continue
                offset = message.offset()
                if partition is None or offset is None or offset >= end[partition]:
                    continue
                seen[(message.key() or b"").decode()] += 1
                if offset + 1 >= end[partition]:
                    remaining.discard(partition)
    finally:
        consumer.close()
    return dict(seen)


def run_ingest_bench(
    config: IngestBenchConfig, *, bootstrap: str | None, redis_url: str | None
) -> dict[str, Any]:
    """Run against the given servers, or against a private local Kafka and Redis."""
    with bench_servers(bootstrap, redis_url, prefix="prescreen-bench-ingest-") as servers:
        kafka_servers, redis, workdir = servers
        return IngestBench(config, bootstrap=kafka_servers, redis_url=redis, workdir=workdir).run()
