from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel, SecretStr, ValidationError

from services.common.contracts import (
    CONTACT_SEALED_FIELD,
    HISTORICAL_COLUMNS,
    PERSONAL_SEALED_FIELD,
    WIRE_CONTEXT,
    ApplicationData,
    ApplicationReceived,
    ContactDetails,
    PersonalDetails,
    ReceivedApplication,
    SubmittedApplication,
    tokenize_ssn,
)
from services.common.contracts.application import application_data_from_row
from tests.unit.contracts import samples

# The columns of the historical applications data set, in file order (product brief).
HISTORICAL_DATA_COLUMNS = (
    "customer_id",
    "age",
    "annual_income",
    "credit_score",
    "employment_status",
    "years_employed",
    "debt_to_income_ratio",
    "savings_balance",
    "checking_balance",
    "home_ownership",
    "marital_status",
    "num_dependents",
    "education_level",
    "loan_purpose",
    "requested_loan_amount",
    "existing_loans",
    "payment_history",
    "loan_term",
    "interest_rate",
    "monthly_payment",
    "approval_status",
)

# Nine rows of the historical applications table, kept with the tests.
SAMPLE_TSV = Path(__file__).resolve().parents[2] / "fixtures" / "historical_sample.tsv"


def _error_locations(error: ValidationError) -> set[str]:
    return {".".join(str(part) for part in item["loc"]) for item in error.errors()}


def _field_at(model: type[BaseModel], path: tuple[str, ...]) -> Any:
    """The FieldInfo at ``path``, descending through nested model fields."""
    current: type[BaseModel] = model
    info = None
    for index, part in enumerate(path):
        assert part in current.model_fields, f"{'.'.join(path[: index + 1])} is not a field"
        info = current.model_fields[part]
        if index < len(path) - 1:
            annotation = info.annotation
            nested = [
                arg
                for arg in getattr(annotation, "__args__", (annotation,))
                if isinstance(arg, type) and issubclass(arg, BaseModel)
            ]
            assert nested, f"{part} is not a nested model"
            current = nested[0]
    return info


def test_valid_submission_round_trips_through_wire_json() -> None:
    application = samples.submission()
    wire = application.model_dump_json(context=WIRE_CONTEXT)
    again = SubmittedApplication.model_validate_json(wire)
    assert again == application
    assert again.identity.ssn.get_secret_value() == samples.RAW_SSN


def test_every_historical_column_maps_to_an_application_field() -> None:
    assert set(HISTORICAL_COLUMNS) == set(HISTORICAL_DATA_COLUMNS)
    for column in HISTORICAL_DATA_COLUMNS:
        assert _field_at(ApplicationData, HISTORICAL_COLUMNS[column]) is not None, column
    paths = list(HISTORICAL_COLUMNS.values())
    assert len(set(paths)) == len(paths), "two columns map to the same field"


def test_every_column_but_the_outcome_is_required() -> None:
    # An applicant may omit the outcome; every other column is required.
    outcome_columns = {"interest_rate", "monthly_payment", "approval_status"}
    row = {
        "customer_id": "c-1",
        "age": "30",
        "annual_income": "50000",
        "credit_score": "700",
        "employment_status": "Employed",
        "years_employed": "3",
        "debt_to_income_ratio": "20.5",
        "savings_balance": "1000",
        "checking_balance": "-25.10",
        "home_ownership": "Own",
        "marital_status": "Married",
        "num_dependents": "1",
        "education_level": "PhD",
        "loan_purpose": "Home Improvement",
        "requested_loan_amount": "15000",
        "existing_loans": "0",
        "payment_history": "Good",
        "loan_term": "0.5",
    }
    assert set(row) | outcome_columns == set(HISTORICAL_DATA_COLUMNS)
    data = application_data_from_row(row)
    assert data.historical_outcome is None
    assert data.loan.term_months == 6
    for column in sorted(row):
        incomplete = {key: value for key, value in row.items() if key != column}
        with pytest.raises(ValidationError) as error:
            application_data_from_row(incomplete)
        assert ".".join(HISTORICAL_COLUMNS[column]) in _error_locations(error.value)


def test_sample_historical_rows_validate() -> None:
    with SAMPLE_TSV.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    assert rows
    assert tuple(rows[0]) == HISTORICAL_DATA_COLUMNS
    for row in rows:
        data = application_data_from_row(row)
        assert data.customer_id == row["customer_id"]
        assert data.historical_outcome is not None
        assert data.historical_outcome.approval_status is not None
        assert data.historical_outcome.approval_status.value == row["approval_status"]
        assert data.financials.debt_to_income_ratio == float(row["debt_to_income_ratio"])


