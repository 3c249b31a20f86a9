"""``prescreen bench pipeline``: applications through every stage, and the runtime's ceiling.

One run, on a private Kafka and Redis (or given loopback ones), with the stack as ``prescreen
up`` runs it (every service its own process):

1. **full speed** — ``count`` applications are published at once to
   ``loan.applications.submitted.v1`` (the Kafka intake, as upstream bank systems submit in
   bulk) and the run waits for every decision on ``loan.decisions.v1``: applications per second
   from the first publish to the last decision, and each application's latency;
2. **fixed rate** — applications are submitted through the ingest API at a steady rate;
   ``fixed_rate_p99_ms`` runs from the API's acceptance to the decision on the topic;
3. **ceiling** — with the stack stopped, the runtime benchmark's pass-through chain with as
   many hops as the pipeline has stages, on the same broker: what the transport alone allows.

The per-stage breakdown comes from each decision's ``stage_timings_ms`` (each stage's time
from the previous stage's completion) and, for ingest, acceptance to the first stage.
"""

from __future__ import annotations

import statistics
import tempfile
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
from confluent_kafka import Producer

from services.common.bench.runtime_bench import RuntimeBench, RuntimeBenchConfig
from services.common.contracts import Topics
from services.common.contracts.decision import LoanDecision
from services.common.infra.ports import free_port_run, free_ports
from services.stack.demo import DecisionWatcher, run_demo
from services.stack.secrets import StackSecrets
from services.stack.services import LOOPBACK, Endpoints
from services.stack.settings import StackSettings
from services.stack.supervisor import Stack
from services.stack.synthetic import SyntheticApplication, synthetic_applications

STAGE_PROCESSES = 7
"""Processes with a health port: the Kafka stages and the notifier's two stage consumers."""
PIPELINE_HOPS = 6
"""Consumer stages an application passes on the Kafka path: intake, documents, fraud,
scoring, offers (and the API path skips the intake)."""


@dataclass(frozen=True)
class PipelineBenchConfig:
    count: int = 5_000
    fixed_rate_per_s: float = 500.0
    fixed_rate_s: float = 20.0
    ceiling_events: int = 20_000
    seed: int = 13
    timeout_s: float = 900.0


@dataclass
class Phase:
    started: float
    decided_at: dict[str, float]
    sent_at: dict[str, float]
    decisions: list[LoanDecision]

    def latencies_ms(self) -> list[float]:
        return [
            (self.decided_at[key] - sent) * 1000
            for key, sent in self.sent_at.items()
            if key in self.decided_at
        ]


def _percentile(values: Sequence[float], share: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(share * len(ordered)))], 1)


def _full_speed(
    bootstrap: str, applications: Sequence[SyntheticApplication], timeout_s: float
) -> Phase:
    watcher = DecisionWatcher(bootstrap)
    producer = Producer(
        {"bootstrap.servers": bootstrap, "linger.ms": 5, "enable.idempotence": True}
    )
    phase = Phase(time.time(), {}, {}, [])
    for application in applications:
        key = application.application_id
        value = orjson.dumps(application.body)
        while True:
            try:
                producer.produce(Topics.SUBMITTED.name, value, key.encode())
                break
            except BufferError:
                producer.poll(0.05)
        phase.sent_at[key] = time.time()
        producer.poll(0)
    if producer.flush(60) != 0:
        raise RuntimeError("applications were not acknowledged by the broker")
    wanted = set(phase.sent_at)
    deadline = time.monotonic() + timeout_s
    try:
        while len(phase.decided_at) < len(wanted) and time.monotonic() < deadline:
            for decision in watcher.poll(0.5):
                key = str(decision.application_id)
                if key in wanted and key not in phase.decided_at:
                    phase.decided_at[key] = time.time()
                    phase.decisions.append(decision)
    finally:
        watcher.close()
    return phase


def _stage_breakdown(decisions: Sequence[LoanDecision]) -> dict[str, dict[str, float | None]]:
    timings: dict[str, list[float]] = {}
    for decision in decisions:
        for stage, ms in decision.stage_timings_ms.items():
            timings.setdefault(stage.value, []).append(ms)
    return {
        stage: {
            "p50_ms": _percentile(values, 0.5),
            "p99_ms": _percentile(values, 0.99),
            "mean_ms": round(statistics.fmean(values), 1),
        }
        for stage, values in timings.items()
    }


