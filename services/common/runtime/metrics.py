"""Prometheus metrics of one stage instance."""

from __future__ import annotations

from bisect import bisect_left
from collections import Counter
from collections.abc import Sequence

from prometheus_client import CollectorRegistry, Gauge, Histogram
from prometheus_client import Counter as CounterMetric

_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300)
_BATCH_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)


class StageMetrics:
    """Counters and histograms labelled by stage; one registry per runtime instance."""

    def __init__(self, stage: str, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        self.stage = stage
        labels = ["stage", "topic"]
        self.consumed = CounterMetric(
            "prescreen_events_consumed", "Records read from Kafka.", labels, registry=self.registry
        )
        self.produced = CounterMetric(
            "prescreen_events_produced",
            "Records published in committed transactions.",
            labels,
            registry=self.registry,
        )
        self.dead_lettered = CounterMetric(
            "prescreen_events_dead_lettered",
            "Inputs sent to the dead-letter topic.",
            [*labels, "kind"],
            registry=self.registry,
        )
        self.duplicates = CounterMetric(
            "prescreen_duplicates_dropped",
            "Business duplicates dropped before the handler.",
            labels,
            registry=self.registry,
        )
        self.transactions = CounterMetric(
            "prescreen_transactions",
            "Kafka transactions by result.",
            ["stage", "result"],
            registry=self.registry,
        )
        self.retries = CounterMetric(
            "prescreen_handler_retries",
            "Transient handler failures retried.",
            ["stage"],
            registry=self.registry,
        )
        self.batch_seconds = Histogram(
            "prescreen_batch_seconds",
            "Wall time from poll to committed transaction per batch.",
            ["stage"],
            buckets=_BATCH_BUCKETS,
            registry=self.registry,
        )
        self.batch_size = Histogram(
            "prescreen_batch_events",
            "Records per batch.",
            ["stage"],
            buckets=(1, 5, 10, 50, 100, 250, 500, 1000, 2500, 5000),
            registry=self.registry,
        )
        self.input_age_seconds = Histogram(
            "prescreen_input_age_seconds",
            "Input event time (ce_time, set by the previous stage) to this stage's commit.",
            labels,
            buckets=_LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.end_to_end_seconds = Histogram(
            "prescreen_end_to_end_latency_seconds",
            "Start of the application's chain (prescreen_origin_time) to this stage's commit.",
            labels,
            buckets=_LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.lag = Gauge(
            "prescreen_consumer_lag",
            "Records behind the end of the log, per assigned partition.",
            [*labels, "partition"],
            registry=self.registry,
        )
        self.assigned = Gauge(
            "prescreen_assigned_partitions",
            "Partitions assigned to this instance.",
            ["stage"],
            registry=self.registry,
        )


def observe_all(histogram: Histogram, values: Sequence[float]) -> None:
    """Record many observations at once: one lock per touched bucket instead of per value.

    Stages observe two latencies per event; done one by one that was a measurable share of a
    hop's CPU. Falls back to ``observe`` if the client library's layout ever differs.
    """
    bounds = getattr(histogram, "_upper_bounds", None)
    buckets = getattr(histogram, "_buckets", None)
    total = getattr(histogram, "_sum", None)
    if not values:
        return
    if bounds is None or buckets is None or total is None or len(bounds) != len(buckets):
        for value in values:
            histogram.observe(value)
        return
    for index, count in Counter(bisect_left(bounds, value) for value in values).items():
        buckets[index].inc(count)
    total.inc(sum(values))
