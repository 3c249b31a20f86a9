from __future__ import annotations

import json
from uuid import UUID

import pytest

from services.common.contracts import WIRE_CONTEXT, ApplicationReceived, Topics
from services.ingest.intake import (
    Accepted,
    IntakeConfig,
    Rejected,
    accept,
    record_application_id,
)
from tests.unit.contracts import samples
from tests.unit.ingest.support import MAX_BODY_BYTES, SECRETS, config, submission_with, wire

NOW = samples.RECEIVED_AT
FALLBACK = UUID("11111111-2222-4333-8444-555555555555")


def wire_payload(**changes: object) -> dict[str, object]:
    return json.loads(wire(submission_with(**changes)))  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    "raw",
    [
        wire(samples.submission()),
        wire(samples.submission()).decode(),
        json.loads(wire(samples.submission())),
        samples.submission(),
    ],
    ids=["bytes", "text", "mapping", "model"],
)
def test_a_valid_submission_is_accepted_in_every_form(raw: object) -> None:
    result = accept(raw, application_id=None, received_at=NOW, config=config())  # type: ignore[arg-type]
    assert isinstance(result, Accepted)
    assert isinstance(result.event, ApplicationReceived)
    assert isinstance(result.event, Topics.RECEIVED.value_model)
    assert result.application_id == samples.APPLICATION_ID
    assert result.key == str(samples.APPLICATION_ID)
    assert result.event.received_at == NOW
    text = result.event.model_dump_json(context=WIRE_CONTEXT)
    for secret in SECRETS:
        assert secret not in text


def test_the_submitters_id_wins_then_the_callers_then_a_random_one() -> None:
    payload = json.loads(wire(samples.submission()))
    given = accept(payload, application_id=FALLBACK, received_at=NOW, config=config())
    assert isinstance(given, Accepted) and given.application_id == samples.APPLICATION_ID
    del payload["application_id"]
    fallback = accept(payload, application_id=FALLBACK, received_at=NOW, config=config())
    assert isinstance(fallback, Accepted) and fallback.application_id == FALLBACK
    first = accept(payload, application_id=None, received_at=NOW, config=config())
    second = accept(payload, application_id=None, received_at=NOW, config=config())
    assert isinstance(first, Accepted) and isinstance(second, Accepted)
    assert first.application_id != second.application_id
    assert first.application_id.version == 4


def test_record_ids_are_deterministic_per_record() -> None:
    one = record_application_id("loan.applications.submitted.v1", 2, 41)
    assert one == record_application_id("loan.applications.submitted.v1", 2, 41)
    assert one != record_application_id("loan.applications.submitted.v1", 2, 42)
    assert one.version == 5


def test_type_errors_are_reported_with_paths_and_types_only() -> None:
    payload = json.loads(wire(samples.submission()))
    payload["identity"]["ssn"] = "98765432"
    payload["financials"]["credit_score"] = 900
    payload["household"]["religion"] = "x"
    del payload["contact"]["email"]
    result = accept(payload, application_id=None, received_at=NOW, config=config())
    assert isinstance(result, Rejected) and result.kind == "invalid"
    found = {(v.field, v.rule) for v in result.violations}
    assert found == {
        ("identity.ssn", "ssn_format"),
        ("financials.credit_score", "less_than_equal"),
        ("household.religion", "extra_forbidden"),
        ("contact.email", "missing"),
    }
    text = result.reason + " ".join(v.message for v in result.violations)
    for secret in ("98765432", "900", *SECRETS):
        assert secret not in text


def test_business_rule_violations_are_all_reported() -> None:
    payload = wire_payload(employment__years_employed=20, loan__term_years=10)
    result = accept(payload, application_id=None, received_at=NOW, config=config())
    assert isinstance(result, Rejected) and result.kind == "invalid"
    assert [(v.field, v.rule) for v in result.violations] == [
        ("employment.years_employed", "years_employed_exceeds_age_minus_14"),
        ("loan.term_years", "term_outside_product_range"),
    ]
    assert result.reason == (
        "submission invalid: 2 violation(s): "
        "employment.years_employed: years_employed_exceeds_age_minus_14; "
        "loan.term_years: term_outside_product_range"
    )


def test_the_clock_is_the_callers() -> None:
    early = samples.SUBMITTED_AT.replace(year=2024)
    result = accept(samples.submission(), application_id=None, received_at=early, config=config())
    assert isinstance(result, Rejected)
    assert ("submitted_at", "submitted_at_in_future") in {
        (v.field, v.rule) for v in result.violations
    }


@pytest.mark.parametrize(
    ("raw", "rule"),
    [
        (b"{not json", "json_invalid"),
        (b"[]", "model_type"),
        (b"\xff\xfe", "json_invalid"),
        ("", "json_invalid"),
    ],
)
def test_malformed_bodies_are_invalid(raw: bytes | str, rule: str) -> None:
    result = accept(raw, application_id=None, received_at=NOW, config=config())
    assert isinstance(result, Rejected) and result.kind == "invalid"
    assert [(v.field, v.rule) for v in result.violations] == [("(root)", rule)]


def test_the_size_limit_applies_to_bytes_and_mappings() -> None:
    small = IntakeConfig(protector=samples.protector(), max_body_bytes=1024)
    body = wire(samples.submission())
    assert len(body) > 1024
    for raw in (body, json.loads(body)):
        result = accept(raw, application_id=None, received_at=NOW, config=small)
        assert isinstance(result, Rejected) and result.kind == "too_large"
        assert [(v.field, v.rule) for v in result.violations] == [("(root)", "payload_too_large")]
    big = b" " * MAX_BODY_BYTES + body
    assert isinstance(accept(big, application_id=None, received_at=NOW, config=config()), Rejected)


def test_a_mapping_that_is_not_json_is_invalid() -> None:
    result = accept({"x": object()}, application_id=None, received_at=NOW, config=config())
    assert isinstance(result, Rejected)
    assert [(v.field, v.rule) for v in result.violations] == [("(root)", "not_json")]
