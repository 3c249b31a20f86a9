"""Opening what the fraud checks need from a case: personal and contact details, sealed by
ingest, and the figures earlier stages recorded.

Opened values live only in memory for the batch; nothing here is logged or put on an event.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from services.common.contracts import (
    CONTACT_SEALED_FIELD,
    PERSONAL_SEALED_FIELD,
    ApplicationCase,
)
from services.common.contracts.applicant import ContactDetails, PersonalDetails, PersonName
from services.common.fieldcrypto import FieldCipher
from services.fraud.identity import IdentityFacts
from services.fraud.velocity import VelocityInput
from services.fraud.watchlist.models import ScreeningQuery


@dataclass(frozen=True)
class Opened:
    case: ApplicationCase
    personal: PersonalDetails
    contact: ContactDetails


def open_case(case: ApplicationCase, cipher: FieldCipher) -> Opened:
    application = case.application
    personal = cipher.open_model(
        application.identity.personal_sealed,
        PersonalDetails,
        application_id=case.application_id,
        field=PERSONAL_SEALED_FIELD,
    )
    contact = cipher.open_model(
        application.contact.contact_sealed,
        ContactDetails,
        application_id=case.application_id,
        field=CONTACT_SEALED_FIELD,
    )
    return Opened(case, personal, contact)


def full_name(name: PersonName) -> str:
    parts = [name.given_name, name.middle_name, name.family_name]
    return " ".join(part for part in parts if part)


def screening_query(opened: Opened) -> ScreeningQuery:
    return ScreeningQuery(
        name=full_name(opened.personal.name),
        date_of_birth=opened.personal.date_of_birth,
        country=opened.personal.address.country,
    )


def velocity_input(opened: Opened) -> VelocityInput:
    application = opened.case.application
    device = application.device
    return VelocityInput(
        application_id=str(opened.case.application_id),
        at=application.submitted_at,
        ssn_token=application.identity.ssn_token,
        email=opened.contact.email,
        phone=opened.contact.phone,
        device_id=device.device_id if device is not None else None,
        ip_address=str(device.ip_address) if device is not None else None,
        full_name=full_name(opened.personal.name),
        date_of_birth=opened.personal.date_of_birth,
    )


def identity_facts(opened: Opened) -> IdentityFacts:
    application = opened.case.application
    documents = getattr(opened.case, "documents", None)
    return IdentityFacts(
        age=application.household.age,
        date_of_birth=opened.personal.date_of_birth,
        application_date=application.submitted_at.date(),
        years_employed=application.employment.years_employed,
        employment_status=application.employment.employment_status,
        education_level=application.household.education_level,
        stated_annual_income=application.financials.annual_income,
        verified_annual_income=(
            documents.verified_annual_income if documents is not None else None
        ),
        stated_debt_to_income_ratio=application.financials.debt_to_income_ratio,
        email=opened.contact.email,
        phone=opened.contact.phone,
        country=opened.personal.address.country,
        ssn_last4=application.identity.ssn_last4,
    )


def bureau_mismatches(case: ApplicationCase) -> tuple[str, ...]:
    """``field:severity`` of the scoring stage's findings, when it ran before fraud."""
    scoring: Any = getattr(case, "scoring", None)
    if scoring is None:
        return ()
    return tuple(f"{m.field.value}:{m.severity.value}" for m in scoring.bureau_mismatches)
