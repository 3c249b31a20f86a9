"""The rolling window of decisions: per-minute buckets of decision time, evicted as time moves.

Pure and single-threaded: callers pass ``now`` and own the locking (the hub calls it from the
event loop only). Memory is bounded by the window, not by the traffic: a minute holds fixed-size
counters, at most ``MAX_REASON_CODES`` reason codes and ``LatencyHistogram.BUCKETS`` buckets per
stage, and the latest-decisions list holds ``latest_count`` rows.
"""

from __future__ import annotations

import bisect
import math
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import ClassVar, Final

from services.common.contracts.decision import DecisionOutcome, LoanDecision
from services.common.contracts.primitives import LoanProduct, StageName
from services.notifier.dashboard.histogram import LatencyHistogram, ProbabilityBins
from services.notifier.dashboard.models import (
    END_TO_END,
    ApprovalRate,
    FeedStats,
    LatencyStat,
    LatestDecision,
    MinuteCounts,
    ProbabilityBin,
    ProbabilityHistogram,
    ReasonCount,
    Snapshot,
)

OTHER_REASONS: Final = "OTHER"
_APPROVING: Final = (DecisionOutcome.APPROVED, DecisionOutcome.COUNTER_OFFERED)
_LATENCY_ROWS: Final = (*(stage.value for stage in StageName), END_TO_END)


def minute_of(moment: datetime) -> int:
    """Minutes since the epoch of an aware time."""
    return math.floor(moment.timestamp() / 60)


def _minute_start(minute: int) -> datetime:
    return datetime.fromtimestamp(minute * 60, UTC)


class _Minute:
    """Everything counted for the decisions of one minute."""

    __slots__ = ("declines", "latencies", "outcomes", "probabilities", "products", "texts")

    def __init__(self) -> None:
        self.outcomes: Counter[DecisionOutcome] = Counter()
        self.products: Counter[LoanProduct] = Counter()
        self.declines: Counter[str] = Counter()
        self.texts: dict[str, str] = {}
        self.probabilities = ProbabilityBins()
        self.latencies: dict[str, LatencyHistogram] = {}

    def add(self, decision: LoanDecision, max_codes: int) -> None:
        self.outcomes[decision.outcome] += 1
        self.products[decision.requested.product] += 1
        self.probabilities.add(decision.probability_of_default)
        if decision.outcome is DecisionOutcome.DECLINED:
            for code in {reason.code for reason in decision.reasons}:
                text = next(r.text for r in decision.reasons if r.code == code)
                if code in self.declines or len(self.declines) < max_codes:
                    self.declines[code] += 1
                    self.texts[code] = text
                else:
                    self.declines[OTHER_REASONS] += 1
        for stage, millis in decision.stage_timings_ms.items():
            if math.isfinite(millis):
                self._latency(stage.value).add(millis)
        elapsed = decision.decided_at - decision.received_at
        self._latency(END_TO_END).add(elapsed.total_seconds() * 1000)

    def _latency(self, name: str) -> LatencyHistogram:
        histogram = self.latencies.get(name)
        if histogram is None:
            histogram = self.latencies[name] = LatencyHistogram()
        return histogram


