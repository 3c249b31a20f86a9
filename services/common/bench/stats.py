"""Small statistics helpers for benchmark reports."""

from __future__ import annotations

import math
from collections.abc import Sequence


def percentile(values: Sequence[float], pct: float) -> float:
    """Nearest-rank percentile; 0.0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return float(ordered[rank - 1])


def rate(count: int, start_ns: int, end_ns: int) -> float:
    """Events per second over [start, end]; 0.0 when the interval is empty."""
    elapsed = (end_ns - start_ns) / 1e9
    return count / elapsed if elapsed > 0 else 0.0
