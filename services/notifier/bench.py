"""``prescreen bench notifier``: the webhook stage against a local receiver, with its ceiling.

One run, on a Kafka broker and a Redis of its own (or given loopback ones):

1. **baseline** — the same deliverer (signing, SSRF guard, HTTP) posts the same bodies straight
   to the receiver on as many threads as the stage uses, with no Kafka and no ``Once``: the
   most the stage could deliver on this machine;
2. **full speed** — decisions wait on the topic; the stage (its own process, as deployed)
   drains them. ``decisions_per_s`` is decisions delivered per second, first to last arrival;
3. **fixed rate** — decisions are published at a steady rate while the stage runs;
   ``webhook_p99_ms`` is the 99th percentile from publishing a decision to its arrival at the
   receiver (through the broker, the stage, Redis and HTTP).

Every subscriber is the upstream system (all decisions) plus the rejection feed (declines),
as in the reference workflow. The run counts decisions that never arrived and repeats.
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Final

import httpx
import orjson
from confluent_kafka import KafkaException, Producer
from confluent_kafka.admin import AdminClient
from pydantic import SecretStr

from services.common.bench.servers import read_line, stop_processes
from services.common.contracts import Topics
from services.common.contracts.decision import LoanDecision
from services.common.contracts.primitives import LoanProduct
from services.common.kafka_admin import ensure_topics
from services.common.runtime.cloudevents import CloudEvent
from services.common.settings import KafkaSettings
from services.notifier.webhooks.app import WebhookTopics
from services.notifier.webhooks.delivery import WebhookDeliverer, webhook_body
from services.notifier.webhooks.retry import RetryPolicy
from services.notifier.webhooks.settings import WebhookSettings
from services.notifier.webhooks.subscriptions import Subscription

PIPELINE_GOAL_PER_S: Final = 1_000
"""The whole pipeline's throughput goal: the decision rate the notifier must keep up with."""

UPSTREAM_PATH: Final = "/decision"
_SECRET: Final = "bench-signing-key-" + "b" * 30


@dataclass(frozen=True)
class NotifierBenchConfig:
    decisions: int = 20_000
    fixed_rate_per_s: float = 500.0
    fixed_rate_s: float = 20.0
    decline_share: float = 0.3
    workers: int = 16
    instances: int = 1
    seed: int = 7
    timeout_s: float = 300.0


def synthetic_decisions(count: int, *, seed: int, decline_share: float) -> list[LoanDecision]:
    """Approvals (one offer) and declines (two reasons) over every product; no personal data."""
    rng = random.Random(seed)  # noqa: S311 - reproducible test data, not a secret
    products = list(LoanProduct)
    start = datetime.now(UTC)
    decisions = []
    for index in range(count):
        product = rng.choice(products)
        amount = round(rng.uniform(2_000, 60_000), 2)
        declined = rng.random() < decline_share
        payload: dict[str, Any] = {
            "application_id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            "customer_id": f"cust-{index:07d}",
            "outcome": "declined" if declined else "approved",
            "decided_by": "offers",
            "requested": {"product": product.value, "amount": amount, "term_years": 5},
            "received_at": (start - timedelta(seconds=1)).isoformat(),
            "decided_at": start.isoformat(),
            "policy_version": "1.1.0",
            "probability_of_default": round(rng.uniform(0.01, 0.4), 4),
        }
        if declined:
            payload["reasons"] = [
                {"code": "DTI_TOO_HIGH", "text": "Your debts are high for your income."},
                {"code": "SHORT_CREDIT_HISTORY", "text": "Your credit history is short."},
            ]
        else:
            payload["offers"] = [
                {
                    "offer_id": "offer-1",
                    "product": product.value,
                    "amount": amount,
                    "interest_rate": 9.5,
                    "apr": 9.9,
                    "term_months": 60,
                    "monthly_payment": round(amount / 50, 2),
                    "total_interest": round(amount * 0.2, 2),
                }
            ]
        decisions.append(LoanDecision.model_validate(payload))
    return decisions


class _Receiver:
    def __init__(self, process: subprocess.Popen[bytes], port: int) -> None:
        self.process = process
        self.url = f"http://127.0.0.1:{port}"
        self._client = httpx.Client(timeout=30)

    def stats(self) -> dict[str, Any]:
        answer: dict[str, Any] = self._client.get(f"{self.url}/stats").json()
        return answer

    def reset(self) -> None:
        self._client.post(f"{self.url}/reset", content=b"")

    def wait_for(self, count: int, timeout_s: float) -> dict[str, Any]:
        """The notes once ``count`` deliveries (path and event) have arrived, or at the timeout."""
        deadline = time.monotonic() + timeout_s
        while True:
            stats = self.stats()
            if len(stats["arrivals"]) >= count or time.monotonic() > deadline:
                return stats
            time.sleep(0.25)

    def close(self) -> None:
        self._client.close()


