"""Pure parts of the statistics: window assignment, contributions, aggregates and the event.

Nothing here touches Kafka or faust, so the figures a window gets can be tested on their own.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from pydantic import AwareDatetime, Field

from services.common.contracts.base import EventModel
from services.common.contracts.decision import DecisionOutcome, LoanDecision
from services.common.contracts.notifications import DecisionStats
from services.common.contracts.primitives import LoanProduct, Money, Probability

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def window_bounds(at: datetime, size: timedelta) -> tuple[datetime, datetime]:
    """The tumbling window ``[start, end)`` holding ``at``, aligned to the Unix epoch in UTC.

    Computed on timedeltas (exact microseconds), not float seconds, so an instant on a boundary
    always opens the next window.
    """
    if at.tzinfo is None:
        raise ValueError("a window needs an aware datetime")
    if size <= timedelta(0):
        raise ValueError("the window size must be positive")
    start = (at - (at - EPOCH) % size).astimezone(UTC)
    return start, start + size


@dataclass(frozen=True, order=True, slots=True)
class WindowKey:
    """One product and outcome in one window: the unit a ``DecisionStats`` event reports."""

    start: datetime
    end: datetime
    product: LoanProduct
    outcome: DecisionOutcome

    @property
    def text(self) -> str:
        """The same text as ``DecisionStats.key``."""
        return f"{self.start.isoformat()}|{self.product.value}|{self.outcome.value}"


class Contribution(EventModel):
    """What one decision adds to its window, without anything that identifies the applicant."""

    decision_id: str = Field(
        min_length=1, max_length=80, description="Application id and revision: one decision."
    )
    window_start: AwareDatetime
    window_end: AwareDatetime
    product: LoanProduct
    outcome: DecisionOutcome
    decided_at: AwareDatetime
    requested_amount: Money
    offered_amount: Money
    probability_of_default: Probability | None = None

    @classmethod
    def of(cls, decision: LoanDecision, size: timedelta) -> Contribution:
        start, end = window_bounds(decision.decided_at, size)
        return cls(
            decision_id=f"{decision.application_id}:{decision.revision}",
            window_start=start,
            window_end=end,
            product=decision.requested.product,
            outcome=decision.outcome,
            decided_at=decision.decided_at,
            requested_amount=decision.requested.amount,
            offered_amount=decision.offers[0].amount if decision.offers else 0.0,
            probability_of_default=decision.probability_of_default,
        )

    @property
    def window(self) -> WindowKey:
        # JSON round trips bring the times back with pydantic's own UTC tzinfo; one tzinfo keeps
        # the key text and the event identical however the contribution was read.
        return WindowKey(
            self.window_start.astimezone(UTC),
            self.window_end.astimezone(UTC),
            self.product,
            self.outcome,
        )

    @property
    def state_key(self) -> str:
        """Unique per window and decision, so a redelivered decision overwrites itself."""
        return f"{self.window.text}|{self.decision_id}"


@dataclass(frozen=True, slots=True)
class Aggregate:
    decisions: int
    requested_amount: float
    offered_amount: float
    mean_probability_of_default: float | None


def aggregate(contributions: Iterable[Contribution]) -> Aggregate:
    """Count, sums and the PD mean over the scored decisions, one decision counted once.

    ``math.fsum`` is exact before its single rounding, so the figures do not depend on the
    order the decisions were read in: a window republished after a restart is identical.
    """
    unique = {c.decision_id: c for c in contributions}
    if not unique:
        raise ValueError("a window needs at least one decision")
    items = list(unique.values())
    scored = [c.probability_of_default for c in items if c.probability_of_default is not None]
    return Aggregate(
        decisions=len(items),
        requested_amount=round(math.fsum(c.requested_amount for c in items), 2),
        offered_amount=round(math.fsum(c.offered_amount for c in items), 2),
        mean_probability_of_default=math.fsum(scored) / len(scored) if scored else None,
    )


def by_window(contributions: Iterable[Contribution]) -> dict[WindowKey, list[Contribution]]:
    grouped: dict[WindowKey, list[Contribution]] = defaultdict(list)
    for contribution in contributions:
        grouped[contribution.window].append(contribution)
    return dict(grouped)


def build_stats(window: WindowKey, figures: Aggregate) -> DecisionStats:
    return DecisionStats(
        window_start=window.start,
        window_end=window.end,
        product=window.product,
        outcome=window.outcome,
        decisions=figures.decisions,
        requested_amount=figures.requested_amount,
        offered_amount=figures.offered_amount,
        mean_probability_of_default=figures.mean_probability_of_default,
    )
