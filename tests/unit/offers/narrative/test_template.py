"""The template: its wording per outcome, its figures, and that it passes the verifier always.

The fact builders here are shared with the other narrative tests.
"""

from __future__ import annotations

import random

import pytest

from services.common.contracts.decision import DecisionOutcome
from services.common.contracts.primitives import LoanProduct
from services.common.contracts.stages import RiskGrade
from services.offers.narrative.facts import NarrativeFacts, OfferFacts, ReasonFacts
from services.offers.narrative.template import (
    TemplateTooLongError,
    format_money,
    format_rate,
    format_term,
    render_template,
)
from services.offers.narrative.verify import verify_narrative

DISCLOSURE_APR = (
    "The APR is the yearly cost of the loan, including the origination fee, expressed as a rate."
)
DISCLOSURE_AGENCY = (
    "Questions about fair lending can go to the Consumer Financial Protection Bureau, "
    "1700 G Street NW, Washington, DC 20552, phone (855) 411-2372, www.consumerfinance.gov."
)


def offer(**changes: object) -> OfferFacts:
    values: dict[str, object] = {
        "label": "lowest monthly payment",
        "product": LoanProduct.PERSONAL,
        "amount": 12000.0,
        "term_months": 60,
        "interest_rate": 7.49,
        "apr": 7.85,
        "monthly_payment": 240.22,
        "total_interest": 2413.2,
        "fees": 120.0,
    }
    values.update(changes)
    return OfferFacts.model_validate(values)


SCORE = ReasonFacts(
    code="CREDIT_SCORE_TOO_LOW",
    text="Credit score too low",
    action="Raise your credit score by about 40 points",
)
DTI = ReasonFacts(
    code="DEBT_TO_INCOME_TOO_HIGH",
    text="Debt-to-income ratio too high",
    action="Lower your debt-to-income ratio by 3 points, to 37 %",
)
KNOCKOUT = ReasonFacts(
    code="KO_SCORE_BELOW_MINIMUM",
    text="Credit score is below the minimum of 620 for Personal loans.",
)


def facts(outcome: DecisionOutcome | str, **changes: object) -> NarrativeFacts:
    """Realistic facts for ``outcome``: offers when it carries them, reasons when it has them."""
    outcome = DecisionOutcome(outcome)
    with_offers = outcome in {DecisionOutcome.APPROVED, DecisionOutcome.COUNTER_OFFERED}
    values: dict[str, object] = {
        "outcome": outcome,
        "requested_product": LoanProduct.PERSONAL,
        "requested_amount": 15000.0,
        "requested_term_months": 48,
        "risk_grade": RiskGrade.B,
        "reasons": () if outcome is DecisionOutcome.APPROVED else (SCORE, DTI),
        "offers": (
            (offer(), offer(label="shortest term", term_months=36, monthly_payment=373.24))
            if with_offers
            else ()
        ),
        "disclosures": (DISCLOSURE_APR, DISCLOSURE_AGENCY) if with_offers else (),
    }
    values.update(changes)
    return NarrativeFacts.model_validate(values)


# --- random facts -----------------------------------------------------------------------------

_REASON_POOL = (
    SCORE,
    DTI,
    KNOCKOUT,
    ReasonFacts(
        code="KO_DTI_ABOVE_CAP", text="Debt-to-income after the loan is above the 43 % cap."
    ),
    ReasonFacts(
        code="KO_TERM_OUT_OF_RANGE", text="Term must be between 0.5 and 7 years for Car loans."
    ),
    ReasonFacts(
        code="KO_UNDERAGE", text="Applicant is younger than 18, the minimum age to take a loan."
    ),
    ReasonFacts(
        code="LOAN_AMOUNT_RELATIVE_TO_INCOME",
        text="Amount requested relative to income",
        action="Ask for 9,500 instead of 12,000",
    ),
    ReasonFacts(
        code="PAYMENT_RELATIVE_TO_INCOME",
        text="Monthly payment of this loan relative to income",
        action="Choose a term of 5 years instead of 3",
    ),
    ReasonFacts(code="TOO_MANY_OPEN_LOANS", text="Too many open loans"),
    ReasonFacts(
        code="REPAYMENT_HISTORY_WEAK", text="Repayment history on the credit file not strong enough"
    ),
)
_LABELS = (
    "lowest monthly payment",
    "lowest total cost",
    "shortest term",
    "5-year option",
    "closest to your request",
    "A",
)
_DISCLOSURES = (DISCLOSURE_APR, DISCLOSURE_AGENCY, "Rates are fixed for the life of the loan.")
_WORDS = (
    "your", "account", "history", "savings", "balance", "income", "credit", "file", "lender",
    "review", "recent",
)  # fmt: skip


