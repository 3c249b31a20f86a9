"""Fixed-size histograms: log-spaced latency buckets and the default-probability bins.

Percentiles come from per-minute histograms rather than from raw samples so that memory stays
bounded however many decisions a minute holds: a latency histogram has at most
``LatencyHistogram.BUCKETS`` counters, and merging the minutes of the window is a sum.
"""

from __future__ import annotations

import math
from collections import Counter
from typing import ClassVar


class LatencyHistogram:
    """Counts of millisecond latencies in buckets 1/20 of a decade wide.

    A percentile is reported as the geometric middle of its bucket, clamped to the smallest and
    largest value seen, so it is within about 6 % of the exact nearest-rank value.
    """

    FLOOR_MS: ClassVar[float] = 0.1
    PER_DECADE: ClassVar[int] = 20
    DECADES: ClassVar[int] = 9  # 0.1 ms .. 10^8 ms (about 28 hours)
    BUCKETS: ClassVar[int] = PER_DECADE * DECADES

    __slots__ = ("_buckets", "count", "maximum", "minimum")

    def __init__(self) -> None:
        # Sparse: a minute usually fills a handful of buckets, not all 180.
        self._buckets: Counter[int] = Counter()
        self.count = 0
        self.minimum = math.inf
        self.maximum = -math.inf

    @classmethod
    def bucket_of(cls, value_ms: float) -> int:
        if value_ms <= cls.FLOOR_MS:
            return 0
        index = int(math.log10(value_ms / cls.FLOOR_MS) * cls.PER_DECADE)
        return min(index, cls.BUCKETS - 1)

    @classmethod
    def middle_of(cls, bucket: int) -> float:
        return cls.FLOOR_MS * 10 ** ((bucket + 0.5) / cls.PER_DECADE)

    def add(self, value_ms: float) -> None:
        """Record one latency; negative values (clock skew between stages) count as zero."""
        value = max(0.0, value_ms)
        self._buckets[self.bucket_of(value)] += 1
        self.count += 1
        self.minimum = min(self.minimum, value)
        self.maximum = max(self.maximum, value)

    def merge(self, other: LatencyHistogram) -> None:
        self._buckets.update(other._buckets)
        self.count += other.count
        self.minimum = min(self.minimum, other.minimum)
        self.maximum = max(self.maximum, other.maximum)

    def percentile(self, q: float) -> float | None:
        """The nearest-rank ``q`` quantile (0 < q <= 1), or None when nothing was recorded."""
        if not 0 < q <= 1:
            raise ValueError("q must be in (0, 1]")
        if self.count == 0:
            return None
        rank = max(1, math.ceil(q * self.count))
        # The extremes are known exactly; with under 100 values p99 is the maximum.
        if rank == 1:
            return self.minimum
        if rank == self.count:
            return self.maximum
        seen = 0
        for bucket in sorted(self._buckets):
            seen += self._buckets[bucket]
            if seen >= rank:
                return min(self.maximum, max(self.minimum, self.middle_of(bucket)))
        return self.maximum  # pragma: no cover - the counts always reach the rank

    @property
    def filled_buckets(self) -> int:
        return len(self._buckets)


class ProbabilityBins:
    """Counts of default probabilities in ``BINS`` equal bins over [0, 1], plus the unscored."""

    BINS: ClassVar[int] = 10

    __slots__ = ("counts", "unscored")

    def __init__(self) -> None:
        self.counts = [0] * self.BINS
        self.unscored = 0

    @classmethod
    def bin_of(cls, probability: float) -> int:
        # 1.0 belongs to the last bin: the bins are [0, 0.1), ..., [0.9, 1.0].
        return min(int(probability * cls.BINS), cls.BINS - 1)

    def add(self, probability: float | None) -> None:
        if probability is None or not math.isfinite(probability):
            self.unscored += 1
            return
        self.counts[self.bin_of(min(1.0, max(0.0, probability)))] += 1

    def merge(self, other: ProbabilityBins) -> None:
        self.counts = [a + b for a, b in zip(self.counts, other.counts, strict=True)]
        self.unscored += other.unscored

    @classmethod
    def edges(cls) -> list[tuple[float, float]]:
        return [(i / cls.BINS, (i + 1) / cls.BINS) for i in range(cls.BINS)]
