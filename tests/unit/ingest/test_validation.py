from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from services.common.contracts import LoanProduct
from services.ingest.validation import (
    PRODUCT_TERMS,
    TermRange,
    Violation,
    age_on,
    validate_application,
)
from tests.unit.contracts import samples
from tests.unit.ingest.support import SECRETS, submission_with

NOW = samples.RECEIVED_AT
CONSENT_TIME = "2025-03-14T09:20:00Z"


def rules(**changes: Any) -> list[tuple[str, str]]:
    found = validate_application(submission_with(**changes), now=NOW)
    return [(v.field, v.rule) for v in found]


def test_the_sample_submission_is_acceptable() -> None:
    assert validate_application(samples.submission(), now=NOW) == []


def test_years_employed_may_not_exceed_age_minus_14() -> None:
    assert rules(employment__years_employed=13) == []
    assert rules(employment__years_employed=14) == [
        ("employment.years_employed", "years_employed_exceeds_age_minus_14")
    ]


def test_the_eighteen_year_old_with_thirty_years_of_employment() -> None:
    found = rules(
        household__age=18,
        identity__date_of_birth="2006-06-02",
        employment__years_employed=30,
    )
    assert ("employment.years_employed", "years_employed_exceeds_age_minus_14") in found


@pytest.mark.parametrize(("age", "ok"), [(26, True), (27, True), (28, True), (25, False)])
def test_stated_age_must_match_the_date_of_birth_within_a_year(age: int, ok: bool) -> None:
    found = rules(household__age=age)
    expected = [] if ok else [("household.age", "age_inconsistent_with_date_of_birth")]
    assert [f for f in found if f[0] == "household.age"] == expected


def test_applicant_must_be_at_least_18_by_date_of_birth() -> None:
    # Stated 18 (the type's minimum) but born 17 years before the submission.
    young = {"household__age": 18, "employment__years_employed": 2}
    found = rules(**young, identity__date_of_birth="2007-06-01")
    assert found == [("identity.date_of_birth", "applicant_under_18")]
    assert rules(**young, identity__date_of_birth="2007-03-14") == []


def test_a_date_of_birth_after_the_submission_is_refused() -> None:
    assert rules(identity__date_of_birth="2025-03-15") == [
        ("identity.date_of_birth", "date_of_birth_in_future")
    ]


def test_age_on_counts_the_birthday() -> None:
    from datetime import date

    assert age_on(date(2000, 3, 14), date(2025, 3, 14)) == 25
    assert age_on(date(2000, 3, 15), date(2025, 3, 14)) == 24
    assert age_on(date(2000, 2, 29), date(2025, 2, 28)) == 24


@pytest.mark.parametrize(
    ("product", "term", "ok"),
    [
        ("Car", 0.5, True),
        ("Car", 7, True),
        ("Car", 10, False),
        ("Car", 0.25, False),
        ("Home", 30, True),
        ("Home", 1, False),
        ("Gold", 3, True),
        ("Gold", 4, False),
        ("Education", 5, True),
        ("Education", 4, False),
        ("Education", 16, False),
        ("Personal", 2, True),
        ("Personal", 6, False),
        ("Medical", 1.5, False),
        ("Home Improvement", 15, True),
        ("Home Improvement", 20, False),
    ],
)
def test_term_must_be_within_the_products_range(product: str, term: float, ok: bool) -> None:
    found = rules(loan__product=product, loan__term_years=term)
    assert found == ([] if ok else [("loan.term_years", "term_outside_product_range")])


def test_every_product_has_a_term_range() -> None:
    assert set(PRODUCT_TERMS) == set(LoanProduct)


def test_the_product_policy_is_data() -> None:
    only_car = {LoanProduct.CAR: TermRange(1, 3)}
    found = validate_application(samples.submission(), now=NOW, product_terms=only_car)
    assert [(v.field, v.rule) for v in found] == [("loan.term_years", "term_outside_product_range")]
    home = submission_with(loan__product="Home", loan__term_years=10)
    found = validate_application(home, now=NOW, product_terms=only_car)
    assert [(v.field, v.rule) for v in found] == [("loan.product", "product_not_offered")]


def test_credit_check_and_data_processing_consent_are_required() -> None:
    found = rules(consents__credit_check__granted=False, consents__data_processing__granted=False)
    assert found == [
        ("consents.credit_check.granted", "credit_check_consent_required"),
        ("consents.data_processing.granted", "data_processing_consent_required"),
    ]
    assert rules(consents__electronic_communications__granted=False) == []


def test_submitted_at_may_not_be_in_the_future_beyond_clock_skew() -> None:
    application = samples.submission()
    slightly_behind = application.submitted_at - timedelta(minutes=4)
    assert validate_application(application, now=slightly_behind) == []
    far_behind = application.submitted_at - timedelta(minutes=10)
    found = validate_application(application, now=far_behind)
    assert [(v.field, v.rule) for v in found] == [("submitted_at", "submitted_at_in_future")]
    assert validate_application(application, now=far_behind, clock_skew=timedelta(hours=1)) == []


def test_consents_may_not_be_recorded_in_the_future() -> None:
    found = rules(
        consents__marketing={
            "granted": True,
            "recorded_at": "2026-01-01T00:00:00Z",
            "text_version": "1",
        }
    )
    assert found == [("consents.marketing.recorded_at", "consent_recorded_in_future")]


def test_unemployed_with_years_employed_is_inconsistent() -> None:
    assert rules(employment__employment_status="Unemployed", employment__years_employed=0) == []
    assert rules(employment__employment_status="Unemployed", employment__years_employed=3) == [
        ("employment.years_employed", "unemployed_with_years_employed")
    ]


def test_address_history() -> None:
    address = samples.submission_payload()["identity"]["address"]
    assert rules(identity__address={**address, "years_at_address": 40}) == [
        ("identity.address.years_at_address", "years_at_address_exceeds_age")
    ]
    assert rules(identity__address={**address, "years_at_address": 1}) == [
        ("identity.previous_address", "previous_address_required")
    ]
    assert (
        rules(
            identity__address={**address, "years_at_address": 1},
            identity__previous_address={**address, "line1": "1 Oak Road"},
        )
        == []
    )


def test_duplicate_document_ids_are_refused() -> None:
    document = samples.submission_payload()["documents"][0]
    found = rules(documents=[document, {**document, "sha256": "b" * 64}])
    assert found == [("documents.1.document_id", "duplicate_document_id")]


def test_every_violation_is_reported_not_only_the_first() -> None:
    found = rules(
        household__age=40,
        employment__employment_status="Unemployed",
        employment__years_employed=30,
        loan__term_years=10,
        consents__credit_check__granted=False,
    )
    assert {rule for _, rule in found} == {
        "age_inconsistent_with_date_of_birth",
        "years_employed_exceeds_age_minus_14",
        "unemployed_with_years_employed",
        "term_outside_product_range",
        "credit_check_consent_required",
    }


def test_messages_never_contain_personal_values() -> None:
    application = submission_with(
        household__age=18,
        identity__date_of_birth="2010-01-01",
        employment__years_employed=30,
        loan__term_years=10,
    )
    found = validate_application(application, now=NOW)
    assert len(found) >= 3
    for violation in found:
        text = f"{violation.field} {violation.rule} {violation.message} {violation}"
        for secret in (*SECRETS, "2010-01-01", "2010", "30"):
            assert secret not in text, (violation, secret)


def test_a_violation_renders_as_path_and_rule() -> None:
    assert str(Violation("loan.term_years", "term_outside_product_range", "m")) == (
        "loan.term_years: term_outside_product_range"
    )
