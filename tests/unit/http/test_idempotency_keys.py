"""Idempotency keys and request fingerprints (no Redis needed)."""

from __future__ import annotations

import pytest

from services.common.http import (
    InvalidIdempotencyKeyError,
    StoredResponse,
    request_fingerprint,
    validate_key,
)


@pytest.mark.parametrize("key", ["a", "x" * 255, "8e03978e-40d5-43e8-bc93-6894a57f9324", '"q"'])
def test_valid_keys(key: str) -> None:
    assert validate_key(key) == key


@pytest.mark.parametrize("key", ["", "x" * 256, "has space", "tab\t", "ünïcode", "line\n"])
def test_invalid_keys(key: str) -> None:
    with pytest.raises(InvalidIdempotencyKeyError):
        validate_key(key)


def test_fingerprint_ignores_json_formatting_and_key_order() -> None:
    a = request_fingerprint("POST", "/v1/applications", b'{"a": 1, "b": [1, 2]}')
    b = request_fingerprint("post", "/v1/applications", b'{"b":[1,2],"a":1}')
    assert a == b
    assert a == request_fingerprint("POST", "/v1/applications", {"b": [1, 2], "a": 1})


def test_fingerprint_tells_requests_apart() -> None:
    base = request_fingerprint("POST", "/v1/applications", b'{"a": 1}')
    assert base != request_fingerprint("POST", "/v1/applications", b'{"a": 2}')
    assert base != request_fingerprint("PUT", "/v1/applications", b'{"a": 1}')
    assert base != request_fingerprint("POST", "/v1/other", b'{"a": 1}')
    assert base != request_fingerprint("POST", "/v1/applications", b'{"a": 1}', query="x=1")
    assert request_fingerprint("POST", "/p", b"raw \x00 bytes") != request_fingerprint(
        "POST", "/p", b"raw bytes"
    )


def test_stored_response_round_trip() -> None:
    stored = StoredResponse(202, (("content-type", "application/json"),), b'{"id": "x"}')
    assert StoredResponse.from_json(stored.to_json()) == stored
    response = stored.to_response()
    assert response.status_code == 202
    assert response.headers["idempotent-replayed"] == "true"
    assert response.body == b'{"id": "x"}'
