"""Latency histograms and probability bins: percentiles within a bucket's width, bounded size."""

from __future__ import annotations

import math
import random

import pytest

from services.notifier.dashboard.histogram import LatencyHistogram, ProbabilityBins


def exact(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[max(1, math.ceil(q * len(ordered))) - 1]


def test_percentiles_are_within_six_percent_of_the_nearest_rank() -> None:
    rng = random.Random(7)
    values = [rng.lognormvariate(5, 1.5) for _ in range(5000)]
    histogram = LatencyHistogram()
    for value in values:
        histogram.add(value)
    for q in (0.5, 0.9, 0.99):
        assert histogram.percentile(q) == pytest.approx(exact(values, q), rel=0.06)
    assert histogram.count == 5000


def test_merging_minutes_equals_one_histogram_of_everything() -> None:
    first, second, together = LatencyHistogram(), LatencyHistogram(), LatencyHistogram()
    for value in (1.0, 5.0, 20.0):
        first.add(value)
        together.add(value)
    for value in (300.0, 4000.0):
        second.add(value)
        together.add(value)
    first.merge(second)
    assert first.count == 5
    for q in (0.2, 0.5, 0.99):
        assert first.percentile(q) == together.percentile(q)
    assert first.percentile(1.0) == 4000.0 and first.percentile(0.01) == 1.0


def test_size_is_bounded_whatever_the_values() -> None:
    histogram = LatencyHistogram()
    rng = random.Random(3)
    for _ in range(20_000):
        histogram.add(rng.uniform(-5, 1e12))
    histogram.add(0.0)
    assert histogram.filled_buckets <= LatencyHistogram.BUCKETS
    assert histogram.minimum == 0.0  # negative values count as zero


def test_empty_histogram_and_bad_quantiles() -> None:
    histogram = LatencyHistogram()
    assert histogram.percentile(0.5) is None
    with pytest.raises(ValueError):
        histogram.percentile(0)
    with pytest.raises(ValueError):
        histogram.percentile(1.5)


def test_probability_bins_edges_and_unscored() -> None:
    bins = ProbabilityBins()
    for probability in (0.0, 0.0999, 0.1, 0.5, 0.9999, 1.0, None, math.nan):
        bins.add(probability)
    assert bins.counts == [2, 1, 0, 0, 0, 1, 0, 0, 0, 2]
    assert bins.unscored == 2
    assert ProbabilityBins.edges()[3] == (0.3, 0.4)
