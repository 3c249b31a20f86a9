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

The load runs in separate processes (``python -m services.common.bench.ingest_bench load``)
with ``httpx`` over HTTP/1.1 keep-alive connections, so it never shares the server's
interpreter. Every answer other than 2xx, and every transport failure, is an error. At the end
the received topic is read (``read_committed``) from where it stood before the run: every
accepted application must be on it exactly once (``lost``, ``duplicates``), and nothing else
(``unexpected``).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import json
import os
import resource
import secrets
import selectors
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections import Counter
from collections.abc import (
    AsyncIterator,
    Awaitable,
    Callable,
    Iterable,
    Iterator,
    Mapping,
    Sequence,
)
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO, Any, Final, Literal

import httpx
import orjson
from confluent_kafka import Consumer, KafkaError, TopicPartition

from services.common.bench.ingest_server import BASELINE_PATH
from services.common.bench.servers import bench_servers
from services.common.bench.stats import percentile, rate
from services.common.contracts.registry import Topics
from services.common.http.auth import (
    API_KEY_HEADER,
    SCOPE_APPLICATIONS_READ,
    SCOPE_APPLICATIONS_WRITE,
)
from services.common.http.auth_settings import api_key_hash
from services.common.http.idempotency import IDEMPOTENCY_KEY_HEADER
from services.common.infra.ports import LOOPBACK, free_ports
from services.common.kafka_admin import ensure_topics
from services.common.settings import KafkaSettings
from services.ingest.examples import example_submission

SUBMIT_PATH: Final = "/v1/applications"
BENCH_CLIENT_ID: Final = "bench-client"
API_KEY_ENV: Final = "PRESCREEN_BENCH_API_KEY"
LANES_PER_CLIENT: Final = 4
"""Connections per ``httpx.AsyncClient``: its pool looks at every connection for every request,
so one client with 64 connections costs the load generator several times the CPU per request of
sixteen clients with four each (measured: 3.6 ms against 0.9 ms)."""
ID_NAMESPACE: Final = uuid.UUID("3b0c7e52-9f41-5d8a-b6d2-1c9e4f7a2d60")
"""Namespace of the benchmark's uuid5 application and customer ids."""

PhaseKind = Literal["baseline", "submit"]

# A complete, valid application (every section the API accepts); only the ids change per
# request. Its dates are fixed and in the past, so the stated age always matches the birth date.
_TEMPLATE: Final[dict[str, Any]] = {**example_submission(), "application_id": "", "customer_id": ""}


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


# ---------------------------------------------------------------------------- payloads


def application_id(label: str, index: int) -> str:
    """The application id of request ``index`` of the load labelled ``label``."""
    return str(uuid.uuid5(ID_NAMESPACE, f"{label}:application:{index}"))


def submission(label: str, index: int) -> tuple[str, bytes]:
    """(application id, JSON body) of request ``index``: a distinct, valid application."""
    app_id = application_id(label, index)
    payload = dict(_TEMPLATE)
    payload["application_id"] = app_id
    payload["customer_id"] = str(uuid.uuid5(ID_NAMESPACE, f"{label}:customer:{index}"))
    return app_id, orjson.dumps(payload)


# ---------------------------------------------------------------------------- statistics


@dataclass(frozen=True)
class PhaseSpec:
    """What one load process does in one phase (written as JSON for the process)."""

    base_url: str
    kind: PhaseKind
    label: str
    count: int = 0
    concurrency: int = 1
    rate: float | None = None
    duration_s: float | None = None
    warmup: int = 0
    idempotency_keys: bool = False
    timeout_s: float = 30.0


