"""Decisions of each outcome and a letterhead, built from the contract samples."""

from __future__ import annotations

import re
from typing import Any

from services.common.contracts.decision import LoanDecision
from services.notifier.applicants.settings import Letterhead
from tests.unit.contracts import samples

LETTERHEAD = Letterhead(
    from_address="decisions@bank.example", reply_to="help@bank.example", bank_name="Example Bank"
)

_SECOND_OFFER: dict[str, Any] = {
    "offer_id": "car-48",
    "product": "Car",
    "secured": True,
    "amount": 9500.0,
    "interest_rate": 12.75,
    "apr": 13.125,
    "term_months": 48,
    "monthly_payment": 252.27,
    "total_interest": 2608.96,
    "label": "smaller amount",
    "fees": 95.0,
    "final_payment": 252.31,
}

_REASONS: list[dict[str, Any]] = [
    {
        "code": "DTI_HIGH",
        "text": "Your debt is high compared with your income.",
        "action": "Lower your monthly debt payments before applying again.",
    },
    {"code": "CREDIT_HISTORY_SHORT", "text": "Your credit history is short."},
    {"code": "RECENT_INQUIRIES", "text": "You applied for credit often recently."},
    {"code": "INCOME_UNVERIFIED", "text": "We could not verify your income."},
]


def decision(outcome: str = "approved", **updates: Any) -> LoanDecision:
    payload = samples.decision_payload()
    payload["outcome"] = outcome
    if outcome in {"declined", "referred"}:
        payload["offers"] = []
    if outcome == "declined":
        payload["reasons"] = _REASONS
        payload["narrative"] = None
    if outcome == "counter_offered":
        payload["offers"] = [_SECOND_OFFER]
        payload["reasons"] = _REASONS[:2]
        payload["requested"] = {"product": "Car", "amount": 15000.0, "term_years": 5}
        payload["narrative"] = None
    if outcome == "referred":
        payload["reasons"] = [{"code": "FRAUD_REVIEW", "text": "A watch-list match needs review."}]
        payload["narrative"] = None
    payload.update(updates)
    return LoanDecision.model_validate(payload)


def two_offers() -> LoanDecision:
    payload = samples.decision_payload()
    payload["offers"] = [*payload["offers"], _SECOND_OFFER]
    return LoanDecision.model_validate(payload)


_NUMBER = re.compile(r"\d[\d,]*(?:\.\d+)?")


def numbers_in(text: str) -> set[float]:
    return {round(float(match.replace(",", "")), 2) for match in _NUMBER.findall(text)}


def figures_of(decision: LoanDecision) -> set[float]:
    """Every number the decision holds, as the e-mail may show it (two decimals)."""
    figures: set[float] = {decision.requested.amount, decision.requested.term_years}
    for offer in decision.offers:
        figures |= {
            offer.amount,
            offer.interest_rate,
            offer.apr,
            float(offer.term_months),
            offer.monthly_payment,
            offer.total_interest,
            offer.fees,
        }
        if offer.final_payment is not None:
            figures.add(offer.final_payment)
    rounded = {round(value, 2) for value in figures}
    texts = [decision.narrative or ""] + [f"{r.text} {r.action or ''}" for r in decision.reasons]
    return rounded | numbers_in(" ".join(texts))
