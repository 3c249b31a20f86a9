"""Constrained scalar types and the enumerations shared by several event models.

Enumeration values keep the exact spelling of the historical applications data set (for example
``"Self-Employed"`` and ``"Bachelor's"``) so a historical row validates without any translation.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import AwareDatetime, Field

Money = Annotated[
    float,
    Field(
        ge=0,
        le=1_000_000_000,
        allow_inf_nan=False,
        description="Amount in the application's currency.",
    ),
]
"""A non-negative, finite amount of money."""

SignedMoney = Annotated[float, Field(ge=-1_000_000_000, le=1_000_000_000, allow_inf_nan=False)]
"""An amount that may be negative, such as an overdrawn balance."""

Percent = Annotated[float, Field(ge=0, le=100, allow_inf_nan=False)]
"""A percentage in points: 13.63 means 13.63 %."""

Probability = Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)]
"""A probability or confidence between 0 and 1."""

CreditScore = Annotated[int, Field(ge=300, le=850)]
"""A FICO-range credit score."""

CurrencyCode = Annotated[str, Field(pattern=r"^[A-Z]{3}$", description="ISO 4217 currency code.")]

CountryCode = Annotated[
    str, Field(pattern=r"^[A-Z]{2}$", description="ISO 3166-1 alpha-2 country code.")
]

Sha256Hex = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$", description="Lower-case hex SHA-256.")]

Timestamp = Annotated[AwareDatetime, Field(description="RFC 3339 timestamp with a UTC offset.")]
"""Event timestamps must carry an offset: a naive time is ambiguous across regions."""

VersionLabel = Annotated[
    str,
    Field(
        min_length=1,
        max_length=64,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9._+-]*$",
        description="Version label of the code, rules or model that produced a result.",
    ),
]

ReasonCodeValue = Annotated[
    str,
    Field(
        pattern=r"^[A-Z][A-Z0-9_]{1,63}$",
        description="Stable upper-snake-case reason code owned by the credit-risk team.",
    ),
]


class LoanProduct(StrEnum):
    """Loan products: the data set's ``loan_purpose`` values plus the bank's catalogue."""

    CAR = "Car"
    HOME = "Home"
    GOLD = "Gold"
    EDUCATION = "Education"
    PERSONAL = "Personal"
    MEDICAL = "Medical"
    HOME_IMPROVEMENT = "Home Improvement"


class EmploymentStatus(StrEnum):
    EMPLOYED = "Employed"
    SELF_EMPLOYED = "Self-Employed"
    UNEMPLOYED = "Unemployed"
    STUDENT = "Student"
    RETIRED = "Retired"


class HomeOwnership(StrEnum):
    RENT = "Rent"
    OWN = "Own"
    MORTGAGE = "Mortgage"
    OTHER = "Other"


class MaritalStatus(StrEnum):
    SINGLE = "Single"
    MARRIED = "Married"
    DIVORCED = "Divorced"
    WIDOWED = "Widowed"


class EducationLevel(StrEnum):
    HIGH_SCHOOL = "High School"
    BACHELORS = "Bachelor's"
    MASTERS = "Master's"
    PHD = "PhD"
    OTHER = "Other"


class PaymentHistory(StrEnum):
    """Rating of how the applicant repaid earlier credit."""

    POOR = "Poor"
    FAIR = "Fair"
    GOOD = "Good"
    EXCELLENT = "Excellent"


class ApprovalStatus(StrEnum):
    APPROVED = "Approved"
    REJECTED = "Rejected"


class StageName(StrEnum):
    """The services that can end or decide an application."""

    INGEST = "ingest"
    DOCUMENTS = "documents"
    FRAUD = "fraud"
    SCORING = "scoring"
    OFFERS = "offers"