@dataclass
class PhaseResult:
    """What one load process measured; ``merge`` combines several processes' results."""

    ok: int = 0
    errors: int = 0
    error_kinds: dict[str, int] = field(default_factory=dict)
    latencies_ms: list[float] = field(default_factory=list)
    start_ns: int = 0
    end_ns: int = 0
    accepted_ids: list[str] = field(default_factory=list)
    warmup_accepted_ids: list[str] = field(default_factory=list)
    warmup_errors: int = 0
    cpu_s: float = 0.0

    def record(self, outcome: int | str, latency_s: float, app_id: str | None) -> None:
        """Count one answer: an HTTP status, or the name of a transport error."""
        self.latencies_ms.append(latency_s * 1000)
        if isinstance(outcome, int) and 200 <= outcome < 300:
            self.ok += 1
            if app_id is not None:
                self.accepted_ids.append(app_id)
            return
        self.errors += 1
        kind = str(outcome)
        self.error_kinds[kind] = self.error_kinds.get(kind, 0) + 1

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> PhaseResult:
        return cls(**data)

    @classmethod
    def merge(cls, results: Sequence[PhaseResult]) -> PhaseResult:
        merged = cls()
        kinds: Counter[str] = Counter()
        for result in results:
            merged.ok += result.ok
            merged.errors += result.errors
            kinds.update(result.error_kinds)
            merged.latencies_ms.extend(result.latencies_ms)
            merged.accepted_ids.extend(result.accepted_ids)
            merged.warmup_accepted_ids.extend(result.warmup_accepted_ids)
            merged.warmup_errors += result.warmup_errors
            merged.cpu_s += result.cpu_s
        merged.error_kinds = dict(kinds)
        merged.start_ns = min((r.start_ns for r in results), default=0)
        merged.end_ns = max((r.end_ns for r in results), default=0)
        return merged

    @property
    def rps(self) -> float:
        """Successful requests per second, from the first send to the last answer."""
        return rate(self.ok, self.start_ns, self.end_ns)

    def summary(self) -> dict[str, Any]:
        latencies = self.latencies_ms
        return {
            "requests": self.ok + self.errors,
            "ok": self.ok,
            "errors": self.errors,
            "error_kinds": self.error_kinds,
            "rps": round(self.rps, 1),
            "seconds": round((self.end_ns - self.start_ns) / 1e9, 3),
            "p50_ms": round(percentile(latencies, 50), 2),
            "p90_ms": round(percentile(latencies, 90), 2),
            "p99_ms": round(percentile(latencies, 99), 2),
            "max_ms": round(max(latencies, default=0.0), 2),
            "client_cpu_ms_per_request": _per_request_ms(self.cpu_s, self.ok + self.errors),
        }


def _per_request_ms(cpu_s: float, requests: int) -> float:
    return round(cpu_s * 1000 / requests, 3) if requests else 0.0


@dataclass(frozen=True)
class Reconciliation:
    """How the received topic compares with the applications the API accepted."""

    accepted: int
    on_topic: int
    lost: int
    duplicates: int
    unexpected: int


def reconcile(accepted: Iterable[str], seen: Mapping[str, int]) -> Reconciliation:
    """Compare accepted application ids with the keys found on the topic and their counts."""
    wanted = Counter(accepted)
    lost = sum(1 for key in wanted if seen.get(key, 0) == 0)
    duplicates = sum(max(0, seen.get(key, 0) - 1) for key in wanted)
    unexpected = sum(count for key, count in seen.items() if key not in wanted)
    return Reconciliation(
        accepted=sum(wanted.values()),
        on_topic=sum(seen.values()),
        lost=lost,
        duplicates=duplicates + sum(count - 1 for count in wanted.values() if count > 1),
        unexpected=unexpected,
    )


# ---------------------------------------------------------------------------- load process


@dataclass(frozen=True)
class _Call:
    method: str
    path: str
    body: bytes | None
    app_id: str | None
    headers: dict[str, str] | None


def _call(spec: PhaseSpec, label: str, index: int) -> _Call:
    if spec.kind == "baseline":
        return _Call("GET", BASELINE_PATH, None, None, None)
    app_id, body = submission(label, index)
    headers = {IDEMPOTENCY_KEY_HEADER: f"{label}-{index}"} if spec.idempotency_keys else None
    return _Call("POST", SUBMIT_PATH, body, app_id, headers)


async def _send(client: httpx.AsyncClient, call: _Call) -> int | str:
    try:
        response = await client.request(
            call.method, call.path, content=call.body, headers=call.headers
        )
    except httpx.HTTPError as exc:
        return type(exc).__name__
    return response.status_code


async def _closed_loop(
    clients: Sequence[httpx.AsyncClient],
    make: Callable[[int], _Call],
    count: int | None,
    *,
    concurrency: int,
    deadline: float | None,
    result: PhaseResult,
) -> None:
    """``concurrency`` lanes, each sending its next request as soon as the last one answered."""
    next_index = 0

    async def lane(client: httpx.AsyncClient) -> None:
        nonlocal next_index
        while True:
            if count is not None and next_index >= count:
                return
            if deadline is not None and time.monotonic() >= deadline:
                return
            index = next_index
            next_index += 1
            call = make(index)
            started = time.perf_counter()
            outcome = await _send(client, call)
            result.record(outcome, time.perf_counter() - started, call.app_id)

    await asyncio.gather(*(lane(clients[i % len(clients)]) for i in range(concurrency)))


async def _open_loop(
    clients: Sequence[httpx.AsyncClient],
    calls: Sequence[_Call],
    *,
    rate_per_s: float,
    concurrency: int,
    result: PhaseResult,
) -> None:
    """Send request ``i`` when it is due (``i / rate`` after the start), at most ``concurrency``
    in flight; latency is counted from when the request was due, not when it left."""
    slots = asyncio.Semaphore(concurrency)
    tasks: set[asyncio.Task[None]] = set()
    start = time.perf_counter()

    async def one(client: httpx.AsyncClient, call: _Call, due: float) -> None:
        try:
            outcome = await _send(client, call)
            result.record(outcome, time.perf_counter() - due, call.app_id)
        finally:
            slots.release()

    for index, call in enumerate(calls):
        due = start + index / rate_per_s
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        await slots.acquire()
        task = asyncio.create_task(one(clients[index % len(clients)], call, due))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
    if tasks:
        await asyncio.gather(*tasks)


