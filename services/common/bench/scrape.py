"""Reading a stage's own Prometheus metrics to break benchmark latency down per hop."""

from __future__ import annotations

import urllib.request
from dataclasses import dataclass

from prometheus_client.parser import text_string_to_metric_families


@dataclass(frozen=True)
class StageSample:
    """Cumulative counters of one stage at one moment."""

    batches: float
    batch_seconds: float
    events: float
    transactions_committed: float
    transactions_aborted: float
    latency_seconds_sum: float
    latency_count: float

    def minus(self, earlier: StageSample) -> StageSample:
        return StageSample(
            *(getattr(self, f) - getattr(earlier, f) for f in self.__dataclass_fields__)
        )

    def summary(self) -> dict[str, float]:
        """Per-batch and per-event averages over the sampled interval."""
        batches = self.batches or 1.0
        return {
            "batches": self.batches,
            "mean_batch_events": round(self.events / batches, 1),
            "mean_batch_ms": round(self.batch_seconds / batches * 1000, 2),
            "transactions": self.transactions_committed,
            "aborted": self.transactions_aborted,
            "mean_input_age_ms": round(
                self.latency_seconds_sum / (self.latency_count or 1.0) * 1000, 2
            ),
        }


def sample(port: int, host: str = "127.0.0.1") -> StageSample:
    with urllib.request.urlopen(f"http://{host}:{port}/metrics", timeout=5) as response:
        text = response.read().decode()
    values: dict[str, float] = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            name = s.name
            if name == "prescreen_transactions_total":
                name = f"{name}:{s.labels.get('result')}"
            values[name] = values.get(name, 0.0) + s.value
    return StageSample(
        batches=values.get("prescreen_batch_seconds_count", 0.0),
        batch_seconds=values.get("prescreen_batch_seconds_sum", 0.0),
        events=values.get("prescreen_batch_events_sum", 0.0),
        transactions_committed=values.get("prescreen_transactions_total:committed", 0.0),
        transactions_aborted=values.get("prescreen_transactions_total:aborted", 0.0),
        latency_seconds_sum=values.get("prescreen_input_age_seconds_sum", 0.0),
        latency_count=values.get("prescreen_input_age_seconds_count", 0.0),
    )
