"""Structured logs carry context and never personal data."""

from __future__ import annotations

import logging

import orjson
import pytest

from services.common.logs import JsonFormatter, log_context, redact


@pytest.mark.parametrize(
    "text,hidden",
    [
        ("ssn 123-45-6789", "123-45-6789"),
        ("ssn 123456789", "123456789"),
        ("mail jane.doe@example.org", "jane.doe@example.org"),
        ("call +14155550123", "+14155550123"),
        ("call (415) 555-0123", "555-0123"),
        ("card 4111 1111 1111 1111", "4111 1111 1111 1111"),
    ],
)
def test_personal_data_is_masked(text: str, hidden: str) -> None:
    assert hidden not in redact(text)


def test_timestamps_and_offsets_survive() -> None:
    assert redact("ts 1795291581403 offset 42") == "ts 1795291581403 offset 42"


def test_record_is_json_with_application_and_trace_ids() -> None:
    formatter = JsonFormatter("scoring")
    record = logging.makeLogRecord(
        {"msg": "declined for %s", "args": ("123-45-6789",), "levelname": "INFO", "name": "x"}
    )
    record.score = 612
    with log_context("app-1", "trace-9"):
        entry = orjson.loads(formatter.format(record))
    assert entry["application_id"] == "app-1"
    assert entry["trace_id"] == "trace-9"
    assert entry["service"] == "scoring"
    assert entry["score"] == 612
    assert "123-45-6789" not in entry["message"]