def _long_text(rng: random.Random, limit: int) -> str:
    words = [rng.choice(_WORDS)]
    while len(" ".join(words)) < limit - 12:
        words.append(rng.choice(_WORDS))
    return " ".join(words)[: limit - 1].strip().capitalize()


def _random_reason(rng: random.Random, index: int) -> ReasonFacts:
    if rng.random() < 0.7:
        return _REASON_POOL[rng.randrange(len(_REASON_POOL))]
    action = _long_text(rng, rng.randint(20, 300)) if rng.random() < 0.6 else None
    return ReasonFacts(
        code=f"RANDOM_REASON_{index}", text=_long_text(rng, rng.randint(10, 300)), action=action
    )


def _money(rng: random.Random, low: float, high: float) -> float:
    value = rng.uniform(low, high)
    return float(round(value, rng.choice((0, 2, 2, 2))))


def _random_offer(rng: random.Random) -> OfferFacts:
    return OfferFacts(
        label=rng.choice(_LABELS),
        product=rng.choice(list(LoanProduct)),
        amount=_money(rng, 500, 750_000),
        term_months=rng.choice((1, 6, 12, 18, 24, 36, 48, 60, 84, 120, 240, 360, 480, 37)),
        interest_rate=round(rng.uniform(0, 36), rng.choice((0, 1, 2))),
        apr=round(rng.uniform(0, 40), 2),
        monthly_payment=_money(rng, 1, 9000),
        total_interest=_money(rng, 0, 400_000),
        fees=rng.choice((0.0, _money(rng, 1, 5000))),
    )


def random_facts(rng: random.Random, outcome: DecisionOutcome) -> NarrativeFacts:
    with_offers = outcome in {DecisionOutcome.APPROVED, DecisionOutcome.COUNTER_OFFERED}
    if outcome is DecisionOutcome.APPROVED:
        reason_count = 0
    elif outcome is DecisionOutcome.DECLINED:
        reason_count = rng.randint(1, 4)
    else:
        reason_count = rng.randint(0, 4)
    reasons: dict[str, ReasonFacts] = {}
    for index in range(reason_count):
        reason = _random_reason(rng, index)
        reasons.setdefault(reason.code, reason)
    return NarrativeFacts(
        outcome=outcome,
        currency=rng.choice(("USD", "USD", "USD", "EUR")),
        requested_product=rng.choice(list(LoanProduct)),
        requested_amount=_money(rng, 500, 1_000_000),
        requested_term_months=rng.randint(1, 480),
        risk_grade=rng.choice([None, *RiskGrade]),
        reasons=tuple(reasons.values()),
        offers=tuple(_random_offer(rng) for _ in range(rng.randint(1, 3))) if with_offers else (),
        disclosures=tuple(rng.sample(_DISCLOSURES, rng.randint(0, 3))) if with_offers else (),
    )


# --- formatting --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "currency", "expected"),
    [
        (12345.67, "USD", "$12,345.67"),
        (12000, "USD", "$12,000.00"),
        (0.005, "USD", "$0.01"),
        (304.225, "USD", "$304.23"),
        (1_000_000.1, "EUR", "EUR 1,000,000.10"),
    ],
)
def test_money_is_shown_to_the_cent(value: float, currency: str, expected: str) -> None:
    assert format_money(value, currency) == expected


def test_rates_are_shown_to_the_hundredth() -> None:
    assert format_rate(7.49) == "7.49%"
    assert format_rate(7.5) == "7.50%"
    assert format_rate(0) == "0.00%"


@pytest.mark.parametrize(
    ("months", "expected"),
    [(1, "1 month"), (18, "18 months"), (12, "12 months (1 year)"), (60, "60 months (5 years)")],
)
def test_terms_are_months_with_whole_years(months: int, expected: str) -> None:
    assert format_term(months) == expected


# --- wording per outcome -------------------------------------------------------------------------


def test_an_approval_says_so_and_gives_each_offers_figures() -> None:
    text = render_template(facts("approved"), "explanation")

    assert "approved" in text
    assert "risk grade B" in text
    for figure in ("$12,000.00", "60 months (5 years)", "7.49%", "7.85%", "$240.22", "$373.24"):
        assert figure in text
    assert "$2,413.20" in text and "$120.00" in text


