"""Bodies too big to buffer, lying lengths, and ``Idempotency-Key`` abuse.

A client streaming a body far beyond ``max_body_bytes`` is refused with ``413`` after the server
has pulled at most a few chunks past the limit (before the fix it read all of it first, even to
fingerprint an ``Idempotency-Key``). Keys that are not 1-255 visible ASCII are refused, a key
reused for another body is ``409``, and none of it writes an application.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from tests.integration.abuse.corpus import FORGED_LINE, HTTP_APPLICANT, HTTP_APPLICANT_B
from tests.integration.abuse.support import (
    AbuseApi,
    LogTap,
    api_key,
    assert_clean_log,
    assert_nothing_written,
    assert_problem,
)

pytestmark = pytest.mark.integration

CHUNK = 64 * 1024
STREAMED = 256 * 1024 * 1024  # what the client would send if nobody stopped it
JSON = {"Content-Type": "application/json"}


def _stream_to_app(api: AbuseApi, headers: dict[str, str]) -> tuple[int, int]:
    """Status of a POST streaming ``STREAMED`` bytes, and how many the app pulled."""
    pulled = 0

    async def body() -> AsyncIterator[bytes]:
        nonlocal pulled
        yield b'{"customer_id": "'
        while pulled < STREAMED:
            pulled += CHUNK
            yield b"x" * CHUNK

    async def post() -> int:
        transport = httpx.ASGITransport(app=api.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as http:
            response = await http.post("/v1/applications", content=body(), headers=headers)
            assert_problem(response, 413)
            return response.status_code

    # On the TestClient's event loop: the app's Redis clients belong to it.
    portal = api.client.portal
    assert portal is not None
    status = portal.call(post)
    return status, pulled


@pytest.mark.parametrize("idempotency_key", [None, "stream-1"], ids=["plain", "idempotent"])
def test_streamed_body_is_cut_off_at_the_limit(
    abuse_api: AbuseApi, abuse_logs: LogTap, idempotency_key: str | None
) -> None:
    headers = api_key("bank-a", **JSON)
    if idempotency_key is not None:
        headers["Idempotency-Key"] = idempotency_key
    before = abuse_api.written()
    mark = abuse_logs.mark()
    status, pulled = _stream_to_app(abuse_api, headers)
    assert status == 413
    assert pulled <= abuse_api.max_body_bytes + 8 * CHUNK, f"pulled {pulled} bytes"
    assert_nothing_written(abuse_api, before)
    assert_clean_log(abuse_logs.lines_since(mark))
    if idempotency_key is not None:
        # The refusal released the key: the same key with a proper body goes through.
        retry = abuse_api.client.post(
            "/v1/applications", content=HTTP_APPLICANT.body(), headers=headers
        )
        assert retry.status_code == 202, retry.text


def test_declared_length_over_the_limit_is_refused_unread(abuse_api: AbuseApi) -> None:
    before = abuse_api.written()
    response = abuse_api.client.post(
        "/v1/applications",
        content=HTTP_APPLICANT.body(),
        headers=api_key("bank-a", **JSON, **{"Content-Length": str(50 * 1024**3)}),
    )
    assert_problem(response, 413)
    assert_nothing_written(abuse_api, before)


def test_unauthenticated_huge_body_is_401_not_read(abuse_api: AbuseApi) -> None:
    before = abuse_api.written()
    response = abuse_api.client.post(
        "/v1/applications", content=b"x" * (2 * abuse_api.max_body_bytes), headers=JSON
    )
    assert_problem(response, 401)
    assert_nothing_written(abuse_api, before)


def test_oversized_json_on_the_upload_link_route_is_refused(abuse_api: AbuseApi) -> None:
    created = abuse_api.client.post(
        "/v1/applications", content=HTTP_APPLICANT.body(), headers=api_key("bank-a", **JSON)
    )
    assert created.status_code == 202, created.text
    response = abuse_api.client.post(
        f"{created.json()['status_url']}/documents/upload-url",
        content=b'{"sha256": "' + b"a" * (2 * abuse_api.max_body_bytes) + b'"}',
        headers=api_key("bank-a", **JSON),
    )
    assert_problem(response, 413)


BAD_KEYS = {
    "empty": b"",
    "space": b"order 1",
    "crlf-header-injection": b"order-1\r\nX-Injected: yes",
    "log-forging": ("k" + FORGED_LINE).encode(),
    "non-ascii": "ordér-1".encode(),
    "invalid-utf8": b"order-\xff\xfe",
    "nul": b"order\x00",
    "256-characters": b"k" * 256,
}


@pytest.mark.parametrize("key", BAD_KEYS.values(), ids=BAD_KEYS.keys())
def test_malformed_idempotency_key_is_400(
    abuse_api: AbuseApi, abuse_logs: LogTap, key: bytes
) -> None:
    before = abuse_api.written()
    mark = abuse_logs.mark()
    headers: dict[str, str | bytes] = {**api_key("bank-a", **JSON), "Idempotency-Key": key}
    try:
        response = abuse_api.client.post(
            "/v1/applications", content=HTTP_APPLICANT.body(), headers=headers
        )
    except httpx.LocalProtocolError:
        pytest.fail("the client refused to send the header; the case proves nothing")
    assert_problem(response, 400)
    assert response.json()["type"] == "urn:prescreen:problem:idempotency-key-invalid"
    assert_nothing_written(abuse_api, before)
    assert_clean_log(abuse_logs.lines_since(mark))


def test_same_key_different_body_is_409_and_writes_once(abuse_api: AbuseApi) -> None:
    headers = api_key("bank-a", **JSON, **{"Idempotency-Key": "abuse-reuse-1"})
    before = abuse_api.written()
    first = abuse_api.client.post(
        "/v1/applications", content=HTTP_APPLICANT.body(), headers=headers
    )
    assert first.status_code == 202, first.text
    other = abuse_api.client.post(
        "/v1/applications", content=HTTP_APPLICANT_B.body(), headers=headers
    )
    assert_problem(other, 409)
    assert other.json()["type"] == "urn:prescreen:problem:idempotency-key-reused"
    after = abuse_api.written()
    assert (after.received, after.statuses) == (before.received + 1, before.statuses + 1)


def test_a_refused_body_keeps_its_key(abuse_api: AbuseApi) -> None:
    """A 422 is an answer: the same key with a corrected body is a different request (409)."""
    headers = api_key("bank-a", **JSON, **{"Idempotency-Key": "abuse-refused-1"})
    payload = HTTP_APPLICANT.payload(financials__credit_score=9000)
    before = abuse_api.written()
    refused = abuse_api.client.post("/v1/applications", json=payload, headers=headers)
    assert_problem(refused, 422)
    again = abuse_api.client.post("/v1/applications", json=payload, headers=headers)
    assert again.status_code == 422 and again.headers.get("Idempotent-Replayed") == "true"
    payload["financials"]["credit_score"] = 700
    corrected = abuse_api.client.post("/v1/applications", json=payload, headers=headers)
    assert_problem(corrected, 409)
    assert_nothing_written(abuse_api, before)


def test_keys_are_per_client(abuse_api: AbuseApi) -> None:
    """bank-b reusing bank-a's key and body replays nothing of bank-a's; the id is taken."""
    body = HTTP_APPLICANT.body()
    first = abuse_api.client.post(
        "/v1/applications",
        content=body,
        headers=api_key("bank-a", **JSON, **{"Idempotency-Key": "abuse-shared"}),
    )
    assert first.status_code == 202, first.text
    before = abuse_api.written()
    other = abuse_api.client.post(
        "/v1/applications",
        content=body,
        headers=api_key("bank-b", **JSON, **{"Idempotency-Key": "abuse-shared"}),
    )
    problem = assert_problem(other, 409)
    assert "Idempotent-Replayed" not in other.headers
    assert "bank-a" not in other.text and problem["type"] == "about:blank"
    assert_nothing_written(abuse_api, before)