def client_count(concurrency: int) -> int:
    """How many ``AsyncClient``s carry ``concurrency`` lanes, ``LANES_PER_CLIENT`` each."""
    return -(-concurrency // LANES_PER_CLIENT)


@contextlib.asynccontextmanager
async def _clients(
    spec: PhaseSpec, api_key: str, transport: httpx.AsyncBaseTransport | None
) -> AsyncIterator[list[httpx.AsyncClient]]:
    per_client = min(spec.concurrency, LANES_PER_CLIENT)
    limits = httpx.Limits(
        max_connections=per_client, max_keepalive_connections=per_client, keepalive_expiry=300
    )
    async with contextlib.AsyncExitStack() as stack:
        clients = [
            await stack.enter_async_context(
                httpx.AsyncClient(
                    base_url=spec.base_url,
                    headers={API_KEY_HEADER: api_key, "Content-Type": "application/json"},
                    limits=limits,
                    timeout=httpx.Timeout(spec.timeout_s),
                    transport=transport,
                )
            )
            for _ in range(client_count(spec.concurrency))
        ]
        yield clients


async def run_phase(
    spec: PhaseSpec,
    api_key: str,
    *,
    ready: Callable[[], Awaitable[None]] | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
) -> PhaseResult:
    """Run one phase in this process. ``ready`` (an async callable) is awaited between the
    untimed warm-up and the timed part, to start several processes together."""
    result = PhaseResult()
    async with _clients(spec, api_key, transport) as clients:
        if spec.warmup:
            warm = PhaseResult()
            warm_calls = [_call(spec, f"{spec.label}-w", i) for i in range(spec.warmup)]
            await _closed_loop(
                clients,
                warm_calls.__getitem__,
                len(warm_calls),
                concurrency=spec.concurrency,
                deadline=None,
                result=warm,
            )
            result.warmup_accepted_ids = warm.accepted_ids
            result.warmup_errors = warm.errors
        calls = [_call(spec, spec.label, i) for i in range(spec.count)] if spec.count else None
        if ready is not None:
            await ready()
        cpu_before = _own_cpu_s()
        result.start_ns = time.time_ns()
        if spec.rate is not None and calls is not None:
            await _open_loop(
                clients, calls, rate_per_s=spec.rate, concurrency=spec.concurrency, result=result
            )
        else:
            deadline = time.monotonic() + spec.duration_s if spec.duration_s else None
            await _closed_loop(
                clients,
                calls.__getitem__ if calls is not None else lambda i: _call(spec, spec.label, i),
                len(calls) if calls is not None else None,
                concurrency=spec.concurrency,
                deadline=deadline,
                result=result,
            )
        result.end_ns = time.time_ns()
        result.cpu_s = _own_cpu_s() - cpu_before
    return result


def _own_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def load_main(argv: Sequence[str]) -> int:
    """``load --spec FILE --out FILE``: print ``ready``, wait for ``go`` on stdin, run, write."""
    parser = argparse.ArgumentParser(prog="load")
    parser.add_argument("--spec", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    spec = PhaseSpec(**orjson.loads(args.spec.read_bytes()))
    api_key = os.environ[API_KEY_ENV]

    async def ready() -> None:
        sys.stdout.write("ready\n")
        sys.stdout.flush()
        await asyncio.to_thread(sys.stdin.readline)

    result = asyncio.run(run_phase(spec, api_key, ready=ready))
    args.out.write_bytes(orjson.dumps(asdict(result)))
    return 0


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
                if _read_line(process.stdout, timeout_s=300).strip() != b"ready":
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
            sys.executable, "-m", "services.common.bench.ingest_bench", "load",
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
        summary["server_cpu_ms_per_request"] = _per_request_ms(
            self._server_cpu.get(phase, 0.0), result.ok + result.errors
        )
        return summary


# ---------------------------------------------------------------------------- helpers


def _read_line(stream: IO[bytes], timeout_s: float) -> bytes:
    selector = selectors.DefaultSelector()
    selector.register(stream, selectors.EVENT_READ)
    if not selector.select(timeout_s):
        return b""
    return stream.readline()


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


def _high_watermarks(kafka: KafkaSettings, topic: str) -> dict[int, int]:
    consumer = Consumer({**kafka.client_config(), "group.id": f"bench-offsets-{uuid.uuid4().hex}"})
    try:
        metadata = consumer.list_topics(topic, timeout=30)
        partitions = sorted(metadata.topics[topic].partitions)
        return {
            p: consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=30)[1]
            for p in partitions
        }
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


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] != "load":
        sys.stderr.write("usage: python -m services.common.bench.ingest_bench load ...\n")
        return 2
    return load_main(args[1:])


if __name__ == "__main__":
    raise SystemExit(main())
