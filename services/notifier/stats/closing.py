"""When a window closes, and which decisions come too late for theirs (pure).

Event time is the largest ``decided_at`` seen (the watermark). A window closes once the
watermark is ``grace`` past its end, or once no decision at all arrived for ``idle_close`` of
wall-clock time (then every open window closes). ``closed_until`` remembers the latest end
closed so far, so a decision for a window that already closed is late even when the idle rule,
not event time, closed it. ``published_until`` marks that the windows up to it went out, so a
restart between publishing and forgetting them does not publish them again from a partial state.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from pydantic import AwareDatetime

from services.common.contracts.base import EventModel
from services.notifier.stats.windows import Contribution, WindowKey


def _later(a: datetime | None, b: datetime | None) -> datetime | None:
    if a is None:
        return b
    if b is None:
        return a
    return max(a, b)


class Progress(EventModel):
    """Event-time progress of the statistics, kept in the faust table next to the windows."""

    watermark: AwareDatetime | None = None
    closed_until: AwareDatetime | None = None
    published_until: AwareDatetime | None = None

    def seen(self, decided_at: datetime) -> Progress:
        return self.model_copy(update={"watermark": _later(self.watermark, decided_at)})

    def closing(self, horizon: datetime) -> Progress:
        return self.model_copy(update={"closed_until": _later(self.closed_until, horizon)})

    def published(self, horizon: datetime) -> Progress:
        return self.model_copy(update={"published_until": _later(self.published_until, horizon)})

    def already_published(self, window: WindowKey) -> bool:
        return self.published_until is not None and window.end <= self.published_until


@dataclass(frozen=True, slots=True)
class ClosingRule:
    grace: timedelta
    idle_close: timedelta

    def event_horizon(self, progress: Progress) -> datetime | None:
        """Windows ending at or before this are closed by event time (or already were)."""
        moved = progress.watermark - self.grace if progress.watermark is not None else None
        return _later(progress.closed_until, moved)

    def is_late(self, contribution: Contribution, progress: Progress) -> bool:
        horizon = self.event_horizon(progress)
        return horizon is not None and contribution.window_end <= horizon

    def horizon(
        self, progress: Progress, open_windows: Iterable[WindowKey], idle_for: timedelta
    ) -> datetime | None:
        """Close every open window ending at or before the returned time (None: nothing due)."""
        ends = [window.end for window in open_windows]
        if not ends:
            return None
        horizon = self.event_horizon(progress)
        if idle_for >= self.idle_close:
            horizon = _later(horizon, max(ends))
        if horizon is None or min(ends) > horizon:
            return None
        return horizon


def due(windows: Iterable[WindowKey], horizon: datetime) -> list[WindowKey]:
    """The windows a horizon closes, oldest first (the order they are published in)."""
    return sorted(window for window in windows if window.end <= horizon)