@pytest.mark.parametrize(
    ("path", "bad_value", "expected_location"),
    [
        (("household", "age"), 17, "household.age"),
        (("financials", "credit_score"), 900, "financials.credit_score"),
        (("financials", "annual_income"), -1, "financials.annual_income"),
        (("financials", "savings_balance"), float("nan"), "financials.savings_balance"),
        (("loan", "product"), "Boat", "loan.product"),
        (("loan", "amount"), 0, "loan.amount"),
        (("loan", "currency"), "usd", "loan.currency"),
        (("contact", "phone"), "415-555-0123", "contact.phone"),
        (("contact", "email"), "not-an-email", "contact.email"),
        (("identity", "address", "country"), "USA", "identity.address.country"),
        (("identity", "ssn"), "12345678", "identity.ssn"),
        (("identity", "ssn"), "123-45-6789", "identity.ssn"),
        (("identity", "ssn"), "666123456", "identity.ssn"),
        (("identity", "ssn"), "123000000", "identity.ssn"),
        (("identity", "ssn"), 123456789, "identity.ssn"),
        (("device", "ip_address"), "999.1.1.1", "device.ip_address"),
        (("submitted_at",), "2025-03-14T09:26:53", "submitted_at"),
        (("consents", "credit_check", "permissible_purpose"), "curiosity", None),
        (("documents", 0, "sha256"), "ABC", "documents.0.sha256"),
        (("documents", 0, "size_bytes"), 0, "documents.0.size_bytes"),
    ],
)
def test_invalid_submission_names_the_field(
    path: tuple[Any, ...], bad_value: Any, expected_location: str | None
) -> None:
    payload = samples.submission_payload()
    target: Any = payload
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = bad_value
    with pytest.raises(ValidationError) as error:
        SubmittedApplication.model_validate(payload)
    locations = _error_locations(error.value)
    expected = expected_location or ".".join(str(part) for part in path)
    assert any(location.startswith(expected) for location in locations), locations


def test_unknown_fields_are_rejected_with_their_path() -> None:
    payload = samples.submission_payload()
    payload["financials"]["salary"] = 1
    with pytest.raises(ValidationError) as error:
        SubmittedApplication.model_validate(payload)
    assert "financials.salary" in _error_locations(error.value)


def test_events_are_immutable() -> None:
    application = samples.submission()
    with pytest.raises(ValidationError):
        application.loan.amount = 1.0  # type: ignore[misc]


def test_raw_ssn_is_masked_in_repr_str_and_default_json() -> None:
    application = samples.submission()
    renderings = {
        "repr": repr(application),
        "str": str(application),
        "identity repr": repr(application.identity),
        "json": application.model_dump_json(),
        "json mode dump": json.dumps(application.model_dump(mode="json")),
        "python dump": repr(application.model_dump()),
    }
    for name, text in renderings.items():
        assert samples.RAW_SSN not in text, name
    assert "**********" in renderings["json"]
    assert isinstance(application.model_dump()["identity"]["ssn"], SecretStr)


def test_wire_serialization_must_be_asked_for_explicitly() -> None:
    application = samples.submission()
    wire = json.loads(application.model_dump_json(context=WIRE_CONTEXT))
    assert wire["identity"]["ssn"] == samples.RAW_SSN
    assert application.model_dump(mode="json", context=WIRE_CONTEXT)["identity"]["ssn"] == (
        samples.RAW_SSN
    )
    # A masked payload cannot be mistaken for a real one on the consuming side.
    with pytest.raises(ValidationError) as error:
        SubmittedApplication.model_validate_json(application.model_dump_json())
    assert "identity.ssn" in _error_locations(error.value)


def test_validation_errors_do_not_echo_the_ssn() -> None:
    payload = samples.submission_payload()
    del payload["identity"]["name"]
    payload["identity"]["ssn"] = "98765432"
    with pytest.raises(ValidationError) as invalid:
        SubmittedApplication.model_validate(payload)
    assert "98765432" not in str(invalid.value)
    payload = samples.submission_payload()
    del payload["identity"]["citizenship"]
    with pytest.raises(ValidationError) as missing:
        SubmittedApplication.model_validate(payload)
    assert "identity.citizenship" in _error_locations(missing.value)
    assert samples.RAW_SSN not in str(missing.value)


