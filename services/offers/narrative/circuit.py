"""A circuit breaker: stop calling a dependency that keeps failing, try again after a pause.

States:

- **closed**: calls go through. ``failure_threshold`` consecutive failures within the last
  ``window_s`` open the circuit (older failures of the streak no longer count); a success
  clears the count.
- **open**: calls are refused at once, for ``cooldown_s``.
- **half-open**: after the cool-down, exactly one trial call is let through. Its success closes
  the circuit; its failure opens it for another cool-down. Other calls are refused meanwhile.
  A trial that never reports back (its caller died) is given up after another ``cooldown_s``,
  so a new trial can start.

``allow()`` hands out a ``Permit``; the caller reports the call's end with ``success``,
``failure`` or ``cancel`` (the call was not made after all). Each permit names the period it
was issued in, so a slow call issued before the circuit opened cannot close it or count twice.
Thread-safe; the clock is injectable for tests.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum


class CircuitState(StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


@dataclass(frozen=True)
class Permit:
    """Leave to make one call; ``trial`` when it is the half-open probe."""

    period: int
    trial: bool


StateListener = Callable[[CircuitState, CircuitState], None]


class CircuitBreaker:
    """Closed, open, half-open; see the module docstring."""

    def __init__(
        self,
        *,
        failure_threshold: int = 5,
        window_s: float = 60.0,
        cooldown_s: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
        on_change: StateListener | None = None,
    ) -> None:
        if failure_threshold < 1:
            raise ValueError("failure_threshold must be at least 1")
        if window_s <= 0 or cooldown_s <= 0:
            raise ValueError("window_s and cooldown_s must be positive")
        self._threshold = failure_threshold
        self._window_s = window_s
        self._cooldown_s = cooldown_s
        self._clock = clock
        self._on_change = on_change
        self._lock = threading.Lock()
        self._state = CircuitState.CLOSED
        self._period = 0
        self._failures: deque[float] = deque()
        self._opened_at = 0.0
        self._trial_started: float | None = None

    @property
    def state(self) -> CircuitState:
        """The state a call would meet now (open turns half-open once the cool-down is over)."""
        with self._lock:
            if (
                self._state is CircuitState.OPEN
                and self._clock() - self._opened_at >= self._cooldown_s
            ):
                return CircuitState.HALF_OPEN
            return self._state

    def allow(self) -> Permit | None:
        """A permit to make one call, or None when the circuit refuses it."""
        changed: tuple[CircuitState, CircuitState] | None = None
        with self._lock:
            now = self._clock()
            if self._state is CircuitState.CLOSED:
                return Permit(self._period, trial=False)
            if self._state is CircuitState.OPEN:
                if now - self._opened_at < self._cooldown_s:
                    return None
                changed = self._move(CircuitState.HALF_OPEN)
            elif self._trial_started is not None and now - self._trial_started < self._cooldown_s:
                return None  # a trial is in flight
            self._trial_started = now
            permit = Permit(self._period, trial=True)
        self._notify(changed)
        return permit

    def success(self, permit: Permit) -> None:
        """The permitted call worked."""
        changed: tuple[CircuitState, CircuitState] | None = None
        with self._lock:
            if permit.period != self._period:
                return
            if permit.trial and self._state is CircuitState.HALF_OPEN:
                changed = self._move(CircuitState.CLOSED)
            elif self._state is CircuitState.CLOSED:
                self._failures.clear()
        self._notify(changed)

    def failure(self, permit: Permit) -> None:
        """The permitted call failed."""
        changed: tuple[CircuitState, CircuitState] | None = None
        with self._lock:
            if permit.period != self._period:
                return
            now = self._clock()
            if permit.trial and self._state is CircuitState.HALF_OPEN:
                changed = self._open(now)
            elif self._state is CircuitState.CLOSED:
                while self._failures and now - self._failures[0] > self._window_s:
                    self._failures.popleft()
                self._failures.append(now)
                if len(self._failures) >= self._threshold:
                    changed = self._open(now)
        self._notify(changed)

    def cancel(self, permit: Permit) -> None:
        """The permitted call was not made; a trial permit goes back for someone else."""
        with self._lock:
            if permit.trial and permit.period == self._period:
                self._trial_started = None

    def _open(self, now: float) -> tuple[CircuitState, CircuitState]:
        self._opened_at = now
        return self._move(CircuitState.OPEN)

    def _move(self, to: CircuitState) -> tuple[CircuitState, CircuitState]:
        before, self._state = self._state, to
        self._period += 1
        self._failures.clear()
        self._trial_started = None
        return before, to

    def _notify(self, changed: tuple[CircuitState, CircuitState] | None) -> None:
        if changed is not None and self._on_change is not None:
            self._on_change(*changed)
