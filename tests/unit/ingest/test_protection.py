from __future__ import annotations

from uuid import UUID

import pytest

from services.common.contracts import (
    CONTACT_SEALED_FIELD,
    PERSONAL_SEALED_FIELD,
    WIRE_CONTEXT,
    ContactDetails,
    PersonalDetails,
)
from services.common.fieldcrypto import FieldCipher, SealedValueError
from services.ingest.protection import Protector
from tests.unit.contracts import samples
from tests.unit.ingest.support import SECRETS, submission_with

APP = samples.APPLICATION_ID


def test_no_personal_value_appears_in_the_received_json() -> None:
    application = submission_with(
        identity__previous_address={
            "line1": "7 Old Mill Lane",
            "city": "Shelbyville",
            "postal_code": "62565",
            "country": "US",
        },
        identity__name={"given_name": "Dana", "middle_name": "Quinn", "family_name": "Reyes"},
    )
    received = samples.protector().protect(application, APP)
    for text in (
        received.model_dump_json(),
        received.model_dump_json(context=WIRE_CONTEXT),
        repr(received),
    ):
        for secret in (*SECRETS, "Quinn", "7 Old Mill Lane", "Shelbyville", "123-45-6789"):
            assert secret not in text, secret


def test_ssn_becomes_token_and_last_four() -> None:
    identity = samples.protector().protect(samples.submission(), APP).identity
    assert identity.ssn_last4 == samples.RAW_SSN[-4:]
    assert identity.ssn_token_key_id == samples.TOKEN_KEY_ID
    other = samples.protector().protect(samples.submission(), UUID(int=7)).identity
    # Tokens are keyed by the SSN alone, so two applications of one person match.
    assert identity.ssn_token == other.ssn_token


def test_sealed_fields_open_for_this_application_only() -> None:
    application = samples.submission()
    received = samples.protector().protect(application, APP)
    cipher = samples.field_cipher()
    personal = cipher.open_model(
        received.identity.personal_sealed,
        PersonalDetails,
        application_id=APP,
        field=PERSONAL_SEALED_FIELD,
    )
    assert personal.name == application.identity.name
    assert personal.date_of_birth == application.identity.date_of_birth
    contact = cipher.open_model(
        received.contact.contact_sealed,
        ContactDetails,
        application_id=APP,
        field=CONTACT_SEALED_FIELD,
    )
    assert contact.email == application.contact.email
    with pytest.raises(SealedValueError):
        cipher.open(
            received.identity.personal_sealed,
            application_id=UUID(int=7),
            field=PERSONAL_SEALED_FIELD,
        )
    with pytest.raises(SealedValueError):
        cipher.open(
            received.identity.personal_sealed, application_id=APP, field=CONTACT_SEALED_FIELD
        )


def test_the_financial_and_household_data_stay_in_clear() -> None:
    application = samples.submission()
    received = samples.protector().protect(application, APP)
    assert received.household == application.household
    assert received.financials == application.financials
    assert received.loan == application.loan
    assert received.identity.citizenship == "US"
    assert received.identity.residency_status == application.identity.residency_status


def test_protector_refuses_weak_or_read_only_keys() -> None:
    cipher = samples.field_cipher()
    with pytest.raises(ValueError, match="at least 32 bytes"):
        Protector(cipher=cipher, token_key=b"short", token_key_id="k1")
    read_only = FieldCipher({samples.PII_KEY_ID: samples.PII_KEY}, None)
    with pytest.raises(ValueError, match="active key"):
        Protector(cipher=read_only, token_key=samples.TOKEN_KEY, token_key_id="k1")
    assert repr(samples.TOKEN_KEY)[2:-1] not in repr(samples.protector())