class DecisionWindow:
    """Aggregates of the decisions of the last ``window_minutes`` minutes of decision time.

    The window is the current minute and the ``window_minutes - 1`` before it. A decision
    stamped up to ``FUTURE_SKEW`` ahead of ``now`` (another host's clock) counts in the current
    minute; older or further-ahead decisions are ignored and counted.
    """

    FUTURE_SKEW: ClassVar[timedelta] = timedelta(minutes=1)
    MAX_REASON_CODES: ClassVar[int] = 64

    def __init__(self, *, window_minutes: int = 15, latest_count: int = 20, top_reasons: int = 10):
        if window_minutes < 1 or latest_count < 1 or top_reasons < 1:
            raise ValueError("window_minutes, latest_count and top_reasons must be positive")
        self.window_minutes = window_minutes
        self.latest_count = latest_count
        self.top_reasons = top_reasons
        self._minutes: dict[int, _Minute] = {}
        # Ascending by (decided_at, application id); the table shows it reversed.
        self._latest: list[tuple[datetime, str, int, LatestDecision]] = []
        self.ignored_outside_window = 0

    def add(self, decision: LoanDecision, now: datetime) -> LatestDecision | None:
        """Count ``decision``; its table row if it fell in the window, else None."""
        current = minute_of(now)
        minute = minute_of(decision.decided_at)
        if minute > current:
            if decision.decided_at - now > self.FUTURE_SKEW:
                self.ignored_outside_window += 1
                return None
            minute = current
        if minute <= current - self.window_minutes:
            self.ignored_outside_window += 1
            return None
        self.evict(now)
        bucket = self._minutes.get(minute)
        if bucket is None:
            bucket = self._minutes[minute] = _Minute()
        bucket.add(decision, self.MAX_REASON_CODES)
        row = LatestDecision.of(decision)
        self._remember(row)
        return row

    def _remember(self, row: LatestDecision) -> None:
        # The same application and revision read twice (a replay) is one row, the newer one.
        self._latest = [
            entry
            for entry in self._latest
            if (entry[1], entry[2]) != (str(row.application_id), row.revision)
        ]
        bisect.insort(self._latest, (row.decided_at, str(row.application_id), row.revision, row))
        del self._latest[: max(0, len(self._latest) - self.latest_count)]

    def evict(self, now: datetime) -> None:
        """Forget the minutes, and the table rows, that the window has left behind."""
        oldest = minute_of(now) - self.window_minutes + 1
        for minute in [m for m in self._minutes if m < oldest]:
            del self._minutes[minute]
        start = _minute_start(oldest)
        self._latest = [entry for entry in self._latest if entry[0] >= start]

    def snapshot(self, now: datetime, feed: FeedStats | None = None) -> Snapshot:
        self.evict(now)
        current = minute_of(now)
        span = range(current - self.window_minutes + 1, current + 1)
        outcomes: Counter[DecisionOutcome] = Counter()
        products: Counter[LoanProduct] = Counter()
        declines: Counter[str] = Counter()
        texts: dict[str, str] = {}
        probabilities = ProbabilityBins()
        latencies: dict[str, LatencyHistogram] = {}
        minutes = []
        for minute in span:
            bucket = self._minutes.get(minute) or _Minute()
            outcomes.update(bucket.outcomes)
            products.update(bucket.products)
            declines.update(bucket.declines)
            texts.update(bucket.texts)  # later minutes win: the newest wording of a code
            probabilities.merge(bucket.probabilities)
            for name, histogram in bucket.latencies.items():
                latencies.setdefault(name, LatencyHistogram()).merge(histogram)
            minutes.append(
                MinuteCounts(
                    start=_minute_start(minute),
                    total=sum(bucket.outcomes.values()),
                    by_outcome=_all_outcomes(bucket.outcomes),
                    by_product=_all_products(bucket.products),
                )
            )
        total = sum(outcomes.values())
        approving = sum(outcomes[o] for o in _APPROVING)
        return Snapshot(
            generated_at=now,
            window_minutes=self.window_minutes,
            window_start=_minute_start(span.start),
            window_end=now,
            decisions=total,
            by_outcome=_all_outcomes(outcomes),
            by_product=_all_products(products),
            approval=ApprovalRate(
                rate=approving / total if total else None,
                approved=outcomes[DecisionOutcome.APPROVED],
                counter_offered=outcomes[DecisionOutcome.COUNTER_OFFERED],
                decisions=total,
            ),
            minutes=tuple(minutes),
            decline_reasons=tuple(
                ReasonCount(code=code, text=texts.get(code, "other reasons"), count=count)
                for code, count in sorted(declines.items(), key=lambda item: (-item[1], item[0]))[
                    : self.top_reasons
                ]
            ),
            probability_of_default=ProbabilityHistogram(
                bins=tuple(
                    ProbabilityBin(lower=lower, upper=upper, count=count)
                    for (lower, upper), count in zip(
                        ProbabilityBins.edges(), probabilities.counts, strict=True
                    )
                ),
                scored=sum(probabilities.counts),
                unscored=probabilities.unscored,
            ),
            latency=tuple(_latency_stat(name, latencies.get(name)) for name in _LATENCY_ROWS),
            latest=tuple(entry[3] for entry in reversed(self._latest)),
            latest_count=self.latest_count,
            ignored_outside_window=self.ignored_outside_window,
            feed=feed,
        )

    @property
    def buckets(self) -> int:
        """Minutes currently held (for tests of eviction)."""
        return len(self._minutes)


def _all_outcomes(counts: Counter[DecisionOutcome]) -> dict[DecisionOutcome, int]:
    return {outcome: counts[outcome] for outcome in DecisionOutcome}


def _all_products(counts: Counter[LoanProduct]) -> dict[LoanProduct, int]:
    return {product: counts[product] for product in LoanProduct}


def _latency_stat(name: str, histogram: LatencyHistogram | None) -> LatencyStat:
    if histogram is None:
        return LatencyStat(stage=name, count=0, p50_ms=None, p99_ms=None)
    return LatencyStat(
        stage=name,
        count=histogram.count,
        p50_ms=histogram.percentile(0.5),
        p99_ms=histogram.percentile(0.99),
    )
