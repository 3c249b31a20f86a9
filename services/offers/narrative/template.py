"""Deterministic narratives written from ``NarrativeFacts`` alone.

This is the text every decision can fall back on: it needs no model, no network and no state,
and it passes ``verify_narrative`` for every outcome (the tests check that on a few hundred
generated facts). It states only the facts' own figures, formatted by the helpers below, and
copies reason texts, actions, offer labels and disclosures verbatim.

Figures are shown at the precision the facts are kept in: money to the cent (``$12,345.67``),
rates to a hundredth of a percent (``7.49%``), terms in months, with years added when the term
is a whole number of years (``60 months (5 years)``).
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Final

from services.common.contracts.decision import DecisionOutcome
from services.common.errors import PermanentError
from services.offers.narrative.facts import (
    NarrativeFacts,
    NarrativePurpose,
    OfferFacts,
    ReasonFacts,
)

MAX_TEXT_CHARS: Final = 4000
"""The longest text a ``Narrative`` may hold."""

OFFER_OUTCOMES: Final = frozenset({DecisionOutcome.APPROVED, DecisionOutcome.COUNTER_OFFERED})
"""Outcomes that carry offers, and so the only ones an offer letter is written for."""

_CURRENCY_SYMBOLS: Final = {"USD": "$"}
_CENT = Decimal("0.01")


class TemplateTooLongError(PermanentError):
    """The facts' own texts (disclosures above all) do not fit in one narrative."""


def money_decimal(value: float) -> Decimal:
    """A money figure rounded half-up to the cent, from its shortest decimal spelling."""
    return Decimal(repr(float(value))).quantize(_CENT, rounding=ROUND_HALF_UP)


def format_money(value: float, currency: str = "USD") -> str:
    """``$12,345.67`` for US dollars; ``EUR 12,345.67`` for other currencies."""
    amount = f"{money_decimal(value):,.2f}"
    symbol = _CURRENCY_SYMBOLS.get(currency)
    return f"{symbol}{amount}" if symbol else f"{currency} {amount}"


def format_rate(value: float) -> str:
    """``7.49%``: a rate per year, to the hundredth of a percent."""
    return f"{Decimal(repr(float(value))).quantize(_CENT, rounding=ROUND_HALF_UP):.2f}%"


def format_term(months: int) -> str:
    """``18 months``, ``1 month``, or ``60 months (5 years)`` when the years are whole."""
    text = f"{months} month" + ("" if months == 1 else "s")
    if months % 12 == 0:
        years = months // 12
        text += f" ({years} year" + ("" if years == 1 else "s") + ")"
    return text


def _label(text: str) -> str:
    text = " ".join(text.split())
    return text[:1].upper() + text[1:]


def _sentence(text: str) -> str:
    """A fact's text as a sentence: stripped, ending with a full stop if it has no ending."""
    text = " ".join(text.split())
    return text if text.endswith((".", "!", "?")) else f"{text}."


def _request(facts: NarrativeFacts) -> str:
    return (
        f"a {facts.requested_product.value} loan of "
        f"{format_money(facts.requested_amount, facts.currency)} over "
        f"{format_term(facts.requested_term_months)}"
    )


def _offer_line(offer: OfferFacts, currency: str) -> str:
    fees = (
        f"{format_money(offer.fees, currency)} in fees paid up front"
        if offer.fees > 0
        else "no fees"
    )
    return (
        f"{format_money(offer.amount, currency)} over {format_term(offer.term_months)} at "
        f"{format_rate(offer.interest_rate)} interest ({format_rate(offer.apr)} APR), paying "
        f"{format_money(offer.monthly_payment, currency)} a month, with "
        f"{format_money(offer.total_interest, currency)} in total interest and {fees}."
    )


def _offers_block(facts: NarrativeFacts) -> list[str]:
    offers = facts.offers
    if len(offers) == 1:
        return [
            f"Your offer is a {offers[0].product.value} loan of "
            + _offer_line(offers[0], facts.currency)
        ]
    lines = [f"There are {len(offers)} options to choose from:"]
    for number, offer in enumerate(offers, start=1):
        label = _label(offer.label)
        lines.append(
            f"{number}. {label} ({offer.product.value} loan): " + _offer_line(offer, facts.currency)
        )
    return lines


def _reason_lines(reasons: tuple[ReasonFacts, ...]) -> list[str]:
    if len(reasons) == 1:
        return [_sentence(reasons[0].text)]
    return [f"{number}. {_sentence(r.text)}" for number, r in enumerate(reasons, start=1)]


def _approved(facts: NarrativeFacts) -> list[str]:
    paragraphs = [f"Good news: your application for {_request(facts)} has been approved."]
    why = "Your application met our lending criteria"
    if facts.risk_grade is not None:
        why += f", and our credit assessment placed it in risk grade {facts.risk_grade.value}"
    paragraphs.append(why + ".")
    if facts.offers:
        paragraphs.append("\n".join(_offers_block(facts)))
        paragraphs.append(
            "Your offer letter sets out the full terms and the information we are required to "
            "give you. Please read it carefully before you accept."
        )
    return paragraphs