@contextmanager
def _receiver() -> Iterator[_Receiver]:
    args = [sys.executable, "-m", "services.notifier.bench_receiver"]
    process = subprocess.Popen(args, stdout=subprocess.PIPE)  # noqa: S603 - own interpreter
    try:
        assert process.stdout is not None
        line = read_line(process.stdout, timeout_s=60).decode().split()
        if len(line) != 2 or line[0] != "ready":
            raise RuntimeError("the bench receiver did not start")
        receiver = _Receiver(process, int(line[1]))
        try:
            yield receiver
        finally:
            receiver.close()
    finally:
        process.terminate()
        process.wait(timeout=10)


def _subscriptions(url: str) -> list[dict[str, Any]]:
    return [
        {"id": "upstream", "client_id": None, "url": url + UPSTREAM_PATH, "events": ["decision"]},
        {
            "id": "rejections",
            "client_id": None,
            "url": f"{url}/rejections",
            "events": ["rejection"],
        },
    ]


def _settings(url: str, workers: int) -> WebhookSettings:
    return WebhookSettings(
        subscriptions=[{**s, "secret_id": "bench"} for s in _subscriptions(url)],
        secrets={"bench": SecretStr(_SECRET)},
        allow_hosts=("127.0.0.1",),
        workers=workers,
    )


def _baseline(url: str, decisions: Sequence[LoanDecision], workers: int) -> float:
    """Deliveries per second straight from a deliverer on ``workers`` threads."""
    settings = _settings(url, workers)
    deliverer = WebhookDeliverer.from_settings(settings, retry=RetryPolicy(max_attempts=1))
    target = Subscription.model_validate(
        {**_subscriptions(url)[0], "secret_id": "bench"},
        context={"allow_list": settings.allow_list()},
    )
    bodies = [(f"b{n}", webhook_body(f"b{n}", "decision", d)) for n, d in enumerate(decisions)]
    started = time.perf_counter()
    with deliverer, ThreadPoolExecutor(workers) as pool:
        results = list(pool.map(lambda item: deliverer.deliver(target, *item), bodies))
    elapsed = time.perf_counter() - started
    if not all(result.delivered for result in results):
        raise RuntimeError("the baseline could not deliver to the bench receiver")
    return len(bodies) / elapsed


class _Publisher:
    def __init__(self, bootstrap: str, topic: str) -> None:
        self._topic = topic
        self._producer = Producer(
            {"bootstrap.servers": bootstrap, "linger.ms": 1, "enable.idempotence": True}
        )
        self.sent_at: dict[str, float] = {}

    def publish(self, decision: LoanDecision) -> None:
        key = str(decision.application_id)
        event = CloudEvent.new(type=Topics.DECISIONS.ce_type, source="bench", subject=key)
        value = decision.model_dump_json().encode()
        self.sent_at[key] = time.time()
        while True:
            try:
                self._producer.produce(self._topic, value, key.encode(), headers=event.to_headers())
                break
            except BufferError:
                self._producer.poll(0.01)
        self._producer.poll(0)

    def flush(self) -> None:
        if self._producer.flush(60) != 0:
            raise RuntimeError("decisions were not acknowledged by the broker")


