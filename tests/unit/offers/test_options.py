"""Options: what an applicant can have, every offer inside its product's ranges and affordable."""

from __future__ import annotations

import random
from decimal import Decimal

import pytest

from services.common.catalogue import load_catalogue
from services.common.contracts.primitives import EmploymentStatus, HomeOwnership, LoanProduct
from services.common.contracts.stages import RiskGrade
from services.offers.borrower import Borrower
from services.offers.eligibility import ProductRules
from services.offers.options import Offerer, Option

CATALOGUE = load_catalogue()


@pytest.fixture(scope="module")
def offerer() -> Offerer:
    return Offerer(ProductRules(CATALOGUE))


def borrower(**changes: object) -> Borrower:
    facts: dict[str, object] = {
        "age": 35,
        "employment_status": EmploymentStatus.EMPLOYED,
        "home_ownership": HomeOwnership.RENT,
        "credit_score": 720,
        "risk_grade": RiskGrade.B,
        "monthly_income": Decimal("6000.00"),
        "existing_monthly_debts": Decimal("900.00"),
    }
    facts.update(changes)
    return Borrower(**facts)  # type: ignore[arg-type]


def assert_inside_and_affordable(person: Borrower, option: Option) -> None:
    terms = CATALOGUE[option.product]
    quoted = option.terms
    assert terms.allows_amount(float(quoted.principal)), option
    assert terms.allows_term(quoted.term_months), option
    assert terms.rate_percent[0] <= float(quoted.interest_rate) <= terms.rate_percent[1]
    assert person.dti_after(quoted.monthly_payment) <= Decimal(str(terms.max_dti_percent))
    assert person.age + quoted.term_months / 12 <= terms.max_age_at_maturity
    assert quoted.apr >= quoted.interest_rate


def test_an_affordable_request_gets_three_comparable_options(offerer: Offerer) -> None:
    person = borrower()
    proposal = offerer.propose(person, LoanProduct.CAR, Decimal("25000"), 60)
    assert proposal.kind == "as_requested" and proposal.findings == ()
    labels = [option.label for option in proposal.options]
    assert labels == ["lowest total cost", "balanced", "lowest monthly payment"]
    terms = [option.terms.term_months for option in proposal.options]
    assert terms[1] == 60 and terms[2] == 84 and terms[0] < 60
    payments = [option.terms.monthly_payment for option in proposal.options]
    interest = [option.terms.total_interest for option in proposal.options]
    assert payments == sorted(payments, reverse=True)  # longer terms, lower payments
    assert interest == sorted(interest)  # and more interest in total
    for option in proposal.options:
        assert option.terms.principal == Decimal("25000.00")
        assert_inside_and_affordable(person, option)


def test_the_rate_is_the_base_plus_the_grade_premium_within_the_range(offerer: Offerer) -> None:
    assert offerer.rate(LoanProduct.CAR, RiskGrade.A) == Decimal("7.3")
    assert offerer.rate(LoanProduct.CAR, RiskGrade.C) == Decimal("9.05")
    assert offerer.rate(LoanProduct.CAR, RiskGrade.E) == Decimal("10.0")  # clamped
    assert offerer.rate(LoanProduct.GOLD, RiskGrade.D) == Decimal("16.75")  # its own premiums


def test_a_request_too_large_for_the_income_becomes_a_counter_offer(offerer: Offerer) -> None:
    person = borrower(monthly_income=Decimal("4000.00"), existing_monthly_debts=Decimal("800.00"))
    proposal = offerer.propose(person, LoanProduct.CAR, Decimal("45000"), 36)
    assert proposal.kind == "counter_offer"
    assert [f.code for f in proposal.findings] == ["DTI_ABOVE_CAP_AS_REQUESTED"]
    longer, smaller = proposal.options
    assert longer.label == "longer term" and longer.terms.principal == Decimal("45000.00")
    assert longer.terms.term_months > 36
    # The shortest longer term that fits: one month less would not.
    capacity = person.payment_capacity(40)
    shorter = offerer.payment(
        LoanProduct.CAR, Decimal("45000"), longer.terms.term_months - 1, RiskGrade.B
    )
    assert shorter > capacity >= longer.terms.monthly_payment
    assert smaller.label == "smaller amount" and smaller.terms.term_months == 36
    assert smaller.terms.principal % 100 == 0 and smaller.terms.principal < 45000
    more = offerer.payment(LoanProduct.CAR, smaller.terms.principal + 100, 36, RiskGrade.B)
    assert more > capacity
    for option in proposal.options:
        assert_inside_and_affordable(person, option)


