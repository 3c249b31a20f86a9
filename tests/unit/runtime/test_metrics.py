"""Bulk histogram observations must equal one-by-one observations."""

from __future__ import annotations

import random

from prometheus_client import CollectorRegistry, Histogram, generate_latest

from services.common.runtime.metrics import observe_all


def test_observe_all_matches_observe_exactly() -> None:
    values = [random.uniform(0, 20) for _ in range(500)] + [0.005, 0.01, 1e9, 0.0]
    one_by_one, bulk = CollectorRegistry(), CollectorRegistry()
    buckets = (0.005, 0.01, 0.1, 1, 10)
    a = Histogram("h", "d", ["s"], buckets=buckets, registry=one_by_one).labels("x")
    b = Histogram("h", "d", ["s"], buckets=buckets, registry=bulk).labels("x")
    for value in values:
        a.observe(value)
    observe_all(b, values)

    def without_created(registry: CollectorRegistry) -> list[str]:
        text = generate_latest(registry).decode().splitlines()
        return [line for line in text if "_created" not in line]

    assert without_created(one_by_one) == without_created(bulk)
