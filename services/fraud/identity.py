"""Identity-consistency checks of the fraud stage.

Do the applicant's own statements fit together (age, date of birth, years employed,
education), do they fit what the documents and the bureau say (income, debts), and do the
contact details look like ones a real person can be reached at (e-mail, phone)? Each rule
yields at most one ``IdentitySignal``; the stage weighs them with its other checks.
``services/fraud/IDENTITY.md`` lists every code with its severity and reasoning.

Descriptions go to reviewers, onto events and into logs. They never carry the e-mail, phone,
name, date of birth or an exact amount: only fixed text, buckets and relative differences.

The SSN has no rule here. Ingest refuses unissued ranges (area 000, 666 or 9xx, group 00,
serial 0000) on the raw number, which no later stage sees; the last four digits alone cannot
show anything more, so ``ssn_last4`` is carried in the facts for the stage's other checks and
for review only.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Mapping
from datetime import date
from enum import StrEnum
from types import MappingProxyType
from typing import Final, Literal

from pydantic import ConfigDict, Field

from services.common.contracts.base import EventModel
from services.common.contracts.pii import SSN_LAST4_PATTERN
from services.common.contracts.primitives import (
    CountryCode,
    EducationLevel,
    EmploymentStatus,
    Money,
    ReasonCodeValue,
)
from services.fraud.identity_rules import (
    EDUCATION_MIN_AGE,
    MIN_WORKING_AGE,
    PhoneIssue,
    age_on,
    disposable_match,
    email_defect,
    email_domain,
    phone_finding,
)

DEFAULT_INCOME_TOLERANCE: Final = 0.15
"""Stated income may exceed the verified one by this share before it is a signal: payslips
and tax forms lag raises and leave out bonuses, so honest statements run somewhat above."""

DEFAULT_DTI_TOLERANCE_POINTS: Final = 15.0
"""Points the bureau's debt-to-income may exceed the stated one before it is a signal. Wider
than scoring's mismatch tolerance: bureau payments include debts the applicant may fairly not
count as theirs (co-signed loans, an authorised user's card)."""

MAX_DESCRIPTION_LENGTH: Final = 200

# Floating point may put a figure exactly on a tolerance a hair above it; that must not flag.
_SLACK: Final = 1e-9
# Beyond this, a percentage would be as long as an income and say no more than "far above".
_MAX_SHOWN_PERCENT: Final = 1000
_MAX_SHOWN_POINTS: Final = 100
# Same bands as the scoring stage's bureau mismatches, so reviewers read one scale.
_DTI_BUCKETS: Final = (
    (0.0, "0-20 %"),
    (20.0, "20-36 %"),
    (36.0, "36-43 %"),
    (43.0, "43-50 %"),
    (50.0, "50-100 %"),
    (100.0, "100+ %"),
)

Severity = Literal["low", "medium", "high"]


class IdentityCode(StrEnum):
    AGE_DOB_MISMATCH = "AGE_DOB_MISMATCH"
    YEARS_EMPLOYED_EXCEED_AGE = "YEARS_EMPLOYED_EXCEED_AGE"
    EDUCATION_AGE_IMPLAUSIBLE = "EDUCATION_AGE_IMPLAUSIBLE"
    INCOME_ABOVE_VERIFIED = "INCOME_ABOVE_VERIFIED"
    DTI_BELOW_BUREAU = "DTI_BELOW_BUREAU"
    EMAIL_MALFORMED = "EMAIL_MALFORMED"
    EMAIL_DISPOSABLE = "EMAIL_DISPOSABLE"
    PHONE_INVALID = "PHONE_INVALID"
    PHONE_FICTIONAL = "PHONE_FICTIONAL"
    PHONE_FAKE_PATTERN = "PHONE_FAKE_PATTERN"
    PHONE_COUNTRY_MISMATCH = "PHONE_COUNTRY_MISMATCH"


class IdentityFacts(EventModel):
    """What the identity checks look at, gathered by the stage from the application, the
    opened personal and contact details, the documents result and the bureau report."""

    # A validation error would otherwise quote the input, e-mail and date of birth included.
    model_config = ConfigDict(hide_input_in_errors=True)

    age: int = Field(ge=0, le=120, description="Stated age, from the application household.")
    date_of_birth: date = Field(repr=False, description="From the sealed personal details.")
    application_date: date = Field(description="The date of the application's submitted_at.")
    years_employed: float = Field(ge=0, le=120, allow_inf_nan=False)
    employment_status: EmploymentStatus
    education_level: EducationLevel
    stated_annual_income: Money
    verified_annual_income: Money | None = Field(
        default=None, description="From the documents stage, when it verified one."
    )
    bureau_monthly_debt: Money | None = Field(
        default=None, description="Scheduled monthly debt payments on the bureau report."
    )
    stated_debt_to_income_ratio: float = Field(
        ge=0, le=1000, allow_inf_nan=False, description="In percent: 40.24 is 40.24 %."
    )
    # Kept out of repr so logging the facts cannot leak the contact details.
    email: str = Field(max_length=254, repr=False)
    phone: str = Field(max_length=40, repr=False)
    country: CountryCode = Field(description="Country of the address, for the phone rules.")
    ssn_last4: str = Field(pattern=SSN_LAST4_PATTERN, repr=False)


class IdentitySignal(EventModel):
    """One inconsistency, with a description safe to log."""

    code: ReasonCodeValue
    description: str = Field(min_length=1, max_length=MAX_DESCRIPTION_LENGTH)
    severity: Severity


def check_identity(
    facts: IdentityFacts,
    *,
    income_tolerance: float = DEFAULT_INCOME_TOLERANCE,
    dti_tolerance_points: float = DEFAULT_DTI_TOLERANCE_POINTS,
) -> tuple[IdentitySignal, ...]:
    """Every identity inconsistency in ``facts``, in a stable order; empty when consistent.

    ``income_tolerance`` is relative (0.15: stated may be 15 % above verified);
    ``dti_tolerance_points`` is in percentage points of debt-to-income.
    """
    if not math.isfinite(income_tolerance) or income_tolerance < 0:
        raise ValueError("income_tolerance must be a finite, non-negative share")
    if not math.isfinite(dti_tolerance_points) or dti_tolerance_points < 0:
        raise ValueError("dti_tolerance_points must be finite and non-negative")
    found = (
        _age_against_birth_date(facts),
        _years_employed_against_age(facts),
        _education_against_age(facts),
        _income_against_verified(facts, income_tolerance),
        _debt_to_income_against_bureau(facts, dti_tolerance_points),
        _email(facts),
        _phone(facts),
    )
    return tuple(signal for signal in found if signal is not None)


def _signal(code: IdentityCode, severity: Severity, description: str) -> IdentitySignal:
    return IdentitySignal(code=code.value, severity=severity, description=description)


def _age_against_birth_date(facts: IdentityFacts) -> IdentitySignal | None:
    if facts.date_of_birth > facts.application_date:
        return _signal(
            IdentityCode.AGE_DOB_MISMATCH, "high", "date of birth is after the application date"
        )
    gap = abs(age_on(facts.date_of_birth, facts.application_date) - facts.age)
    if gap == 0:
        return None
    if gap == 1:
        # Ingest lets one year through: people near a birthday often give the coming age.
        return _signal(
            IdentityCode.AGE_DOB_MISMATCH,
            "low",
            "stated age is one year off the age the date of birth gives",
        )
    return _signal(
        IdentityCode.AGE_DOB_MISMATCH,
        "high",
        f"stated age is {gap} years off the age the date of birth gives",
    )


def _years_employed_against_age(facts: IdentityFacts) -> IdentitySignal | None:
    if facts.years_employed <= facts.age - MIN_WORKING_AGE:
        return None
    return _signal(
        IdentityCode.YEARS_EMPLOYED_EXCEED_AGE,
        "high",
        f"years employed exceed the years since age {MIN_WORKING_AGE}",
    )


def _education_against_age(facts: IdentityFacts) -> IdentitySignal | None:
    minimum = EDUCATION_MIN_AGE.get(facts.education_level)
    if minimum is None or facts.age >= minimum:
        return None
    # Within two years of the table, a gifted or accelerated student is a real possibility.
    severity: Severity = "high" if minimum - facts.age > 2 else "medium"
    return _signal(
        IdentityCode.EDUCATION_AGE_IMPLAUSIBLE,
        severity,
        f"{facts.education_level.value} completed below age {minimum}, the youngest plausible",
    )


def _income_against_verified(facts: IdentityFacts, tolerance: float) -> IdentitySignal | None:
    verified = facts.verified_annual_income
    stated = facts.stated_annual_income
    # Understating income only hurts the applicant, so it is not a fraud signal.
    if verified is None or stated <= verified:
        return None
    if verified == 0:
        return _signal(
            IdentityCode.INCOME_ABOVE_VERIFIED,
            "high",
            "income stated while the documents evidence none",
        )
    excess = (stated - verified) / verified
    if excess <= tolerance + _SLACK:
        return None
    severity: Severity = "high" if excess > 2 * tolerance + _SLACK else "medium"
    amount = _capped(excess * 100, _MAX_SHOWN_PERCENT, "%")
    return _signal(
        IdentityCode.INCOME_ABOVE_VERIFIED,
        severity,
        f"stated income {amount} above the document-verified income",
    )


def _debt_to_income_against_bureau(
    facts: IdentityFacts, tolerance_points: float
) -> IdentitySignal | None:
    debt = facts.bureau_monthly_debt
    income = facts.stated_annual_income
    if debt is None or income <= 0:
        return None
    # Measured against the stated income on purpose: a large gap means the applicant left out
    # debts, inflated the income, or both, and either way the statement does not hold.
    bureau_ratio = debt / (income / 12) * 100
    stated_ratio = facts.stated_debt_to_income_ratio
    gap = bureau_ratio - stated_ratio
    if gap <= tolerance_points + _SLACK:
        return None
    severity: Severity = "high" if gap > 2 * tolerance_points + _SLACK else "medium"
    amount = _capped(gap, _MAX_SHOWN_POINTS, "points")
    return _signal(
        IdentityCode.DTI_BELOW_BUREAU,
        severity,
        f"bureau debts put debt-to-income {amount} above the stated ratio "
        f"(bureau {_dti_bucket(bureau_ratio)}, stated {_dti_bucket(stated_ratio)})",
    )


def _capped(value: float, limit: int, unit: str) -> str:
    if round(value) > limit:
        return f"more than {limit} {unit}"
    return f"{round(value)} {unit}"


def _dti_bucket(ratio: float) -> str:
    index = bisect_right([bound for bound, _ in _DTI_BUCKETS], ratio) - 1
    return _DTI_BUCKETS[max(0, index)][1]


def _email(facts: IdentityFacts) -> IdentitySignal | None:
    defect = email_defect(facts.email)
    if defect is not None:
        return _signal(IdentityCode.EMAIL_MALFORMED, "medium", f"e-mail address {defect}")
    service = disposable_match(email_domain(facts.email))
    if service is None:
        return None
    # Naming the service is safe: it is a public list entry, never the applicant's own domain.
    return _signal(
        IdentityCode.EMAIL_DISPOSABLE,
        "medium",
        f"e-mail address is on the disposable-mail service {service}",
    )


_PHONE_SIGNALS: Final[Mapping[PhoneIssue, tuple[IdentityCode, Severity]]] = MappingProxyType(
    {
        PhoneIssue.INVALID: (IdentityCode.PHONE_INVALID, "medium"),
        # Nobody can hold these numbers, so giving one is a deliberate choice.
        PhoneIssue.FICTIONAL: (IdentityCode.PHONE_FICTIONAL, "high"),
        PhoneIssue.FAKE_PATTERN: (IdentityCode.PHONE_FAKE_PATTERN, "high"),
        # Expatriates and new arrivals keep their old numbers; worth a look, not an alarm.
        PhoneIssue.FOREIGN: (IdentityCode.PHONE_COUNTRY_MISMATCH, "low"),
    }
)


def _phone(facts: IdentityFacts) -> IdentitySignal | None:
    finding = phone_finding(facts.phone, facts.country)
    if finding is None:
        return None
    code, severity = _PHONE_SIGNALS[finding.issue]
    return _signal(code, severity, f"phone number {finding.detail}")
