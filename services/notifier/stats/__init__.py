"""Decision statistics: closed one-minute windows per product and outcome, with faust.

See README.md in this directory.
"""

from services.notifier.stats.closing import ClosingRule, Progress
from services.notifier.stats.settings import StatsSettings
from services.notifier.stats.windows import (
    Aggregate,
    Contribution,
    WindowKey,
    aggregate,
    build_stats,
    window_bounds,
)

__all__ = [
    "Aggregate",
    "ClosingRule",
    "Contribution",
    "Progress",
    "StatsSettings",
    "WindowKey",
    "aggregate",
    "build_stats",
    "window_bounds",
]