def test_a_student_asking_for_a_home_loan_sees_education_options(offerer: Offerer) -> None:
    student = borrower(age=21, employment_status=EmploymentStatus.STUDENT, risk_grade=RiskGrade.A)
    proposal = offerer.propose(student, LoanProduct.HOME, Decimal("150000"), 300)
    assert proposal.kind == "counter_offer"
    assert [f.code for f in proposal.findings] == ["STUDENT_NO_HOME_LOAN"]
    assert proposal.options[0].product is LoanProduct.EDUCATION
    assert LoanProduct.HOME not in {option.product for option in proposal.options}
    for option in proposal.options:
        assert_inside_and_affordable(student, option)


def test_home_improvement_is_for_owners(offerer: Offerer) -> None:
    owner = borrower(home_ownership=HomeOwnership.OWN)
    renter = borrower()
    assert offerer.propose(owner, LoanProduct.HOME_IMPROVEMENT, Decimal("20000"), 60).kind == (
        "as_requested"
    )
    refused = offerer.propose(renter, LoanProduct.HOME_IMPROVEMENT, Decimal("20000"), 60)
    assert [f.code for f in refused.findings] == ["HOME_IMPROVEMENT_OWNERS_ONLY"]
    assert {option.product for option in refused.options} == {LoanProduct.PERSONAL}


def test_out_of_range_requests_are_brought_inside_never_accepted(offerer: Offerer) -> None:
    person = borrower()
    ten_year_car = offerer.propose(person, LoanProduct.CAR, Decimal("20000"), 120)
    assert ten_year_car.kind == "counter_offer"
    assert [f.code for f in ten_year_car.findings] == ["TERM_OUTSIDE_PRODUCT_RANGE"]
    assert ten_year_car.options[0].terms.term_months == 84
    huge = offerer.propose(person, LoanProduct.GOLD, Decimal("90000"), 24)
    assert "AMOUNT_OUTSIDE_PRODUCT_RANGE" in [f.code for f in huge.findings]
    assert all(option.terms.principal <= 50000 for option in huge.options)


def test_terms_end_by_the_age_at_maturity(offerer: Offerer) -> None:
    older = borrower(age=68)
    proposal = offerer.propose(older, LoanProduct.HOME, Decimal("80000"), 240)
    assert proposal.kind == "counter_offer"
    assert all(option.terms.term_months <= 84 for option in proposal.options)


def test_a_score_under_every_minimum_and_no_room_means_no_offer(offerer: Offerer) -> None:
    person = borrower(credit_score=560, existing_monthly_debts=Decimal("2500.00"))
    proposal = offerer.propose(person, LoanProduct.PERSONAL, Decimal("10000"), 36)
    assert proposal.kind == "none" and proposal.options == ()
    assert [f.code for f in proposal.findings] == ["SCORE_BELOW_PRODUCT_MINIMUM"]


def test_without_a_risk_grade_nothing_is_priced(offerer: Offerer) -> None:
    proposal = offerer.propose(borrower(risk_grade=None), LoanProduct.CAR, Decimal("9000"), 36)
    assert proposal.kind == "none" and proposal.options == ()


def test_every_offer_for_random_applicants_is_inside_its_ranges(offerer: Offerer) -> None:
    rng = random.Random(11)
    checked = 0
    for _ in range(300):
        person = borrower(
            age=rng.randint(18, 74),
            employment_status=rng.choice(list(EmploymentStatus)),
            home_ownership=rng.choice(list(HomeOwnership)),
            credit_score=rng.randint(540, 820),
            risk_grade=rng.choice([RiskGrade.A, RiskGrade.B, RiskGrade.C]),
            monthly_income=Decimal(rng.randint(1500, 20000)),
            existing_monthly_debts=Decimal(rng.randint(0, 3000)),
        )
        product = rng.choice(list(LoanProduct))
        amount = Decimal(rng.randint(500, 400000))
        months = rng.randint(3, 420)
        for option in offerer.propose(person, product, amount, months).options:
            assert_inside_and_affordable(person, option)
            checked += 1
    assert checked > 200