def test_received_application_has_no_raw_ssn() -> None:
    def fields(model: type[BaseModel]) -> set[str]:
        return set(model.model_json_schema()["$defs"]["ProtectedIdentity"]["properties"])

    identity_fields = fields(ReceivedApplication)
    assert "ssn" not in identity_fields
    assert {"ssn_token", "ssn_last4"} <= identity_fields
    event = samples.received()
    text = event.model_dump_json(context=WIRE_CONTEXT)
    assert samples.RAW_SSN not in text
    assert event.application.identity.ssn_last4 == samples.RAW_SSN[-4:]
    assert event.application.identity.ssn_token == tokenize_ssn(
        SecretStr(samples.RAW_SSN), samples.TOKEN_KEY
    )
    payload = json.loads(text)
    payload["application"]["identity"]["ssn"] = samples.RAW_SSN
    with pytest.raises(ValidationError) as error:
        ApplicationReceived.model_validate(payload)
    assert "application.identity.ssn" in _error_locations(error.value)


def test_received_application_carries_no_identifying_field_in_clear() -> None:
    schema = ReceivedApplication.model_json_schema()
    assert set(schema["$defs"]["ProtectedIdentity"]["properties"]) == {
        "personal_sealed",
        "citizenship",
        "residency_status",
        "ssn_token",
        "ssn_last4",
        "ssn_token_key_id",
    }
    assert set(schema["$defs"]["ProtectedContact"]["properties"]) == {
        "contact_sealed",
        "preferred_language",
    }
    text = samples.received().model_dump_json(context=WIRE_CONTEXT)
    submitted = samples.submission_payload()
    for value in (
        submitted["identity"]["name"]["given_name"],
        submitted["identity"]["name"]["family_name"],
        submitted["identity"]["date_of_birth"],
        submitted["identity"]["address"]["line1"],
        submitted["contact"]["email"],
        submitted["contact"]["phone"],
    ):
        assert value not in text


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("identity", "name"), {"given_name": "Dana", "family_name": "Reyes"}),
        (("identity", "date_of_birth"), "1997-06-02"),
        (("contact", "email"), "dana.reyes@example.com"),
    ],
)
def test_received_application_refuses_identifying_fields_in_clear(
    path: tuple[str, ...], value: Any
) -> None:
    payload = json.loads(samples.received().model_dump_json())
    payload["application"][path[0]][path[1]] = value
    with pytest.raises(ValidationError) as error:
        ApplicationReceived.model_validate(payload)
    assert f"application.{'.'.join(path)}" in _error_locations(error.value)


@pytest.mark.parametrize("sealed", ["Dana Reyes", "v1.p1.short", "v2.p1." + "A" * 40, "v1..xyz"])
def test_sealed_fields_must_have_the_sealed_form(sealed: str) -> None:
    payload = json.loads(samples.received().model_dump_json())
    payload["application"]["identity"]["personal_sealed"] = sealed
    with pytest.raises(ValidationError) as error:
        ApplicationReceived.model_validate(payload)
    assert "application.identity.personal_sealed" in _error_locations(error.value)


def test_sealed_fields_open_to_the_submitted_details() -> None:
    event = samples.received()
    application = samples.submission()
    cipher = samples.field_cipher()
    personal = cipher.open_model(
        event.application.identity.personal_sealed,
        PersonalDetails,
        application_id=event.application_id,
        field=PERSONAL_SEALED_FIELD,
    )
    assert personal == application.identity.personal_details()
    contact = cipher.open_model(
        event.application.contact.contact_sealed,
        ContactDetails,
        application_id=event.application_id,
        field=CONTACT_SEALED_FIELD,
    )
    assert contact == application.contact.details()


def test_received_keeps_everything_else_of_the_submission() -> None:
    application = samples.submission()
    received = samples.received().application
    replaced = {"identity": True, "contact": True, "application_id": True}
    assert received.model_dump(mode="json", exclude=replaced) == application.model_dump(
        mode="json", exclude=replaced
    )
    assert received.identity.citizenship == application.identity.citizenship
    assert received.identity.residency_status == application.identity.residency_status
    assert received.contact.preferred_language == application.contact.preferred_language
    assert received.identity.ssn_token_key_id == samples.TOKEN_KEY_ID


def test_outcome_fields_are_optional_for_applicants() -> None:
    payload = samples.submission_payload()
    assert "historical_outcome" not in payload
    assert SubmittedApplication.model_validate(payload).historical_outcome is None
    payload["historical_outcome"] = {"interest_rate": 13.63}
    outcome = SubmittedApplication.model_validate(payload).historical_outcome
    assert outcome is not None
    assert outcome.monthly_payment is None
    assert outcome.interest_rate == 13.63


def test_marital_status_is_documented_as_a_prohibited_basis() -> None:
    schema = ApplicationData.model_json_schema()
    description = schema["$defs"]["HouseholdProfile"]["properties"]["marital_status"]["description"]
    assert "prohibited basis" in description
    assert "never a model feature" in description
