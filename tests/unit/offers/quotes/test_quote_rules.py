"""The quote rules: eligibility, then the product's ranges, then affordability, then the price."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from pydantic import ValidationError

from services.common.catalogue import load_catalogue
from services.common.contracts.decision import DecisionOutcome
from services.common.contracts.primitives import EmploymentStatus, HomeOwnership, LoanProduct
from services.common.contracts.stages import RiskGrade
from services.offers.borrower import Borrower, borrower_of
from services.offers.eligibility import ProductRules
from services.offers.options import Offerer, largest_amount
from services.offers.quotes.context import QuoteContext, context_of
from services.offers.quotes.rules import (
    Ineligible,
    OutOfRange,
    Quoted,
    Unaffordable,
    evaluate,
)
from tests.unit.contracts import samples

CATALOGUE = load_catalogue()
DECIDED_AT = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def offerer() -> Offerer:
    return Offerer(ProductRules(CATALOGUE))


def context(**changes: Any) -> QuoteContext:
    facts: dict[str, Any] = {
        "application_id": "5b0c8f4e-7a43-4c1e-9a51-0f3f5d7c2b10",
        "owner": "bank-a",
        "revision": 0,
        "outcome": DecisionOutcome.APPROVED,
        "risk_grade": RiskGrade.B,
        "age": 35,
        "employment_status": EmploymentStatus.EMPLOYED,
        "home_ownership": HomeOwnership.RENT,
        "credit_score": 720,
        "monthly_income": Decimal("6000.00"),
        "existing_monthly_debts": Decimal("900.00"),
        "requested_product": LoanProduct.CAR,
        "requested_amount": Decimal("25000.00"),
        "requested_term_months": 60,
        "decided_at": DECIDED_AT,
        "catalogue_version": CATALOGUE.version,
    }
    facts.update(changes)
    return QuoteContext(**facts)


def borrower(**changes: Any) -> Borrower:
    return context(**changes).borrower()


# --- priced --------------------------------------------------------------------------------


def test_an_affordable_quote_is_the_offerers_price(offerer: Offerer) -> None:
    person = borrower()
    outcome = evaluate(offerer, person, LoanProduct.CAR, Decimal("25000.00"), 48)
    assert isinstance(outcome, Quoted)
    assert outcome.terms == offerer.quote(LoanProduct.CAR, Decimal("25000.00"), 48, RiskGrade.B)
    assert outcome.dti_after == person.dti_after(outcome.terms.monthly_payment)
    assert outcome.dti_after <= Decimal(str(CATALOGUE[LoanProduct.CAR].max_dti_percent))
    assert outcome.secured is CATALOGUE[LoanProduct.CAR].secured
    low, high = CATALOGUE[LoanProduct.CAR].rate_percent
    assert low <= float(outcome.terms.interest_rate) <= high


def test_the_range_edges_are_allowed(offerer: Offerer) -> None:
    person = borrower(monthly_income=Decimal("20000.00"))
    low_term, high_term = CATALOGUE[LoanProduct.CAR].term_months
    for amount, term in ((Decimal("3000.00"), high_term), (Decimal("120000.00"), high_term)):
        assert isinstance(evaluate(offerer, person, LoanProduct.CAR, amount, term), Quoted)
    assert isinstance(
        evaluate(offerer, person, LoanProduct.CAR, Decimal("3000.00"), low_term), Quoted
    )


# --- eligibility ---------------------------------------------------------------------------


def test_a_student_is_not_offered_a_home_loan(offerer: Offerer) -> None:
    person = borrower(employment_status=EmploymentStatus.STUDENT)
    outcome = evaluate(offerer, person, LoanProduct.HOME, Decimal("100000.00"), 120)
    assert isinstance(outcome, Ineligible)
    assert [reason.code for reason in outcome.reasons] == ["STUDENT_NO_HOME_LOAN"]
    assert all(reason.description for reason in outcome.reasons)


def test_every_reason_is_given_at_once(offerer: Offerer) -> None:
    person = borrower(employment_status=EmploymentStatus.STUDENT, credit_score=600)
    outcome = evaluate(offerer, person, LoanProduct.HOME, Decimal("100000.00"), 120)
    assert isinstance(outcome, Ineligible)
    codes = {reason.code for reason in outcome.reasons}
    assert codes == {"STUDENT_NO_HOME_LOAN", "SCORE_BELOW_PRODUCT_MINIMUM"}


def test_eligibility_comes_before_the_ranges(offerer: Offerer) -> None:
    person = borrower(home_ownership=HomeOwnership.RENT)
    outcome = evaluate(offerer, person, LoanProduct.HOME_IMPROVEMENT, Decimal("1.00"), 999)
    assert isinstance(outcome, Ineligible)
    assert [reason.code for reason in outcome.reasons] == ["HOME_IMPROVEMENT_OWNERS_ONLY"]


def test_no_term_ending_by_the_age_limit_makes_the_product_ineligible(offerer: Offerer) -> None:
    limit = CATALOGUE[LoanProduct.HOME].max_age_at_maturity
    person = borrower(age=limit - 1)  # 12 months left, the shortest home loan is 24
    outcome = evaluate(offerer, person, LoanProduct.HOME, Decimal("60000.00"), 24)
    assert isinstance(outcome, Ineligible)
    assert [reason.code for reason in outcome.reasons] == ["AGE_AT_MATURITY"]


# --- ranges --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "term", "fields"),
    [
        (Decimal("2999.99"), 60, ("amount",)),
        (Decimal("120000.01"), 60, ("amount",)),
        (Decimal("25000.00"), 5, ("term_months",)),
        (Decimal("25000.00"), 85, ("term_months",)),
        (Decimal("100.00"), 600, ("amount", "term_months")),
    ],
)
def test_an_amount_or_term_outside_the_product_is_named(
    offerer: Offerer, amount: Decimal, term: int, fields: tuple[str, ...]
) -> None:
    outcome = evaluate(offerer, borrower(), LoanProduct.CAR, amount, term)
    assert isinstance(outcome, OutOfRange)
    assert outcome.fields == fields
    limits = outcome.limits
    assert (limits.min_amount, limits.max_amount) == (Decimal("3000.00"), Decimal("120000.00"))
    assert (limits.min_term_months, limits.max_term_months) == (6, 84)


def test_the_term_window_is_cut_by_the_age_at_maturity(offerer: Offerer) -> None:
    limit = CATALOGUE[LoanProduct.CAR].max_age_at_maturity
    person = borrower(age=limit - 5)  # five years left: 60 months at most
    outcome = evaluate(offerer, person, LoanProduct.CAR, Decimal("10000.00"), 72)
    assert isinstance(outcome, OutOfRange) and outcome.fields == ("term_months",)
    assert outcome.limits.max_term_months == 60
    assert isinstance(evaluate(offerer, person, LoanProduct.CAR, Decimal("10000.00"), 60), Quoted)


# --- affordability -------------------------------------------------------------------------


def test_an_unaffordable_quote_names_what_would_fit(offerer: Offerer) -> None:
    person = borrower(monthly_income=Decimal("4000.00"), existing_monthly_debts=Decimal("800.00"))
    product, amount, term = LoanProduct.CAR, Decimal("45000.00"), 36
    outcome = evaluate(offerer, person, product, amount, term)
    assert isinstance(outcome, Unaffordable)
    grade = RiskGrade.B
    capacity = person.payment_capacity(CATALOGUE[product].max_dti_percent)
    assert outcome.max_monthly_payment == capacity
    assert outcome.monthly_payment == offerer.payment(product, amount, term, grade) > capacity

    largest = outcome.largest_affordable_amount
    assert largest is not None and largest < amount and largest % 100 == 0
    assert offerer.fits(product, largest, term, grade, capacity)
    assert not offerer.fits(product, largest + 100, term, grade, capacity)

    shortest = outcome.shortest_affordable_term_months
    assert shortest is not None and term < shortest <= outcome.limits.max_term_months
    assert offerer.fits(product, amount, shortest, grade, capacity)
    assert not offerer.fits(product, amount, shortest - 1, grade, capacity)
    # What it names is really quotable.
    assert isinstance(evaluate(offerer, person, product, largest, term), Quoted)
    assert isinstance(evaluate(offerer, person, product, amount, shortest), Quoted)


def test_no_longer_term_fits_a_large_amount(offerer: Offerer) -> None:
    person = borrower()
    outcome = evaluate(offerer, person, LoanProduct.CAR, Decimal("120000.00"), 12)
    assert isinstance(outcome, Unaffordable)
    assert outcome.shortest_affordable_term_months is None
    assert outcome.largest_affordable_amount is not None


def test_nothing_fits_without_room_for_a_payment(offerer: Offerer) -> None:
    person = borrower(monthly_income=Decimal("3000.00"), existing_monthly_debts=Decimal("1200.00"))
    outcome = evaluate(offerer, person, LoanProduct.CAR, Decimal("3000.00"), 6)
    assert isinstance(outcome, Unaffordable)
    assert outcome.max_monthly_payment == Decimal("0.00")
    assert outcome.largest_affordable_amount is None
    assert outcome.shortest_affordable_term_months is None


def test_the_largest_amount_is_a_whole_hundred_or_the_minimum() -> None:
    def under(limit: str) -> Any:
        return lambda value: value <= Decimal(limit)

    assert largest_amount(under("12345.67"), Decimal("3000"), Decimal("50000")) == Decimal(
        "12300.00"
    )
    assert largest_amount(under("50000"), Decimal("3000"), Decimal("50000")) == Decimal("50000")
    assert largest_amount(under("560"), Decimal("550"), Decimal("900")) == Decimal("550")
    assert largest_amount(under("100"), Decimal("550"), Decimal("900")) is None


# --- the context ---------------------------------------------------------------------------


def test_a_context_round_trips_exactly_through_json() -> None:
    original = context(monthly_income=Decimal("6123.45"))
    again = QuoteContext.model_validate_json(original.model_dump_json())
    assert again == original
    assert again.borrower() == original.borrower()


def test_the_context_holds_nothing_identifying() -> None:
    names = set(QuoteContext.model_fields)
    for forbidden in ("name", "ssn", "address", "email", "phone", "birth", "dob"):
        assert not any(forbidden in field for field in names), forbidden
    with pytest.raises(ValidationError):
        QuoteContext(**{**context().model_dump(), "full_name": "Jane Doe"})


def test_the_context_of_a_case_is_what_the_stage_priced_on() -> None:
    case = samples.scored()
    made = context_of(
        case,
        DecisionOutcome.COUNTER_OFFERED,
        "bank-a",
        decided_at=DECIDED_AT,
        catalogue_version=CATALOGUE.version,
    )
    assert made.borrower() == borrower_of(case)
    assert made.application_id == case.application_id and made.revision == case.revision
    assert made.owner == "bank-a" and made.outcome is DecisionOutcome.COUNTER_OFFERED
    loan = case.application.loan
    assert made.requested_product == loan.product
    assert made.requested_amount == Decimal(str(loan.amount))
    assert made.requested_term_months == loan.term_months
    unknown_owner = context_of(
        case, DecisionOutcome.APPROVED, None, decided_at=DECIDED_AT, catalogue_version="v1"
    )
    assert unknown_owner.owner is None


@pytest.mark.parametrize("outcome", [DecisionOutcome.DECLINED, DecisionOutcome.REFERRED])
def test_only_decisions_with_offers_get_a_context(outcome: DecisionOutcome) -> None:
    with pytest.raises(ValueError, match="only approved and counter-offered"):
        context_of(
            samples.scored(), outcome, "bank-a", decided_at=DECIDED_AT, catalogue_version="v"
        )


def test_a_case_without_a_risk_grade_gets_no_context() -> None:
    case = samples.scored()
    case = case.model_copy(update={"scoring": case.scoring.model_copy(update={"risk_grade": None})})
    with pytest.raises(ValueError, match="risk grade"):
        context_of(
            case, DecisionOutcome.APPROVED, "bank-a", decided_at=DECIDED_AT, catalogue_version="v"
        )
