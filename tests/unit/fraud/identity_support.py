"""The consistent applicant the identity tests change one fact of, and how they read signals."""

from __future__ import annotations

from datetime import date
from typing import Any

from services.common.contracts.primitives import EducationLevel, EmploymentStatus
from services.fraud.identity import IdentityCode, IdentityFacts, IdentitySignal, check_identity

CONSISTENT: dict[str, Any] = {
    "age": 35,
    "date_of_birth": date(1990, 3, 10),
    "application_date": date(2025, 6, 1),
    "years_employed": 8,
    "employment_status": EmploymentStatus.EMPLOYED,
    "education_level": EducationLevel.BACHELORS,
    "stated_annual_income": 72_000,
    "verified_annual_income": 70_000,
    # 1 800 a month against 6 000 of monthly income: 30 %, two points above the stated 28.
    "bureau_monthly_debt": 1_800,
    "stated_debt_to_income_ratio": 28.0,
    "email": "jordan.avery@example.com",
    "phone": "+1 212 867 5309",
    "country": "US",
    "ssn_last4": "4821",
}


def facts(**changes: Any) -> IdentityFacts:
    return IdentityFacts.model_validate({**CONSISTENT, **changes})


def codes(subject: IdentityFacts, **options: float) -> list[str]:
    return [signal.code for signal in check_identity(subject, **options)]


def only(subject: IdentityFacts, code: IdentityCode, **options: float) -> IdentitySignal | None:
    """The signal with ``code``, failing the test if the rule fired more than once."""
    matching = [signal for signal in check_identity(subject, **options) if signal.code == code]
    assert len(matching) <= 1
    return matching[0] if matching else None