def _ceiling(bootstrap: str, redis_url: str, config: PipelineBenchConfig) -> dict[str, Any]:
    bench_config = RuntimeBenchConfig(
        events=config.ceiling_events,
        hops=PIPELINE_HOPS - 1,
        warmup_s=10.0,
        fixed_rate_seconds=10.0,
        payload_bytes=3_000,  # about the size of an application case by the offers stage
    )
    with tempfile.TemporaryDirectory(prefix="prescreen-ceiling-") as workdir:
        bench = RuntimeBench(
            bench_config, bootstrap=bootstrap, redis_url=redis_url, workdir=Path(workdir)
        )
        return bench.run()


@dataclass(frozen=True)
class PipelineResult:
    report: dict[str, Any]
    """What ``--json`` prints."""
    fixed_rate_latencies_ms: list[float]
    decision_times_s: list[float]
    """When each full-speed decision arrived, from the first publish."""


def run_pipeline_bench(
    config: PipelineBenchConfig, *, bootstrap: str, redis_url: str, workdir: Path
) -> PipelineResult:
    ingest, quotes, dashboard = free_ports(3)
    run = uuid.uuid4().hex[:8]
    settings = StackSettings(
        state_dir=workdir / "stack",
        ingest_port=ingest,
        quotes_port=quotes,
        dashboard_port=dashboard,
        health_base_port=free_port_run(STAGE_PROCESSES),
        redis_key_prefix=f"bench-{run}",
    )
    stack = Stack(settings)
    try:
        stack.up(Endpoints(bootstrap, redis_url))
        api_key = StackSecrets.load_or_create(stack.state_dir).api_key.get_secret_value()
        warmup = synthetic_applications(200, seed=config.seed + 1, run=f"{run}-warm")
        run_demo(f"http://{LOOPBACK}:{ingest}", api_key, bootstrap, warmup, timeout_s=120)
        full = _full_speed(
            bootstrap,
            synthetic_applications(config.count, seed=config.seed, run=f"{run}-full"),
            config.timeout_s,
        )
        steady_count = int(config.fixed_rate_per_s * config.fixed_rate_s)
        steady = run_demo(
            f"http://{LOOPBACK}:{ingest}",
            api_key,
            bootstrap,
            synthetic_applications(steady_count, seed=config.seed + 2, run=f"{run}-fixed"),
            concurrency=64,
            rate_per_s=config.fixed_rate_per_s,
            timeout_s=config.timeout_s,
        )
    finally:
        stack.down()
    ceiling = _ceiling(bootstrap, redis_url, config)
    report = _report(config, full, steady.summary(), ceiling)
    timeline = sorted(t - full.started for t in full.decided_at.values())
    return PipelineResult(report, sorted(steady.latencies_ms), timeline)


def _report(
    config: PipelineBenchConfig, full: Phase, steady: dict[str, Any], ceiling: dict[str, Any]
) -> dict[str, Any]:
    times = sorted(full.decided_at.values())
    span = (times[-1] - full.started) if times else 0.0
    applications_per_s = len(times) / span if span > 0 else 0.0
    latencies = full.latencies_ms()
    ceiling_eps = float(ceiling["pipeline_eps"])
    return {
        "applications_per_s": round(applications_per_s, 1),
        "p50_ms": _percentile(latencies, 0.5),
        "p99_ms": _percentile(latencies, 0.99),
        "fixed_rate_p99_ms": steady["p99_ms"],
        "fixed_rate_p50_ms": steady["p50_ms"],
        "fixed_rate_per_s": config.fixed_rate_per_s,
        "ceiling_eps": round(ceiling_eps, 1),
        "ratio_to_ceiling": round(applications_per_s / ceiling_eps, 3) if ceiling_eps else None,
        "full_speed": {
            "applications": config.count,
            "decided": len(times),
            "lost": config.count - len(times),
            "outcomes": _outcomes(full.decisions),
            "stages": _stage_breakdown(full.decisions),
        },
        "fixed_rate": {k: v for k, v in steady.items() if k not in ("p50_ms", "p99_ms")},
        "ceiling": {
            "hops": ceiling["hops"],
            "payload_bytes": ceiling["payload_bytes"],
            "broker_eps": ceiling["broker_eps"],
            "p99_ms": ceiling["p99_ms"],
        },
    }


def _outcomes(decisions: Sequence[LoanDecision]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for decision in decisions:
        counts[decision.outcome.value] = counts.get(decision.outcome.value, 0) + 1
    return dict(sorted(counts.items()))
