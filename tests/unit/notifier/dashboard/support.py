"""Decisions for the dashboard tests, built from the contract samples."""

from __future__ import annotations

import copy
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from services.common.contracts.decision import LoanDecision
from tests.unit.contracts import samples

DECLINE_REASONS = (
    {"code": "DTI_TOO_HIGH", "text": "Your debt-to-income ratio is above our limit."},
    {"code": "SHORT_CREDIT_HISTORY", "text": "Your credit history is shorter than we need."},
)


def decision(
    number: int,
    *,
    decided_at: datetime,
    outcome: str = "approved",
    product: str = "Car",
    elapsed_s: float = 9.0,
    probability: float | None = None,
    timings: dict[str, float] | None = None,
    reasons: tuple[dict[str, str], ...] | None = None,
    revision: int = 0,
) -> LoanDecision:
    """A valid decision of ``outcome`` for application ``UUID(int=number)``.

    Declines and referrals carry no offers; declines get ``DECLINE_REASONS[:1]`` unless
    ``reasons`` says otherwise.
    """
    payload: dict[str, Any] = copy.deepcopy(samples.decision_payload())
    payload["application_id"] = str(UUID(int=number))
    payload["outcome"] = outcome
    payload["requested"]["product"] = product
    payload["decided_at"] = decided_at.isoformat()
    payload["received_at"] = (decided_at - timedelta(seconds=elapsed_s)).isoformat()
    payload["probability_of_default"] = probability
    payload["stage_timings_ms"] = timings or {}
    payload["revision"] = revision
    if outcome in ("declined", "referred"):
        payload["offers"] = []
        payload["narrative"] = None
    if reasons is not None:
        payload["reasons"] = list(reasons)
    elif outcome == "declined":
        payload["reasons"] = [DECLINE_REASONS[0]]
    return LoanDecision.model_validate(payload)


class SseParser:
    """A minimal ``text/event-stream`` reader for the tests: feed text, take whole events.

    Comments are kept too (as events named ``":"``) so tests can see keep-alives.
    """

    def __init__(self) -> None:
        self._buffer = ""
        self._name = ""
        self._data: list[str] = []
        self._id: str | None = None
        self.retry_ms: int | None = None

    def feed(self, text: str) -> list[tuple[str, str, str | None]]:
        self._buffer += text.replace("\r\n", "\n").replace("\r", "\n")
        events: list[tuple[str, str, str | None]] = []
        while "\n" in self._buffer:
            line, self._buffer = self._buffer.split("\n", 1)
            if not line:
                if self._data:
                    events.append((self._name or "message", "\n".join(self._data), self._id))
                self._name, self._data = "", []
                continue
            field, _, value = line.partition(":")
            value = value.removeprefix(" ")
            if not field:
                events.append((":", value, None))
            elif field == "data":
                self._data.append(value)
            elif field == "event":
                self._name = value
            elif field == "id":
                self._id = value
            elif field == "retry":
                self.retry_ms = int(value)
        return events
