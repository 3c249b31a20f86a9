"""Submit synthetic applications through the ingest API and wait for every decision.

The decisions are read from ``loan.decisions.v1`` itself (``read_committed``, from where the
topic ended before the first submission), not from the status API, so the run sees exactly
what a downstream consumer sees: a decision that is missing is ``lost``, one that arrives
twice is a ``duplicate``. Latency runs from the moment the API accepted an application to the
moment its decision could be read from the topic.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx
import orjson
from confluent_kafka import OFFSET_END, Consumer, TopicPartition

from services.common.contracts import Topics
from services.common.contracts.decision import LoanDecision
from services.stack.synthetic import SyntheticApplication

API_KEY_HEADER = "X-API-Key"


@dataclass
class DemoReport:
    submitted: int = 0
    refused: Counter[int] = field(default_factory=Counter)
    """Submissions the API did not accept, by HTTP status."""
    decided: int = 0
    duplicates: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)
    latencies_ms: list[float] = field(default_factory=list)
    accepted_at: dict[str, float] = field(default_factory=dict)

    @property
    def lost(self) -> int:
        return self.submitted - self.decided

    def summary(self) -> dict[str, Any]:
        ordered = sorted(self.latencies_ms)

        def percentile(share: float) -> float | None:
            if not ordered:
                return None
            return round(ordered[min(len(ordered) - 1, int(share * len(ordered)))], 1)

        return {
            "submitted": self.submitted,
            "decided": self.decided,
            "approved": self.outcomes["approved"],
            "declined": self.outcomes["declined"],
            "referred": self.outcomes["referred"],
            "counter_offered": self.outcomes["counter_offered"],
            "duplicates": self.duplicates,
            "lost": self.lost,
            "p50_ms": percentile(0.50),
            "p99_ms": percentile(0.99),
            "refused_by_api": {str(status): count for status, count in self.refused.items()},
        }


class DecisionWatcher:
    """Reads decisions from the end of the topic as it was when the watcher was made."""

    def __init__(self, bootstrap: str, topic: str = Topics.DECISIONS.name) -> None:
        self._consumer = Consumer(
            {
                "bootstrap.servers": bootstrap,
                "group.id": f"prescreen-demo-{uuid.uuid4().hex}",
                "isolation.level": "read_committed",
                "enable.auto.commit": False,
                "fetch.wait.max.ms": 20,
            }
        )
        metadata = self._consumer.list_topics(topic, timeout=10)
        partitions = sorted(metadata.topics[topic].partitions)
        starts = []
        for partition in partitions:
            _low, high = self._consumer.get_watermark_offsets(
                TopicPartition(topic, partition), timeout=10
            )
            starts.append(TopicPartition(topic, partition, high if high >= 0 else OFFSET_END))
        self._consumer.assign(starts)

    def poll(self, timeout_s: float) -> list[LoanDecision]:
        decisions = []
        for message in self._consumer.consume(1000, timeout_s):
            if message.error():
                continue
            value = message.value()
            if value is not None:
                decisions.append(LoanDecision.model_validate_json(value))
        return decisions

    def close(self) -> None:
        self._consumer.close()


async def _submit_all(
    base_url: str,
    api_key: str,
    applications: Sequence[SyntheticApplication],
    report: DemoReport,
    *,
    concurrency: int,
    rate_per_s: float | None,
) -> None:
    limit = asyncio.Semaphore(concurrency)
    started = time.monotonic()
    headers = {API_KEY_HEADER: api_key, "Content-Type": "application/json"}
    async with httpx.AsyncClient(base_url=base_url, headers=headers, timeout=30) as client:

        async def one(index: int, application: SyntheticApplication) -> None:
            if rate_per_s:
                await asyncio.sleep(max(0.0, index / rate_per_s - (time.monotonic() - started)))
            async with limit:
                response = await client.post(
                    "/v1/applications", content=orjson.dumps(application.body)
                )
            if response.status_code == 202:
                report.accepted_at[application.application_id] = time.time()
                report.submitted += 1
            else:
                report.refused[response.status_code] += 1

        await asyncio.gather(*(one(i, a) for i, a in enumerate(applications)))


def run_demo(
    base_url: str,
    api_key: str,
    bootstrap: str,
    applications: Sequence[SyntheticApplication],
    *,
    concurrency: int = 16,
    rate_per_s: float | None = None,
    timeout_s: float = 300.0,
    on_decision: Callable[[LoanDecision, DemoReport], None] | None = None,
) -> DemoReport:
    """Submit ``applications`` and wait (up to ``timeout_s`` after the last submission) until
    each accepted one has its decision; ``on_decision`` sees each as it arrives."""
    report = DemoReport()
    watcher = DecisionWatcher(bootstrap)
    seen: Counter[str] = Counter()
    wanted = {application.application_id for application in applications}
    try:
        asyncio.run(
            _submit_all(
                base_url,
                api_key,
                applications,
                report,
                concurrency=concurrency,
                rate_per_s=rate_per_s,
            )
        )
        deadline = time.monotonic() + timeout_s
        while report.decided < report.submitted and time.monotonic() < deadline:
            for decision in watcher.poll(0.5):
                _count(decision, report, seen, wanted, on_decision)
        # A little longer, so a duplicate arriving just after the last decision is counted.
        settle = time.monotonic() + 2.0
        while time.monotonic() < settle:
            for decision in watcher.poll(0.2):
                _count(decision, report, seen, wanted, on_decision)
    finally:
        watcher.close()
    return report


def _count(
    decision: LoanDecision,
    report: DemoReport,
    seen: Counter[str],
    wanted: set[str],
    on_decision: Callable[[LoanDecision, DemoReport], None] | None,
) -> None:
    key = str(decision.application_id)
    if key not in wanted:
        return  # another client's traffic on a shared stack
    seen[key] += 1
    if seen[key] > 1:
        report.duplicates += 1
        return
    report.decided += 1
    report.outcomes[decision.outcome.value] += 1
    accepted = report.accepted_at.get(key)
    if accepted is not None:
        report.latencies_ms.append((time.time() - accepted) * 1000)
    if on_decision is not None:
        on_decision(decision, report)
