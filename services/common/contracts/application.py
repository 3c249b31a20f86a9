"""The loan application: as upstream submits it, and as the pipeline holds it after ingest.

``ApplicationData`` groups the 21 columns of the historical applications data set, so a
historical row maps onto it one to one (see ``HISTORICAL_COLUMNS``). ``SubmittedApplication``
adds what a live application also needs (identity with the raw SSN, contact, consents, device,
documents); ``ReceivedApplication`` holds the same with the SSN replaced by a token and the
name, date of birth, addresses, e-mail and phone sealed (ingest's ``protection`` module).
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType
from typing import Any, Final
from uuid import UUID

from pydantic import ConfigDict, Field

from services.common.contracts.applicant import (
    Consents,
    Contact,
    DeviceContext,
    ProtectedContact,
    ProtectedIdentity,
    SubmittedIdentity,
)
from services.common.contracts.base import EventModel
from services.common.contracts.documents import DocumentReference
from services.common.contracts.primitives import (
    ApprovalStatus,
    CreditScore,
    CurrencyCode,
    EducationLevel,
    EmploymentStatus,
    HomeOwnership,
    LoanProduct,
    MaritalStatus,
    Money,
    PaymentHistory,
    Percent,
    SignedMoney,
    Timestamp,
)

MAX_DOCUMENTS = 50


class HouseholdProfile(EventModel):
    """Personal circumstances from the historical data set."""

    age: int = Field(ge=18, le=120, description="Age in whole years at application.")
    marital_status: MaritalStatus = Field(
        description=(
            "Marital status, kept because the historical data has it. It is a prohibited basis "
            "under ECOA (Regulation B): it is never a model feature nor a policy input, and "
            "is only used to monitor decisions for bias."
        )
    )
    num_dependents: int = Field(ge=0, le=20, description="Number of dependents.")
    education_level: EducationLevel = Field(description="Highest completed education.")
    home_ownership: HomeOwnership = Field(
        description="Housing situation; owners may be offered home improvement products."
    )


class Employment(EventModel):
    employment_status: EmploymentStatus
    years_employed: int = Field(
        ge=0, le=80, description="Whole years in current employment or self-employment."
    )
    employer_name: str | None = Field(default=None, max_length=200, description="Employer.")
    occupation: str | None = Field(default=None, max_length=100, description="Job title.")


class FinancialProfile(EventModel):
    """The applicant's finances as stated; later stages verify them against documents and
    bureaus and record what they found in their own results."""

    annual_income: Money = Field(description="Gross annual income as stated.")
    credit_score: CreditScore = Field(
        description="Credit score as stated or last known; scoring pulls the bureau score."
    )
    debt_to_income_ratio: float = Field(
        ge=0,
        le=1000,
        allow_inf_nan=False,
        description=(
            "Monthly debt payments over gross monthly income, in percent (40.24 = 40.24 %). "
            "Above 100 when debts exceed income."
        ),
    )
    savings_balance: Money = Field(description="Balance of savings accounts.")
    checking_balance: SignedMoney = Field(
        description="Balance of checking accounts; negative when overdrawn."
    )
    existing_loans: int = Field(ge=0, le=100, description="Number of loans currently open.")
    payment_history: PaymentHistory = Field(description="Rating of past repayment behaviour.")


class LoanRequest(EventModel):
    product: LoanProduct = Field(description="Requested product (the data set's loan_purpose).")
    amount: Money = Field(gt=0, description="Requested principal.")
    term_years: float = Field(
        gt=0,
        le=40,
        allow_inf_nan=False,
        description="Requested tenure in years (the data set's loan_term); 0.5 is six months.",
    )
    currency: CurrencyCode = Field(
        default="USD", description="Currency of every amount in the application."
    )

    @property
    def term_months(self) -> int:
        return round(self.term_years * 12)


class HistoricalOutcome(EventModel):
    """What happened to a historical application. Only replays of historical or labelled data
    set it; a live applicant never sends it and no stage may read it for a decision."""

    interest_rate: Percent | None = Field(default=None, description="Rate granted, % p.a.")
    monthly_payment: Money | None = Field(
        default=None, description="Annuity payment of the amount at that rate over that term."
    )
    approval_status: ApprovalStatus | None = Field(default=None, description="Final status.")


class ApplicationData(EventModel):
    """The facts the credit policy and the model see: one historical data set row."""

    customer_id: str = Field(
        min_length=1, max_length=64, description="The bank's identifier of the customer."
    )
    household: HouseholdProfile
    employment: Employment
    financials: FinancialProfile
    loan: LoanRequest
    historical_outcome: HistoricalOutcome | None = Field(
        default=None, description="Known outcome, for historical and labelled data only."
    )


class Channel(StrEnum):
    WEB = "web"
    MOBILE = "mobile"
    BRANCH = "branch"
    PARTNER_API = "partner_api"
    BATCH = "batch"


class _LiveApplication(ApplicationData):
    submitted_at: Timestamp = Field(description="When the applicant completed the application.")
    channel: Channel = Field(description="Origination channel.")
    consents: Consents
    device: DeviceContext | None = Field(
        default=None, description="Device and network of the applicant, for online channels."
    )
    documents: tuple[DocumentReference, ...] = Field(
        default=(), max_length=MAX_DOCUMENTS, description="Uploaded supporting documents."
    )


class ReceivedApplication(_LiveApplication):
    """The application as ingest accepted it: no raw SSN, and no name, date of birth, address,
    e-mail or phone in clear. Age and the financial and household data stay in clear because
    every stage decides on them and they do not identify the applicant on their own."""

    identity: ProtectedIdentity
    contact: ProtectedContact


class SubmittedApplication(_LiveApplication):
    """An application as upstream bank systems submit it, over HTTP or Kafka. It is the only
    payload that carries the raw SSN; ingest tokenizes it before publishing anything."""

    # Producers serialize with model_dump_json(context=WIRE_CONTEXT): without it the SSN is
    # masked, and the masked value fails the SSN pattern on the consuming side by design.

    model_config = ConfigDict(hide_input_in_errors=True)

    application_id: UUID | None = Field(
        default=None,
        description=(
            "Submitter-chosen id; submitting the same id twice is a duplicate. Ingest assigns "
            "a UUID when it is absent."
        ),
    )
    identity: SubmittedIdentity
    contact: Contact


HISTORICAL_COLUMNS: Final[Mapping[str, tuple[str, ...]]] = MappingProxyType(
    {
        "customer_id": ("customer_id",),
        "age": ("household", "age"),
        "annual_income": ("financials", "annual_income"),
        "credit_score": ("financials", "credit_score"),
        "employment_status": ("employment", "employment_status"),
        "years_employed": ("employment", "years_employed"),
        "debt_to_income_ratio": ("financials", "debt_to_income_ratio"),
        "savings_balance": ("financials", "savings_balance"),
        "checking_balance": ("financials", "checking_balance"),
        "home_ownership": ("household", "home_ownership"),
        "marital_status": ("household", "marital_status"),
        "num_dependents": ("household", "num_dependents"),
        "education_level": ("household", "education_level"),
        "loan_purpose": ("loan", "product"),
        "requested_loan_amount": ("loan", "amount"),
        "existing_loans": ("financials", "existing_loans"),
        "payment_history": ("financials", "payment_history"),
        "loan_term": ("loan", "term_years"),
        "interest_rate": ("historical_outcome", "interest_rate"),
        "monthly_payment": ("historical_outcome", "monthly_payment"),
        "approval_status": ("historical_outcome", "approval_status"),
    }
)
"""Historical data set column -> field path in ``ApplicationData``."""


def application_data_from_row(row: Mapping[str, object]) -> ApplicationData:
    """Build ``ApplicationData`` from one historical row keyed by column name.

    Values are left to pydantic to coerce, so rows read from CSV/TSV as strings work.
    """
    nested: dict[str, Any] = {}
    for column, path in HISTORICAL_COLUMNS.items():
        if column not in row:
            continue
        target = nested
        for part in path[:-1]:
            target = target.setdefault(part, {})
        target[path[-1]] = row[column]
    return ApplicationData.model_validate(nested)
