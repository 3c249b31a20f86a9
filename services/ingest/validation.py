"""Business and cross-field checks on a submission, beyond what the model's types enforce.

The pydantic model already refuses wrong types, out-of-range values, unknown enumeration values
and unknown fields. These rules catch what is only wrong in combination (an 18-year-old with 30
years of employment) or against bank policy (a 10-year car loan), which the product brief says
must be flagged, never silently accepted.

Every rule reports ``(field path, rule id, message)``. Messages are fixed text: they never quote
the submitted value, because the values here are personal data (a date of birth, an age) and
rejections end up in HTTP responses, dead letters and logs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from types import MappingProxyType
from typing import Final

from services.common.catalogue import load_catalogue
from services.common.contracts import EmploymentStatus, LoanProduct, SubmittedApplication

MIN_APPLICANT_AGE: Final = 18
MIN_WORKING_AGE: Final = 14
"""Years of employment may not exceed age minus this."""
AGE_TOLERANCE_YEARS: Final = 1
ADDRESS_HISTORY_YEARS: Final = 2
"""Below this at the current address, the previous address is required: bureaus match on it."""
DEFAULT_CLOCK_SKEW: Final = timedelta(minutes=5)


@dataclass(frozen=True, slots=True)
class Violation:
    """One reason a submission is refused."""

    field: str
    """Dotted path of the offending field, e.g. ``employment.years_employed``."""
    rule: str
    """Stable rule id, e.g. ``years_employed_exceeds_age_minus_14``."""
    message: str
    """Explanation for the submitter; never contains the submitted value."""

    def __str__(self) -> str:
        return f"{self.field}: {self.rule}"


@dataclass(frozen=True, slots=True)
class TermRange:
    """Allowed tenure of a product, in years, bounds included."""

    min_years: float
    max_years: float

    def __contains__(self, years: float) -> bool:
        return self.min_years <= years <= self.max_years


PRODUCT_TERMS: Final[Mapping[LoanProduct, TermRange]] = MappingProxyType(
    {terms.product: TermRange(*terms.term_years) for terms in load_catalogue().products}
)
"""The product catalogue's term ranges. Passed in as data so a bank can change it."""


def age_on(birth: date, day: date) -> int:
    """Whole years between ``birth`` and ``day`` (the birthday counts on its date)."""
    years = day.year - birth.year
    if (day.month, day.day) < (birth.month, birth.day):
        years -= 1
    return years


def validate_application(
    application: SubmittedApplication,
    *,
    now: datetime,
    clock_skew: timedelta = DEFAULT_CLOCK_SKEW,
    product_terms: Mapping[LoanProduct, TermRange] = PRODUCT_TERMS,
) -> list[Violation]:
    """Every violation of the business rules, in a stable order; empty when acceptable.

    ``now`` is when ingest received the submission: times later than ``now + clock_skew`` are in
    the future.
    """
    latest = now + clock_skew
    found: list[Violation] = []
    found += _identity(application)
    found += _employment(application)
    found += _loan(application, product_terms)
    found += _consents(application, latest)
    if application.submitted_at > latest:
        found.append(
            Violation(
                "submitted_at",
                "submitted_at_in_future",
                "The submission time is in the future.",
            )
        )
    found += _documents(application)
    return found


def _identity(application: SubmittedApplication) -> list[Violation]:
    identity = application.identity
    stated_age = application.household.age
    # The applicant's age on the day they completed the application, in that day's offset.
    on_day = application.submitted_at.date()
    found: list[Violation] = []
    if identity.date_of_birth > on_day:
        return [
            Violation(
                "identity.date_of_birth",
                "date_of_birth_in_future",
                "The date of birth is after the submission date.",
            )
        ]
    age = age_on(identity.date_of_birth, on_day)
    if age < MIN_APPLICANT_AGE:
        found.append(
            Violation(
                "identity.date_of_birth",
                "applicant_under_18",
                f"The applicant must be at least {MIN_APPLICANT_AGE} years old.",
            )
        )
    if abs(age - stated_age) > AGE_TOLERANCE_YEARS:
        found.append(
            Violation(
                "household.age",
                "age_inconsistent_with_date_of_birth",
                "The stated age does not match the date of birth.",
            )
        )
    years_here = identity.address.years_at_address
    if years_here is not None and years_here > stated_age:
        found.append(
            Violation(
                "identity.address.years_at_address",
                "years_at_address_exceeds_age",
                "Years at the current address cannot exceed the applicant's age.",
            )
        )
    if (
        years_here is not None
        and years_here < ADDRESS_HISTORY_YEARS
        and identity.previous_address is None
    ):
        found.append(
            Violation(
                "identity.previous_address",
                "previous_address_required",
                f"A previous address is required with under {ADDRESS_HISTORY_YEARS} years at "
                "the current one.",
            )
        )
    return found


def _employment(application: SubmittedApplication) -> list[Violation]:
    employment = application.employment
    found: list[Violation] = []
    if employment.years_employed > application.household.age - MIN_WORKING_AGE:
        found.append(
            Violation(
                "employment.years_employed",
                "years_employed_exceeds_age_minus_14",
                f"Years employed cannot exceed age minus {MIN_WORKING_AGE}.",
            )
        )
    if (
        employment.employment_status is EmploymentStatus.UNEMPLOYED
        and employment.years_employed > 0
    ):
        found.append(
            Violation(
                "employment.years_employed",
                "unemployed_with_years_employed",
                "An unemployed applicant cannot have years in current employment.",
            )
        )
    return found


def _loan(
    application: SubmittedApplication, product_terms: Mapping[LoanProduct, TermRange]
) -> list[Violation]:
    loan = application.loan
    allowed = product_terms.get(loan.product)
    if allowed is None:
        # A product the policy does not list cannot be offered at any term.
        return [
            Violation(
                "loan.product",
                "product_not_offered",
                "This product is not currently offered.",
            )
        ]
    if loan.term_years not in allowed:
        return [
            Violation(
                "loan.term_years",
                "term_outside_product_range",
                f"{loan.product.value} loans run from {allowed.min_years:g} to "
                f"{allowed.max_years:g} years.",
            )
        ]
    return []


def _consents(application: SubmittedApplication, latest: datetime) -> list[Violation]:
    consents = application.consents
    found: list[Violation] = []
    if not consents.credit_check.granted:
        found.append(
            Violation(
                "consents.credit_check.granted",
                "credit_check_consent_required",
                "Consent to a credit check for a permissible purpose is required.",
            )
        )
    if not consents.data_processing.granted:
        found.append(
            Violation(
                "consents.data_processing.granted",
                "data_processing_consent_required",
                "Consent to processing personal data for this application is required.",
            )
        )
    recorded = {
        "credit_check": consents.credit_check,
        "data_processing": consents.data_processing,
        "electronic_communications": consents.electronic_communications,
        "marketing": consents.marketing,
    }
    for name, consent in recorded.items():
        if consent is not None and consent.recorded_at > latest:
            found.append(
                Violation(
                    f"consents.{name}.recorded_at",
                    "consent_recorded_in_future",
                    "A consent cannot be recorded in the future.",
                )
            )
    return found


def _documents(application: SubmittedApplication) -> list[Violation]:
    seen: set[str] = set()
    found: list[Violation] = []
    for index, document in enumerate(application.documents):
        if document.document_id in seen:
            found.append(
                Violation(
                    f"documents.{index}.document_id",
                    "duplicate_document_id",
                    "Each document must have its own id.",
                )
            )
        seen.add(document.document_id)
    return found
