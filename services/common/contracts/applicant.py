"""Who the applicant is and how to reach them: identity, contact, consents and device context.

Two shapes exist on purpose. ``SubmittedIdentity`` and ``Contact`` carry the raw SSN, name, date
of birth, addresses, e-mail and phone, and are only used on the submission topic and the HTTP
body. ``ProtectedIdentity`` and ``ProtectedContact`` are what every event after ingest holds: a
keyed SSN token and the last four digits, and the identifying details sealed (encrypted at field
level, see ``sealed.py``) as ``PersonalDetails`` and ``ContactDetails``. Only what stages need
and what does not identify the applicant stays in clear.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated, Final

from pydantic import (
    ConfigDict,
    Field,
    IPvAnyAddress,
    SecretStr,
    SerializationInfo,
    field_serializer,
)

from services.common.contracts.base import EventModel
from services.common.contracts.pii import (
    SSN_LAST4_PATTERN,
    SSN_TOKEN_PATTERN,
    RawSsn,
    serialize_secret,
)
from services.common.contracts.primitives import CountryCode, Timestamp
from services.common.contracts.sealed import SealedString

PERSONAL_SEALED_FIELD: Final = "identity.personal_sealed"
"""Field name bound into the associated data of ``ProtectedIdentity.personal_sealed``."""

CONTACT_SEALED_FIELD: Final = "contact.contact_sealed"
"""Field name bound into the associated data of ``ProtectedContact.contact_sealed``."""

NamePart = Annotated[str, Field(min_length=1, max_length=100)]


class PersonName(EventModel):
    """Legal name as it appears on the identity document."""

    given_name: NamePart = Field(description="First (given) name.")
    middle_name: NamePart | None = Field(default=None, description="Middle name(s), if any.")
    family_name: NamePart = Field(description="Last (family) name.")
    suffix: str | None = Field(
        default=None, max_length=20, description="Suffix such as Jr. or III."
    )


class Address(EventModel):
    """A postal address."""

    line1: str = Field(min_length=1, max_length=200, description="Street and number.")
    line2: str | None = Field(default=None, max_length=200, description="Unit, floor, c/o.")
    city: str = Field(min_length=1, max_length=100)
    region: str | None = Field(
        default=None, max_length=100, description="State, province or county (US: 2-letter state)."
    )
    postal_code: str = Field(min_length=1, max_length=20)
    country: CountryCode
    years_at_address: float | None = Field(
        default=None, ge=0, le=120, description="How long the applicant has lived here."
    )


class ResidencyStatus(StrEnum):
    CITIZEN = "citizen"
    PERMANENT_RESIDENT = "permanent_resident"
    VISA_HOLDER = "visa_holder"
    NON_RESIDENT = "non_resident"


Citizenship = Annotated[CountryCode, Field(description="Country of citizenship.")]


class PersonalDetails(EventModel):
    """The identifying part of an identity. After ingest it travels only sealed, as
    ``ProtectedIdentity.personal_sealed``; the stages that need it (documents) open it."""

    name: PersonName
    date_of_birth: date = Field(
        description="Date of birth (ISO 8601). Ingest checks it against the stated age."
    )
    address: Address = Field(description="Current residential address.")
    previous_address: Address | None = Field(
        default=None, description="Previous address when the current one is recent."
    )


class SubmittedIdentity(PersonalDetails):
    """Identity as upstream submits it, with the raw SSN."""

    # A validation error would otherwise quote the raw input, SSN included, in its message.
    model_config = ConfigDict(hide_input_in_errors=True)

    citizenship: Citizenship
    residency_status: ResidencyStatus = Field(
        description="Residency status in the country where the loan is booked."
    )
    ssn: RawSsn = Field(
        description=(
            "Social Security number, 9 digits without separators; area 000, 666 and 9xx, group "
            "00 and serial 0000 are rejected. Never logged; ingest replaces it by ssn_token."
        )
    )

    @field_serializer("ssn", when_used="json")
    def _serialize_ssn(self, value: SecretStr, info: SerializationInfo) -> str:
        return serialize_secret(value, info)

    def personal_details(self) -> PersonalDetails:
        """The part ingest seals."""
        return PersonalDetails(
            name=self.name,
            date_of_birth=self.date_of_birth,
            address=self.address,
            previous_address=self.previous_address,
        )


class ProtectedIdentity(EventModel):
    """Identity after ingest: no raw SSN, and name, date of birth and addresses sealed."""

    personal_sealed: SealedString = Field(
        description=(
            "PersonalDetails (name, date of birth, address, previous address) as JSON, sealed "
            "for the field 'identity.personal_sealed' of this application."
        )
    )
    citizenship: Citizenship
    residency_status: ResidencyStatus = Field(
        description="Residency status in the country where the loan is booked."
    )
    ssn_token: str = Field(
        pattern=SSN_TOKEN_PATTERN,
        description=(
            "HMAC-SHA256 of the SSN under the platform's token key, lower-case hex. Equal SSNs "
            "give equal tokens, so duplicate and watch-list matching work without the number."
        ),
    )
    ssn_last4: str = Field(pattern=SSN_LAST4_PATTERN, description="Last four digits of the SSN.")
    ssn_token_key_id: str | None = Field(
        default=None,
        max_length=64,
        description="Identifier of the key that made ssn_token, so keys can be rotated.",
    )


PreferredLanguage = Annotated[
    str | None,
    Field(
        pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$",
        description="BCP 47 language tag for communications, e.g. en-US.",
    ),
]


class ContactDetails(EventModel):
    """How to reach the applicant. After ingest it travels only sealed, as
    ``ProtectedContact.contact_sealed``; the notifier opens it."""

    email: str = Field(
        max_length=254,
        pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$",
        description="E-mail address for decisions and notices.",
    )
    phone: str = Field(
        pattern=r"^\+[1-9][0-9]{1,14}$", description="Phone number in E.164, e.g. +14155550123."
    )


class Contact(ContactDetails):
    """Contact as upstream submits it."""

    preferred_language: PreferredLanguage = None

    def details(self) -> ContactDetails:
        """The part ingest seals."""
        return ContactDetails(email=self.email, phone=self.phone)


class ProtectedContact(EventModel):
    """Contact after ingest: e-mail and phone sealed, the language in clear for the notifier's
    templates."""

    contact_sealed: SealedString = Field(
        description="ContactDetails (email, phone) as JSON, sealed for 'contact.contact_sealed'."
    )
    preferred_language: PreferredLanguage = None


class PermissiblePurpose(StrEnum):
    """FCRA section 604 purpose under which a consumer report may be pulled."""

    CREDIT_TRANSACTION = "credit_transaction"
    WRITTEN_INSTRUCTIONS = "written_instructions"


class Consent(EventModel):
    """One answer the applicant gave, and which wording they saw."""

    granted: bool = Field(description="Whether the applicant agreed.")
    recorded_at: Timestamp = Field(description="When the answer was recorded.")
    text_version: str = Field(
        min_length=1, max_length=64, description="Version of the consent wording shown."
    )


class CreditCheckConsent(Consent):
    permissible_purpose: PermissiblePurpose = Field(
        description="Legal basis for pulling a consumer credit report."
    )


class Consents(EventModel):
    """Consents collected at origination. Without credit check and data processing the
    application cannot be screened and ingest refers it back."""

    credit_check: CreditCheckConsent = Field(description="Consent to a credit bureau inquiry.")
    data_processing: Consent = Field(
        description="Consent to process personal data for this application."
    )
    electronic_communications: Consent = Field(
        description="E-SIGN consent to receive disclosures and the decision electronically."
    )
    marketing: Consent | None = Field(default=None, description="Optional marketing consent.")


class DeviceContext(EventModel):
    """Where the application was typed in, for fraud checks. Absent for branch submissions."""

    device_id: str = Field(
        min_length=1, max_length=128, description="Device fingerprint or installation id."
    )
    ip_address: IPvAnyAddress = Field(description="Client IP address (IPv4 or IPv6).")
    user_agent: str | None = Field(default=None, max_length=1024, description="HTTP User-Agent.")
    session_id: str | None = Field(default=None, max_length=128, description="Web/app session id.")
