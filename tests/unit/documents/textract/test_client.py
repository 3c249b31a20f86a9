"""Adapter construction, request options and what the adapter logs."""

from __future__ import annotations

import logging

import pytest
from pydantic import ValidationError

from services.documents.textract import TextractAdapter, TextractSettings
from tests.unit.documents.textract.fixtures import analyze_document_response, stubbed_textract
from tests.unit.documents.textract.test_analyze_document import (
    EXPECTED_REQUEST,
    IMAGE,
    w2_page,
)


def test_from_settings_uses_region_and_a_local_endpoint() -> None:
    settings = TextractSettings(region="eu-west-1", endpoint_url="http://127.0.0.1:4566")

    adapter = TextractAdapter.from_settings(settings)

    meta = adapter.client.meta  # type: ignore[attr-defined]
    assert meta.region_name == "eu-west-1"
    assert meta.endpoint_url == "http://127.0.0.1:4566"


def test_endpoints_with_credentials_are_refused() -> None:
    with pytest.raises(ValidationError):
        TextractSettings(endpoint_url="http://user:pw@127.0.0.1:4566")


def test_a_repeated_start_can_carry_a_request_token() -> None:
    request = {
        "DocumentLocation": {"S3Object": {"Bucket": "prescreen-documents", "Name": "a/b.pdf"}},
        "ClientRequestToken": "doc-4b9f",
    }
    with stubbed_textract() as (client, stubber):
        stubber.add_response("start_lending_analysis", {"JobId": "job-1"}, request)
        job_id = TextractAdapter(client).start_lending_analysis(
            "prescreen-documents", "a/b.pdf", client_request_token="doc-4b9f"
        )
    assert job_id == "job-1"


def test_logs_carry_counts_never_contents(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="services.documents.textract")
    with stubbed_textract() as (client, stubber):
        stubber.add_response(
            "analyze_document", analyze_document_response(w2_page()), EXPECTED_REQUEST
        )
        TextractAdapter(client).analyze_document(IMAGE)

    (record,) = [r for r in caplog.records if r.name.startswith("services.documents.textract")]
    assert record.__dict__["fields"] == 9
    # Only the message and the extras this adapter adds: timestamps could hold any digits.
    standard = set(vars(logging.makeLogRecord({})))
    logged = " ".join(
        f"{r.getMessage()} {[v for k, v in vars(r).items() if k not in standard]}"
        for r in caplog.records
    )
    for secret in ("6789", "Reyes", "Acme", "48250", "48,250"):
        assert secret not in logged