def _counter_offered(facts: NarrativeFacts) -> list[str]:
    paragraphs = [f"Thank you for applying for {_request(facts)}."]
    if facts.reasons:
        because = "We cannot offer this loan exactly as you asked for it, because:"
        paragraphs.append("\n".join([because, *_reason_lines(facts.reasons)]))
    else:
        paragraphs.append("We cannot offer this loan exactly as you asked for it.")
    if facts.offers:
        paragraphs.append(
            "\n".join(["We can offer you something close to it instead.", *_offers_block(facts)])
        )
    paragraphs.append(
        "You are free to take up an offer or to leave it. Your offer letter sets out the full "
        "terms."
    )
    return paragraphs


def _referred(facts: NarrativeFacts) -> list[str]:
    paragraphs = [
        f"Thank you for applying for {_request(facts)}. Your application needs a closer look, so "
        "a member of our team will review it."
    ]
    if facts.reasons:
        lead = "This is why it needs a review:"
        paragraphs.append("\n".join([lead, *_reason_lines(facts.reasons)]))
    paragraphs.append(
        "This is not a decision yet, and we cannot tell you now what the outcome will be. We "
        "will be in touch once the review is complete, and you do not need to do anything in "
        "the meantime."
    )
    return paragraphs


def _declined(facts: NarrativeFacts) -> list[str]:
    paragraphs = [
        f"Thank you for applying for {_request(facts)}. We are sorry, but we cannot offer you "
        "this loan at this time."
    ]
    if facts.reasons:
        lead = "The main reason is:" if len(facts.reasons) == 1 else "The main reasons are:"
        paragraphs.append("\n".join([lead, *_reason_lines(facts.reasons)]))
    actions = [_sentence(r.action) for r in facts.reasons if r.action and r.action.strip()]
    if actions:
        steps = [f"- {action}" for action in actions]
        paragraphs.append("\n".join(["Steps that could improve a future application:", *steps]))
    else:
        paragraphs.append(
            "These reasons have no quick fix, but circumstances change, and you are welcome to "
            "apply again later."
        )
    paragraphs.append(
        "This letter explains our decision on this application only. It is not an offer of credit."
    )
    return paragraphs


def _offer_letter(facts: NarrativeFacts) -> list[str]:
    count = len(facts.offers)
    intro = f"Thank you for applying for {_request(facts)}. " + (
        "Here are the terms of your offer."
        if count == 1
        else f"Here are the terms of the {count} offers available to you."
    )
    paragraphs = [intro]
    for number, offer in enumerate(facts.offers, start=1):
        label = _label(offer.label)
        fees = (
            format_money(offer.fees, facts.currency) + " (paid up front)"
            if offer.fees > 0
            else "none"
        )
        lines = [
            f"Offer {number}: {label}" if count > 1 else f"Your offer: {label}",
            f"Product: {offer.product.value} loan",
            f"Amount: {format_money(offer.amount, facts.currency)}",
            f"Term: {format_term(offer.term_months)}",
            f"Interest rate: {format_rate(offer.interest_rate)} a year",
            f"APR: {format_rate(offer.apr)}",
            f"Monthly payment: {format_money(offer.monthly_payment, facts.currency)}",
            f"Total interest: {format_money(offer.total_interest, facts.currency)}",
            f"Fees: {fees}",
        ]
        paragraphs.append("\n".join(lines))
    if facts.disclosures:
        paragraphs.append("Important information:")
        paragraphs.extend(d.strip() for d in facts.disclosures if d.strip())
    paragraphs.append("If anything here is unclear, please ask us before you accept.")
    return paragraphs


def render_template(facts: NarrativeFacts, purpose: NarrativePurpose) -> str:
    """The narrative text for ``purpose``; raises ``ValueError`` for an offer letter on an
    outcome without offers, ``TemplateTooLongError`` when the facts cannot fit."""
    if purpose == "offer_letter":
        if facts.outcome not in OFFER_OUTCOMES or not facts.offers:
            raise ValueError("an offer letter is written only for a decision with offers")
        paragraphs = _offer_letter(facts)
    else:
        writers = {
            DecisionOutcome.APPROVED: _approved,
            DecisionOutcome.COUNTER_OFFERED: _counter_offered,
            DecisionOutcome.REFERRED: _referred,
            DecisionOutcome.DECLINED: _declined,
        }
        paragraphs = writers[facts.outcome](facts)
    text = "\n\n".join(paragraphs)
    if len(text) > MAX_TEXT_CHARS:
        raise TemplateTooLongError(
            f"the {purpose} text needs {len(text)} characters, more than {MAX_TEXT_CHARS}"
        )
    return text
