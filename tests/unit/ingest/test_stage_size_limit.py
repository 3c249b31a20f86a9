"""The Kafka intake applies the submission size limit of the HTTP API to the record's bytes."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from services.common.contracts import SubmittedApplication, Topics
from services.ingest.settings import IngestSettings
from services.ingest.stage import bounded_submission, build_stage
from tests.unit.contracts import samples
from tests.unit.ingest.support import wire

LIMIT = 4096


def test_a_record_over_the_limit_is_refused_before_parsing() -> None:
    valid = wire(samples.submission())
    padded = valid[:-1] + b" " * LIMIT + b"}"
    with pytest.raises(ValidationError) as raised:
        bounded_submission(LIMIT).model_validate_json(padded)
    [error] = raised.value.errors(include_input=False)
    assert error["type"] == "payload_too_large"
    assert error["loc"] == ()
    assert error["msg"] == f"The submission exceeds {LIMIT} bytes."
    assert samples.RAW_SSN not in str(raised.value)


def test_a_record_within_the_limit_decodes_as_a_submission() -> None:
    valid = wire(samples.submission())
    assert len(valid) <= LIMIT
    decoded = bounded_submission(LIMIT).model_validate_json(valid)
    assert isinstance(decoded, SubmittedApplication)
    assert decoded.model_dump() == samples.submission().model_dump()
    # Text counts in UTF-8 bytes, like the body of an HTTP request.
    with pytest.raises(ValidationError):
        bounded_submission(LIMIT).model_validate_json("é" * (LIMIT // 2 + 1))


def test_the_stage_decodes_its_source_with_the_configured_limit() -> None:
    settings = IngestSettings(
        ssn_token_key="t" * 40,
        pii_keys=samples.PII_KEYS_B64,
        pii_active_key_id=samples.PII_KEY_ID,
        max_body_bytes=LIMIT,
    )
    runtime = build_stage(settings)
    [source] = runtime._inputs.values()  # what the runtime decodes with
    assert source.name == Topics.SUBMITTED.name
    assert source.sensitive
    valid = wire(samples.submission())
    with pytest.raises(ValidationError):
        source.value_model.model_validate_json(valid[:-1] + b" " * LIMIT + b"}")
