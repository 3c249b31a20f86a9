"""What the fraud handler needs from outside; ``app.py`` wires the adapters."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from services.fraud.allowlist import Clearance
from services.fraud.velocity import VelocityCounts, VelocityInput, VelocitySignal
from services.fraud.watchlist.matcher import Watchlist


class Lists(Protocol):
    """The current watch lists; ``WatchlistSource`` reloads them when their files change."""

    def current(self) -> Watchlist: ...


class Velocity(Protocol):
    def record_and_count(self, inputs: Sequence[VelocityInput]) -> list[VelocityCounts]: ...

    def signals(self, counts: VelocityCounts) -> tuple[VelocitySignal, ...]: ...


class Clearances(Protocol):
    def lookup(self, pairs: Sequence[tuple[str, str]]) -> dict[tuple[str, str], Clearance]: ...

    def record_applied(self, application_id: str, clearance: Clearance) -> bool: ...
