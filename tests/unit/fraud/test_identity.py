from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from services.common.contracts.primitives import EducationLevel, EmploymentStatus
from services.fraud.identity import (
    IdentityCode,
    IdentityFacts,
    IdentitySignal,
    check_identity,
)
from services.fraud.identity_rules import (
    EDUCATION_MIN_AGE,
    age_on,
)
from tests.unit.fraud.identity_support import codes, facts, only


def test_a_consistent_applicant_raises_no_signal() -> None:
    assert check_identity(facts()) == ()


def test_missing_documents_and_bureau_data_raise_no_signal() -> None:
    assert check_identity(facts(verified_annual_income=None, bureau_monthly_debt=None)) == ()


# --- age against date of birth -----------------------------------------------------------


def test_age_on_counts_the_birthday_on_its_date() -> None:
    assert age_on(date(1990, 6, 1), date(2025, 5, 31)) == 34
    assert age_on(date(1990, 6, 1), date(2025, 6, 1)) == 35


def test_age_on_a_leap_day_birth_turns_over_on_the_first_of_march() -> None:
    assert age_on(date(2000, 2, 29), date(2025, 2, 28)) == 24
    assert age_on(date(2000, 2, 29), date(2025, 3, 1)) == 25


def test_age_equal_to_the_date_of_birth_age_is_silent() -> None:
    # The birthday is the day after the application: 34, not 35.
    subject = facts(age=34, date_of_birth=date(1990, 6, 2))
    assert only(subject, IdentityCode.AGE_DOB_MISMATCH) is None


def test_age_one_year_off_is_a_low_signal() -> None:
    signal = only(facts(age=36), IdentityCode.AGE_DOB_MISMATCH)
    assert signal is not None
    assert signal.severity == "low"


def test_age_giving_the_coming_birthday_is_flagged() -> None:
    signal = only(facts(age=35, date_of_birth=date(1990, 6, 2)), IdentityCode.AGE_DOB_MISMATCH)
    assert signal is not None
    assert signal.severity == "low"


@pytest.mark.parametrize("age", [33, 37, 60])
def test_age_two_or_more_years_off_is_high(age: int) -> None:
    signal = only(facts(age=age), IdentityCode.AGE_DOB_MISMATCH)
    assert signal is not None
    assert signal.severity == "high"
    assert f"{abs(age - 35)} years" in signal.description


def test_date_of_birth_after_the_application_is_high() -> None:
    subject = facts(date_of_birth=date(2025, 6, 2))
    signal = only(subject, IdentityCode.AGE_DOB_MISMATCH)
    assert signal is not None
    assert signal.severity == "high"


# --- years employed against age ----------------------------------------------------------


def test_years_employed_up_to_age_minus_fourteen_are_silent() -> None:
    subject = facts(years_employed=21)
    assert only(subject, IdentityCode.YEARS_EMPLOYED_EXCEED_AGE) is None


@pytest.mark.parametrize("years", [21.5, 22, 40])
def test_years_employed_beyond_age_minus_fourteen_are_high(years: float) -> None:
    signal = only(facts(years_employed=years), IdentityCode.YEARS_EMPLOYED_EXCEED_AGE)
    assert signal is not None
    assert signal.severity == "high"


# --- education against age ---------------------------------------------------------------


def test_the_education_table_covers_every_level_but_other() -> None:
    assert set(EDUCATION_MIN_AGE) == set(EducationLevel) - {EducationLevel.OTHER}
    assert EDUCATION_MIN_AGE[EducationLevel.PHD] == 24
    assert EDUCATION_MIN_AGE[EducationLevel.MASTERS] == 21
    assert EDUCATION_MIN_AGE[EducationLevel.BACHELORS] == 19


def _aged(age: int, **changes: Any) -> IdentityFacts:
    """A consistent applicant of ``age`` on the application date."""
    return facts(
        age=age,
        date_of_birth=date(2025 - age, 3, 10),
        years_employed=0,
        **changes,
    )


@pytest.mark.parametrize("level", list(EDUCATION_MIN_AGE))
def test_education_at_its_minimum_age_is_silent(level: EducationLevel) -> None:
    subject = _aged(EDUCATION_MIN_AGE[level], education_level=level)
    assert check_identity(subject) == ()


@pytest.mark.parametrize("level", list(EDUCATION_MIN_AGE))
def test_education_a_year_below_its_minimum_is_medium(level: EducationLevel) -> None:
    subject = _aged(EDUCATION_MIN_AGE[level] - 1, education_level=level)
    signal = only(subject, IdentityCode.EDUCATION_AGE_IMPLAUSIBLE)
    assert signal is not None
    assert signal.severity == "medium"
    assert level.value in signal.description


def test_education_two_years_below_is_still_medium() -> None:
    subject = _aged(22, education_level=EducationLevel.PHD)
    signal = only(subject, IdentityCode.EDUCATION_AGE_IMPLAUSIBLE)
    assert signal is not None
    assert signal.severity == "medium"


def test_education_more_than_two_years_below_is_high() -> None:
    subject = _aged(19, education_level=EducationLevel.PHD)
    signal = only(subject, IdentityCode.EDUCATION_AGE_IMPLAUSIBLE)
    assert signal is not None
    assert signal.severity == "high"


def test_other_education_has_no_minimum() -> None:
    subject = _aged(18, education_level=EducationLevel.OTHER)
    assert only(subject, IdentityCode.EDUCATION_AGE_IMPLAUSIBLE) is None