def _percentile(values: Sequence[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


@contextmanager
def _stage(
    bootstrap: str, redis_url: str, prefix: str, receiver_url: str, config: NotifierBenchConfig,
    log_path: Path,
) -> Iterator[list[subprocess.Popen[bytes]]]:  # fmt: skip
    """The webhook stage as deployed: ``config.instances`` processes in one consumer group,
    settings from the environment."""
    env = {
        **os.environ,
        "KAFKA_BOOTSTRAP_SERVERS": bootstrap,
        "REDIS_URL": redis_url,
        "PRESCREEN_REDIS_KEY_PREFIX": prefix,
        "PRESCREEN_NOTIFIER_WEBHOOK_SUBSCRIPTIONS": orjson.dumps(
            [{**s, "secret_id": "bench"} for s in _subscriptions(receiver_url)]
        ).decode(),
        "PRESCREEN_NOTIFIER_WEBHOOK_SECRETS": orjson.dumps({"bench": _SECRET}).decode(),
        "PRESCREEN_NOTIFIER_WEBHOOK_ALLOW_HOSTS": "127.0.0.1",
        "PRESCREEN_NOTIFIER_WEBHOOK_WORKERS": str(config.workers),
        "PYTHONUNBUFFERED": "1",
    }
    args = [sys.executable, "-m", "services.notifier.webhooks", "--topic-prefix", prefix]
    processes: list[subprocess.Popen[bytes]] = []
    try:
        with log_path.open("ab") as log:
            for instance in range(config.instances):
                instance_env = {**env, "PRESCREEN_RUNTIME_INSTANCE_ID": f"{prefix}-{instance}"}
                processes.append(
                    subprocess.Popen(args, env=instance_env, stdout=log, stderr=subprocess.STDOUT)  # noqa: S603
                )
        _wait_until_assigned(bootstrap, f"prescreen.{prefix}.notifier-webhooks", config)
        yield processes
    finally:
        stop_processes(processes)


def _wait_until_assigned(bootstrap: str, group: str, config: NotifierBenchConfig) -> None:
    """Wait until every instance has joined the group, so none joins mid-measurement."""
    admin = AdminClient({"bootstrap.servers": bootstrap})
    deadline = time.monotonic() + config.timeout_s
    while time.monotonic() < deadline:
        try:
            described = admin.describe_consumer_groups([group])[group].result(timeout=10)
        except KafkaException:  # the group's coordinator is still being chosen
            time.sleep(0.25)
            continue
        members = [m for m in described.members if m.assignment.topic_partitions]
        if len(members) >= config.instances and str(described.state).endswith("STABLE"):
            return
        time.sleep(0.25)
    raise RuntimeError(f"the {config.instances} notifier instances did not join in time")


def run_notifier_bench(
    config: NotifierBenchConfig, *, bootstrap: str, redis_url: str, workdir: Path
) -> dict[str, Any]:
    prefix = f"bench-notifier-{uuid.uuid4().hex[:8]}"
    topics = WebhookTopics.prefixed(prefix)
    ensure_topics(
        KafkaSettings(bootstrap_servers=bootstrap),
        [spec.name for spec in (*topics.inputs, topics.retries, topics.dead_letters)],
        partitions=Topics.DECISIONS.partitions,
    )
    (decisions_topic,) = [s.name for s in topics.inputs if s.name.endswith(Topics.DECISIONS.name)]
    fixed_count = int(config.fixed_rate_per_s * config.fixed_rate_s)
    decisions = synthetic_decisions(
        config.decisions + fixed_count, seed=config.seed, decline_share=config.decline_share
    )
    backlog, steady = decisions[: config.decisions], decisions[config.decisions :]
    with _receiver() as receiver:
        baseline = _baseline(receiver.url, backlog[: min(5_000, len(backlog))], config.workers)
        receiver.reset()
        publisher = _Publisher(bootstrap, decisions_topic)
        for decision in backlog:
            publisher.publish(decision)
        publisher.flush()
        log_path = workdir / "notifier-webhooks.log"
        with _stage(bootstrap, redis_url, prefix, receiver.url, config, log_path):
            drained = receiver.wait_for(_deliveries(backlog), config.timeout_s)
            receiver.reset()
            publisher.sent_at.clear()
            started = time.monotonic()
            for index, decision in enumerate(steady):
                ahead = index / config.fixed_rate_per_s - (time.monotonic() - started)
                if ahead > 0:
                    time.sleep(ahead)
                publisher.publish(decision)
            publisher.flush()
            steady_stats = receiver.wait_for(_deliveries(steady), config.timeout_s)
    return _report(config, baseline, backlog, drained, steady, steady_stats, publisher.sent_at)


def _deliveries(decisions: Sequence[LoanDecision]) -> int:
    """Deliveries owed: every decision to the upstream system, declines to the feed too."""
    return len(decisions) + sum(1 for d in decisions if d.outcome.value == "declined")


def _report(
    config: NotifierBenchConfig,
    baseline_per_s: float,
    backlog: Sequence[LoanDecision],
    drained: dict[str, Any],
    steady: Sequence[LoanDecision],
    steady_stats: dict[str, Any],
    sent_at: dict[str, float],
) -> dict[str, Any]:
    arrivals: dict[str, float] = drained["arrivals"]
    times = sorted(arrivals.values())
    span = times[-1] - times[0] if len(times) > 1 else 0.0
    delivered = sum(1 for key in arrivals if key.startswith(f"{UPSTREAM_PATH} "))
    decisions_per_s = delivered / span if span > 0 else 0.0
    steady_arrivals: dict[str, float] = steady_stats["arrivals"]
    latencies = [
        (steady_arrivals[f"{UPSTREAM_PATH} {key}"] - sent) * 1000
        for key, sent in sent_at.items()
        if f"{UPSTREAM_PATH} {key}" in steady_arrivals
    ]
    lost = (_deliveries(backlog) - len(arrivals)) + (_deliveries(steady) - len(steady_arrivals))
    return {
        "decisions_per_s": round(decisions_per_s),
        "webhook_p99_ms": round(_percentile(latencies, 0.99), 1) if latencies else None,
        "webhook_p50_ms": round(_percentile(latencies, 0.50), 1) if latencies else None,
        "deliveries_per_s": round(len(arrivals) / span) if span > 0 else 0,
        "baseline_direct_deliveries_per_s": round(baseline_per_s),
        "pipeline_goal_per_s": PIPELINE_GOAL_PER_S,
        "keeps_pace": decisions_per_s >= PIPELINE_GOAL_PER_S,
        "fixed_rate_per_s": config.fixed_rate_per_s,
        "backlog_decisions": len(backlog),
        "fixed_rate_decisions": len(steady),
        "lost_deliveries": lost,
        "repeated_deliveries": int(drained["repeats"]) + int(steady_stats["repeats"]),
        "subscriptions": ["upstream (every decision)", "rejection feed (declines)"],
        "workers": config.workers,
        "instances": config.instances,
    }
