"""The dashboard's state on the event loop: the window, its cached snapshot, the open streams.

Everything here runs on the asyncio loop (the Kafka thread hands batches over with
``asyncio.run_coroutine_threadsafe``), so the window needs no lock.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable, Iterable
from datetime import UTC, datetime

from services.common.contracts.decision import LoanDecision
from services.notifier.dashboard.models import FeedStats, Snapshot
from services.notifier.dashboard.window import DecisionWindow, minute_of

StateKey = tuple[int, int, FeedStats | None]


class Subscription:
    """One open stream's queue of decision events (``(id, json)``), bounded.

    A stream that falls ``capacity`` events behind stops queueing them and is marked
    ``missed``: its next snapshot carries the latest decisions instead.
    """

    def __init__(self, capacity: int) -> None:
        self._queue: deque[tuple[int, str]] = deque()
        self._capacity = capacity
        self.missed = False
        self.wake = asyncio.Event()

    def offer(self, event_id: int, payload: str) -> None:
        if len(self._queue) < self._capacity:
            self._queue.append((event_id, payload))
        else:
            self.missed = True
        self.wake.set()

    def drain(self) -> list[tuple[int, str]]:
        items = list(self._queue)
        self._queue.clear()
        return items

    def __len__(self) -> int:
        return len(self._queue)


class DashboardHub:
    """Counts decisions into the window and fans them out to at most ``max_streams`` streams."""

    def __init__(
        self,
        window: DecisionWindow,
        *,
        max_streams: int,
        queue_size: int = 256,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        feed_stats: Callable[[], FeedStats | None] = lambda: None,
    ) -> None:
        self._window = window
        self._max_streams = max_streams
        self._queue_size = queue_size
        self._clock = clock
        self._feed_stats = feed_stats
        self._subscriptions: set[Subscription] = set()
        self._cached: tuple[StateKey, str] | None = None
        self.version = 0

    @property
    def window(self) -> DecisionWindow:
        return self._window

    @property
    def streams(self) -> int:
        return len(self._subscriptions)

    def ingest(self, decisions: Iterable[LoanDecision]) -> int:
        """Count ``decisions`` and queue the ones in the window for every stream; how many."""
        now = self._clock()
        accepted = 0
        for decision in decisions:
            row = self._window.add(decision, now)
            self.version += 1  # also when ignored: the snapshot's ignored count moved
            if row is None:
                continue
            accepted += 1
            payload = row.model_dump_json()
            for subscription in self._subscriptions:
                subscription.offer(self.version, payload)
        if not accepted:
            for subscription in self._subscriptions:
                subscription.wake.set()
        return accepted

    def state_key(self) -> StateKey:
        """Changes whenever a snapshot taken now would differ from the previous one."""
        return (self.version, minute_of(self._clock()), self._feed_stats())

    def snapshot(self) -> Snapshot:
        return self._window.snapshot(self._clock(), self._feed_stats())

    def snapshot_json(self) -> str:
        """The snapshot as JSON, computed once per state and shared by every stream."""
        key = self.state_key()
        if self._cached is None or self._cached[0] != key:
            self._cached = (key, self.snapshot().model_dump_json())
        return self._cached[1]

    def subscribe(self) -> Subscription | None:
        """A new stream's subscription, or None when ``max_streams`` are open."""
        if len(self._subscriptions) >= self._max_streams:
            return None
        subscription = Subscription(self._queue_size)
        self._subscriptions.add(subscription)
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        self._subscriptions.discard(subscription)
