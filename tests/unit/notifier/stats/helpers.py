"""Decisions for the statistics tests, built from the contract samples."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from services.common.contracts.decision import LoanDecision
from tests.unit.contracts import samples


def decision(
    number: int,
    decided_at: datetime,
    *,
    product: str = "Car",
    outcome: str = "approved",
    requested: float = 10_000.0,
    offered: float | None = 9_000.0,
    pd: float | None = None,
    revision: int = 0,
) -> LoanDecision:
    """A valid decision of ``outcome``: offers only when the outcome carries them."""
    payload: dict[str, Any] = samples.decision_payload()
    payload["application_id"] = str(UUID(int=number))
    payload["outcome"] = outcome
    payload["requested"] = {**payload["requested"], "product": product, "amount": requested}
    payload["received_at"] = (decided_at - timedelta(seconds=5)).isoformat()
    payload["decided_at"] = decided_at.isoformat()
    payload["probability_of_default"] = pd
    payload["revision"] = revision
    payload["narrative"] = None
    if outcome in {"approved", "counter_offered"}:
        assert offered is not None
        payload["offers"] = [
            {**payload["offers"][0], "product": product, "amount": offered},
            {**payload["offers"][0], "offer_id": "second", "product": product, "amount": 1.0},
        ]
    else:
        payload["offers"] = []
    return LoanDecision.model_validate(payload)