def test_a_single_offer_is_not_numbered() -> None:
    text = render_template(facts("approved", offers=(offer(fees=0.0),)), "explanation")

    assert "1." not in text
    assert "no fees" in text


def test_a_counter_offer_says_what_was_asked_why_not_and_what_instead() -> None:
    text = render_template(facts("counter_offered"), "explanation")

    assert "$15,000.00 over 48 months (4 years)" in text
    assert "exactly as you asked" in text
    assert "Credit score too low." in text and "Debt-to-income ratio too high." in text
    assert "$12,000.00" in text


def test_a_referral_promises_nothing_and_says_a_person_will_look() -> None:
    text = render_template(facts("referred"), "explanation")

    assert "member of our team will review" in text
    assert "not a decision" in text
    assert "approv" not in text.lower()


def test_a_decline_gives_each_reason_and_its_action_as_a_step() -> None:
    text = render_template(facts("declined"), "explanation")

    assert "1. Credit score too low." in text
    assert "2. Debt-to-income ratio too high." in text
    assert "- Raise your credit score by about 40 points." in text
    assert "- Lower your debt-to-income ratio by 3 points, to 37 %." in text
    assert "not an offer of credit" in text
    assert "approv" not in text.lower()


def test_a_decline_without_actions_says_there_is_no_quick_fix() -> None:
    text = render_template(facts("declined", reasons=(KNOCKOUT,)), "explanation")

    assert "The main reason is:\nCredit score is below the minimum of 620" in text
    assert "no quick fix" in text


def test_an_offer_letter_lists_every_figure_then_the_disclosures_verbatim() -> None:
    text = render_template(facts("approved"), "offer_letter")

    assert "Offer 1: Lowest monthly payment" in text and "Offer 2: Shortest term" in text
    assert "Interest rate: 7.49% a year\nAPR: 7.85%\nMonthly payment: $240.22" in text
    assert "Fees: $120.00 (paid up front)" in text
    assert text.index(DISCLOSURE_APR) > text.index("Offer 2")
    assert DISCLOSURE_AGENCY in text


@pytest.mark.parametrize("outcome", ["referred", "declined"])
def test_no_offer_letter_without_offers(outcome: str) -> None:
    with pytest.raises(ValueError, match="offer letter"):
        render_template(facts(outcome), "offer_letter")


def test_facts_that_cannot_fit_are_refused() -> None:
    huge = tuple("Disclosure " + "x" * 900 + f" {n}." for n in range(1, 6))
    with pytest.raises(TemplateTooLongError):
        render_template(facts("approved", disclosures=huge), "offer_letter")


def test_the_template_is_deterministic() -> None:
    assert render_template(facts("declined"), "explanation") == render_template(
        facts("declined"), "explanation"
    )


# --- the template passes the verifier, for any facts ----------------------------------------------


@pytest.mark.parametrize("outcome", list(DecisionOutcome))
def test_the_template_passes_the_verifier_for_generated_facts(outcome: DecisionOutcome) -> None:
    rng = random.Random(f"narrative-template-{outcome.value}")
    checked = 0
    for _ in range(300):
        generated = random_facts(rng, outcome)
        purposes = ["explanation"]
        if outcome in {DecisionOutcome.APPROVED, DecisionOutcome.COUNTER_OFFERED}:
            purposes.append("offer_letter")
        for purpose in purposes:
            text = render_template(generated, purpose)  # type: ignore[arg-type]
            violations = verify_narrative(text, generated, purpose)  # type: ignore[arg-type]
            assert violations == [], (purpose, generated.model_dump(), violations)
            checked += 1
    assert checked >= 300


def test_the_generator_covers_the_hard_cases() -> None:
    """The property test is only as good as its facts: long reasons, odd terms, fees of zero."""
    rng = random.Random("coverage")
    generated = [random_facts(rng, outcome) for outcome in DecisionOutcome for _ in range(200)]
    reasons = [r for f in generated for r in f.reasons]
    offers = [o for f in generated for o in f.offers]
    assert max(len(r.text) for r in reasons) > 250
    assert sum(len(f.reasons) == 4 for f in generated) > 10
    assert any(o.fees == 0 for o in offers) and any(o.fees > 0 for o in offers)
    assert any(o.term_months % 12 for o in offers) and any(o.term_months % 12 == 0 for o in offers)
    assert any(f.currency == "EUR" for f in generated)
    assert any(DISCLOSURE_AGENCY in f.disclosures for f in generated)
