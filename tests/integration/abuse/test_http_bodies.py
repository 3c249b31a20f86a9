"""Hostile bodies for ``POST /v1/applications``: every one gets exactly its expected answer.

A refused body gets a problem+json ``4xx`` (a ``422`` names the field paths and rules), and the
app writes nothing: no received event, no status entry. An accepted hostile body (injection
strings, odd Unicode, duplicate keys) arrives in the received event literally as sent, personal
fields sealed. Neither the answer, nor the new records, nor the log lines written meanwhile hold
an applicant's personal data or a forged log line.
"""

from __future__ import annotations

import tempfile
import uuid
from pathlib import Path

import pytest

from services.common.contracts import ApplicationReceived
from tests.integration.abuse.corpus import BODY_CASES, BodyCase, injection_cases, leaks
from tests.integration.abuse.support import (
    AbuseApi,
    LogTap,
    api_key,
    assert_clean_log,
    assert_no_leak_in,
    assert_nothing_written,
    assert_problem,
    opened_personal,
    record_text,
    value_at,
)

pytestmark = pytest.mark.integration

# Where a shell injection would leave its mark if anything ever ran it.
SHELL_MARKER = Path(tempfile.gettempdir()) / f"abuse-pwned-{uuid.uuid4().hex[:12]}"
INJECTION_CASES = injection_cases(str(SHELL_MARKER))


def _submit(api: AbuseApi, logs: LogTap, case: BodyCase) -> None:
    headers = api_key("bank-a")
    if case.content_type is not None:
        headers["Content-Type"] = case.content_type
    before = api.written()
    mark = logs.mark()
    body = case.body()
    response = api.client.post("/v1/applications", content=body, headers=headers)

    assert response.status_code == case.status, response.text[:1000]
    if case.status == 202:
        after = api.written()
        assert (after.received, after.statuses) == (before.received + 1, before.statuses + 1)
        assert_no_leak_in(response)
        [record] = api.received_since(before)
        assert leaks(record_text(record)) == [], record_text(record)[:1000]
        key, value, _ = record
        event = ApplicationReceived.model_validate_json(value or b"")
        assert (
            key == response.json()["application_id"].encode() == str(event.application_id).encode()
        )
        for path, expected in case.clear.items():
            assert value_at(event.application, path) == expected, path
        personal = opened_personal(event)
        for path, expected in case.personal.items():
            assert value_at(personal, path) == expected, path
    else:
        problem = assert_problem(response, case.status)
        assert_nothing_written(api, before)
        named = {error["path"]: error["rule"] for error in problem.get("errors", [])}
        for path, rule in case.paths.items():
            assert path in named, (path, named)
            if rule is not None:
                assert named[path] == rule, (path, named[path])
            assert all(error["location"] == "body" for error in problem["errors"])
        if not case.paths:
            assert "errors" not in problem
    assert_clean_log(logs.lines_since(mark))


@pytest.mark.parametrize("case", BODY_CASES, ids=[case.id for case in BODY_CASES])
def test_hostile_body(abuse_api: AbuseApi, abuse_logs: LogTap, case: BodyCase) -> None:
    _submit(abuse_api, abuse_logs, case)


@pytest.mark.parametrize("case", INJECTION_CASES, ids=[case.id for case in INJECTION_CASES])
def test_injection_is_data_never_code(
    abuse_api: AbuseApi, abuse_logs: LogTap, case: BodyCase
) -> None:
    _submit(abuse_api, abuse_logs, case)
    assert not SHELL_MARKER.exists(), "an injected shell command ran"
