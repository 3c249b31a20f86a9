"""The load side of ``prescreen bench ingest``: payloads, timing, and the load processes.

Each load process (``python -m services.common.bench.ingest_load load ...``) runs one phase over
lean HTTP/1.1 keep-alive connections (``http_lane``), apart from the server's interpreter, and
reports what it measured as JSON; ``ingest_bench`` orchestrates the phases and merges the reports.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import sys
import time
import uuid
from collections import Counter
from collections.abc import (
    Awaitable,
    Callable,
    Iterable,
    Mapping,
    Sequence,
)
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Final, Literal
from urllib.parse import urlsplit

import orjson
import uvloop

from services.common.bench.http_lane import HttpLane, LaneError, request_head
from services.common.bench.ingest_server import BASELINE_PATH
from services.common.bench.stats import percentile, rate
from services.common.heap import freeze_startup_heap
from services.common.http.auth import (
    API_KEY_HEADER,
)
from services.common.http.idempotency import IDEMPOTENCY_KEY_HEADER
from services.ingest.examples import example_submission

SUBMIT_PATH: Final = "/v1/applications"
BENCH_CLIENT_ID: Final = "bench-client"
API_KEY_ENV: Final = "PRESCREEN_BENCH_API_KEY"
ID_NAMESPACE: Final = uuid.UUID("3b0c7e52-9f41-5d8a-b6d2-1c9e4f7a2d60")
"""Namespace of the benchmark's uuid5 application and customer ids."""

PhaseKind = Literal["baseline", "submit"]

# A complete, valid application (every section the API accepts); only the ids change per
# request. Its dates are fixed and in the past, so the stated age always matches the birth date.
_TEMPLATE: Final[dict[str, Any]] = {**example_submission(), "application_id": "", "customer_id": ""}


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
            "client_cpu_ms_per_request": per_request_ms(self.cpu_s, self.ok + self.errors),
        }


def per_request_ms(cpu_s: float, requests: int) -> float:
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
    head: bytes
    body: bytes | None
    app_id: str | None


@dataclass(frozen=True)
class _Target:
    """Where and as whom the load process sends its requests."""

    host: str
    port: int
    api_key: str

    @classmethod
    def of(cls, base_url: str, api_key: str) -> _Target:
        parts = urlsplit(base_url)
        if parts.scheme != "http" or parts.hostname is None or parts.port is None:
            raise ValueError(f"the load needs an http://host:port address, not {base_url!r}")
        return cls(parts.hostname, parts.port, api_key)

    def head(self, method: str, path: str, body: bytes | None, extra: Mapping[str, str]) -> bytes:
        headers = {API_KEY_HEADER: self.api_key, **extra}
        if body is not None:
            headers["Content-Type"] = "application/json"
        return request_head(
            method, path, f"{self.host}:{self.port}", headers, None if body is None else len(body)
        )


def _call(spec: PhaseSpec, target: _Target, label: str, index: int) -> _Call:
    if spec.kind == "baseline":
        return _Call(target.head("GET", BASELINE_PATH, None, {}), None, None)
    app_id, body = submission(label, index)
    extra = {IDEMPOTENCY_KEY_HEADER: f"{label}-{index}"} if spec.idempotency_keys else {}
    return _Call(target.head("POST", SUBMIT_PATH, body, extra), body, app_id)


async def _send(lane: HttpLane, call: _Call) -> int | str:
    try:
        return await lane.request(call.head, call.body)
    except LaneError as exc:
        return exc.kind


async def _closed_loop(
    lanes: Sequence[HttpLane],
    make: Callable[[int], _Call],
    count: int | None,
    *,
    deadline: float | None,
    result: PhaseResult,
) -> None:
    """One loop per lane, each sending its next request as soon as the last one answered."""
    next_index = 0

    async def run(lane: HttpLane) -> None:
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
            outcome = await _send(lane, call)
            result.record(outcome, time.perf_counter() - started, call.app_id)

    await asyncio.gather(*(run(lane) for lane in lanes))


async def _open_loop(
    lanes: Sequence[HttpLane],
    calls: Sequence[_Call],
    *,
    rate_per_s: float,
    result: PhaseResult,
) -> None:
    """Send request ``i`` when it is due (``i / rate`` after the start) on an idle lane, at most
    one request per lane in flight; latency is counted from when the request was due, not when
    it left, so a server that falls behind cannot hide its queue."""
    idle = list(lanes)
    slots = asyncio.Semaphore(len(lanes))
    tasks: set[asyncio.Task[None]] = set()
    start = time.perf_counter()

    async def one(lane: HttpLane, call: _Call, due: float) -> None:
        try:
            outcome = await _send(lane, call)
            result.record(outcome, time.perf_counter() - due, call.app_id)
        finally:
            idle.append(lane)
            slots.release()

    for index, call in enumerate(calls):
        due = start + index / rate_per_s
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        await slots.acquire()
        task = asyncio.create_task(one(idle.pop(), call, due))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
    if tasks:
        await asyncio.gather(*tasks)


async def run_phase(
    spec: PhaseSpec,
    api_key: str,
    *,
    ready: Callable[[], Awaitable[None]] | None = None,
) -> PhaseResult:
    """Run one phase in this process over ``spec.concurrency`` connections. ``ready`` (an async
    callable) is awaited between the untimed warm-up and the timed part, to start several
    processes together."""
    target = _Target.of(spec.base_url, api_key)
    lanes = [HttpLane(target.host, target.port, spec.timeout_s) for _ in range(spec.concurrency)]
    result = PhaseResult()
    try:
        if spec.warmup:
            warm = PhaseResult()
            warm_calls = [_call(spec, target, f"{spec.label}-w", i) for i in range(spec.warmup)]
            await _closed_loop(
                lanes, warm_calls.__getitem__, len(warm_calls), deadline=None, result=warm
            )
            result.warmup_accepted_ids = warm.accepted_ids
            result.warmup_errors = warm.errors
        calls = (
            [_call(spec, target, spec.label, i) for i in range(spec.count)] if spec.count else None
        )
        # The prebuilt requests are thousands of long-lived objects: keep the load's own full
        # collections from pausing it mid-phase (a paused sender is charged as server latency).
        freeze_startup_heap()
        if ready is not None:
            await ready()
        cpu_before = _own_cpu_s()
        result.start_ns = time.time_ns()
        if spec.rate is not None and calls is not None:
            await _open_loop(lanes, calls, rate_per_s=spec.rate, result=result)
        else:
            deadline = time.monotonic() + spec.duration_s if spec.duration_s else None
            await _closed_loop(
                lanes,
                calls.__getitem__
                if calls is not None
                else lambda i: _call(spec, target, spec.label, i),
                len(calls) if calls is not None else None,
                deadline=deadline,
                result=result,
            )
        result.end_ns = time.time_ns()
        result.cpu_s = _own_cpu_s() - cpu_before
    finally:
        for lane in lanes:
            lane.close()
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

    result = uvloop.run(run_phase(spec, api_key, ready=ready))
    args.out.write_bytes(orjson.dumps(asdict(result)))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] != "load":
        sys.stderr.write("usage: python -m services.common.bench.ingest_load load ...\n")
        return 2
    return load_main(args[1:])


if __name__ == "__main__":
    raise SystemExit(main())