@pytest.mark.parametrize("age", [18, 45, 75])
def test_students_of_any_adult_age_are_silent(age: int) -> None:
    subject = _aged(
        age, employment_status=EmploymentStatus.STUDENT, education_level=EducationLevel.OTHER
    )
    assert check_identity(subject) == ()


# --- stated income against verified income -----------------------------------------------


def _income(stated: float, verified: float | None, **options: float) -> IdentitySignal | None:
    subject = facts(
        stated_annual_income=stated, verified_annual_income=verified, bureau_monthly_debt=None
    )
    return only(subject, IdentityCode.INCOME_ABOVE_VERIFIED, **options)


def test_income_without_a_verified_figure_is_silent() -> None:
    assert _income(500_000, None) is None


def test_income_below_the_verified_figure_is_silent() -> None:
    assert _income(40_000, 100_000) is None


def test_income_exactly_at_the_tolerance_is_silent() -> None:
    assert _income(115_000, 100_000) is None


def test_income_just_above_the_tolerance_is_medium() -> None:
    signal = _income(115_001, 100_000)
    assert signal is not None
    assert signal.severity == "medium"


def test_income_exactly_at_twice_the_tolerance_is_medium() -> None:
    signal = _income(130_000, 100_000)
    assert signal is not None
    assert signal.severity == "medium"


def test_income_above_twice_the_tolerance_is_high() -> None:
    signal = _income(130_001, 100_000)
    assert signal is not None
    assert signal.severity == "high"


def test_income_description_states_the_relative_gap() -> None:
    signal = _income(160_000, 100_000)
    assert signal is not None
    assert signal.description == "stated income 60 % above the document-verified income"


def test_income_far_above_verified_caps_the_shown_percentage() -> None:
    signal = _income(250_000, 1_000)
    assert signal is not None
    assert "more than 1000 %" in signal.description


def test_income_stated_while_documents_show_none_is_high() -> None:
    signal = _income(50_000, 0)
    assert signal is not None
    assert signal.severity == "high"


def test_no_income_stated_nor_verified_is_silent() -> None:
    assert _income(0, 0) is None


def test_income_tolerance_is_configurable() -> None:
    assert _income(106_000, 100_000) is None
    strict = _income(106_000, 100_000, income_tolerance=0.05)
    assert strict is not None
    assert strict.severity == "medium"
    doubled = _income(110_001, 100_000, income_tolerance=0.05)
    assert doubled is not None
    assert doubled.severity == "high"


def test_a_zero_tolerance_flags_any_excess() -> None:
    signal = _income(100_001, 100_000, income_tolerance=0)
    assert signal is not None
    assert signal.severity == "high"
    assert _income(100_000, 100_000, income_tolerance=0) is None


@pytest.mark.parametrize("tolerance", [-0.01, float("nan"), float("inf")])
def test_an_invalid_income_tolerance_is_refused(tolerance: float) -> None:
    with pytest.raises(ValueError, match="income_tolerance"):
        check_identity(facts(), income_tolerance=tolerance)


@pytest.mark.parametrize("tolerance", [-1.0, float("nan")])
def test_an_invalid_dti_tolerance_is_refused(tolerance: float) -> None:
    with pytest.raises(ValueError, match="dti_tolerance_points"):
        check_identity(facts(), dti_tolerance_points=tolerance)


# --- debt-to-income against the bureau ---------------------------------------------------


def _dti(
    monthly_debt: float | None, *, income: float = 120_000, stated: float = 20.0
) -> IdentitySignal | None:
    # 120 000 a year is 10 000 a month, so each 100 of monthly debt is one point.
    subject = facts(
        stated_annual_income=income,
        verified_annual_income=None,
        bureau_monthly_debt=monthly_debt,
        stated_debt_to_income_ratio=stated,
    )
    return only(subject, IdentityCode.DTI_BELOW_BUREAU)


def test_bureau_dti_at_the_tolerance_is_silent() -> None:
    assert _dti(3_500) is None


def test_bureau_dti_just_beyond_the_tolerance_is_medium() -> None:
    signal = _dti(3_510)
    assert signal is not None
    assert signal.severity == "medium"
    assert signal.description == (
        "bureau debts put debt-to-income 15 points above the stated ratio "
        "(bureau 20-36 %, stated 20-36 %)"
    )


def test_bureau_dti_at_twice_the_tolerance_is_medium() -> None:
    signal = _dti(5_000)
    assert signal is not None
    assert signal.severity == "medium"


def test_bureau_dti_beyond_twice_the_tolerance_is_high() -> None:
    signal = _dti(5_010)
    assert signal is not None
    assert signal.severity == "high"
    assert "bureau 50-100 %" in signal.description


def test_bureau_dti_far_above_caps_the_shown_points() -> None:
    signal = _dti(30_000)
    assert signal is not None
    assert "more than 100 points" in signal.description
    assert "bureau 100+ %" in signal.description


def test_bureau_dti_below_the_stated_ratio_is_silent() -> None:
    assert _dti(1_000, stated=45.0) is None


def test_bureau_dti_without_bureau_debt_is_silent() -> None:
    assert _dti(None) is None


def test_bureau_dti_without_stated_income_is_silent() -> None:
    assert _dti(5_000, income=0) is None


def test_bureau_dti_tolerance_is_configurable() -> None:
    subject = facts(
        stated_annual_income=120_000,
        verified_annual_income=None,
        bureau_monthly_debt=3_000,
        stated_debt_to_income_ratio=20.0,
    )
    assert IdentityCode.DTI_BELOW_BUREAU not in codes(subject)
    assert IdentityCode.DTI_BELOW_BUREAU in codes(subject, dti_tolerance_points=5)
